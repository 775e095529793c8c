// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::classify {

/// What a payload sample was recognised as.
enum class Protocol : std::uint8_t {
  Unknown,
  StratumV1,       ///< mining.* methods (Bitcoin, ZCash, ... Stratum)
  MoneroStratum,   ///< login / job / submit / keepalived (XMRig, xmr-stak, CoinHive)
  EthProxy,        ///< eth_submitLogin / eth_getWork / eth_submitWork / eth_submitHashrate
  EthereumStratum, ///< EthereumStratum/1.0.0 subscribe, EthereumStratum/2.0.0 mining.hello
  GetworkHttp,     ///< getwork / getblocktemplate over HTTP, X-Mining-* headers
  TlsClientHello,
  Dns,
  JsonRpc, ///< JSON-RPC that is not mining
};

/// How the message reached the classifier.
enum class Carrier : std::uint8_t {
  Raw,       ///< straight in the TCP/UDP payload
  Http,      ///< an HTTP request or response (headers and/or body)
  WebSocket, ///< inside WebSocket frames (client frames unmasked)
};

/// Which end of a mining session sent a message.
enum class Role : std::uint8_t { Unknown, Miner, Pool };

/// Stable lower-case names for logs and the control socket:
/// "stratum-v1", "monero-stratum", "eth-proxy", "ethereum-stratum",
/// "getwork-http", "tls", "dns", "json-rpc", "unknown".
std::string_view protocolName(Protocol protocol);
std::string_view carrierName(Carrier carrier);
std::string_view roleName(Role role); ///< "unknown", "miner", "pool"

/// What could be read of a TLS ClientHello. Lists hold values in wire order,
/// GREASE included; the JA3 string leaves GREASE out, as JA3 specifies.
struct TlsHello {
  std::uint16_t record_version = 0;
  std::uint16_t version = 0; ///< legacy_version of the hello (771 = TLS 1.2)
  std::vector<std::uint16_t> ciphers;
  std::vector<std::uint16_t> extensions;
  std::vector<std::uint16_t> groups;               ///< supported_groups (10)
  std::vector<std::uint8_t> point_formats;         ///< ec_point_formats (11)
  std::vector<std::uint16_t> supported_versions;   ///< supported_versions (43)
  std::vector<std::uint16_t> signature_algorithms; ///< signature_algorithms (13), for JA4
  std::string sni;                                 ///< first host_name of server_name (0)
  std::vector<std::string> alpn;                   ///< application_layer_protocol_negotiation (16)
  /// JA3 "version,ciphers,extensions,groups,pointformats" and its MD5 in hex.
  /// Empty when the hello was truncated: a JA3 of part of a hello would
  /// match nothing and mislead.
  std::string ja3;
  std::string ja3_md5;
  /// JA4 (ja4.hpp); empty when truncated, for the same reason.
  std::string ja4;
  /// The sample ended before the extensions did; the lists hold what came first.
  bool truncated = false;
  /// Bytes of the record (header included) the payload held, and the
  /// record's own length: "256 of 1834 bytes seen".
  std::size_t bytes_seen = 0;
  std::size_t bytes_total = 0;

  /// The whole hello was read and it names no server: XMRig's default.
  [[nodiscard]] bool definitelyNoSni() const { return !truncated && sni.empty(); }
};

/// One address a DNS response gave for the queried name.
struct DnsAddress {
  net::Address address;
  std::uint32_t ttl_s = 0;
};

/// A DNS message: the first question and the A/AAAA answers that belong to
/// it, directly or through the response's CNAME chain.
struct DnsFacts {
  std::uint16_t id = 0;
  bool response = false;
  std::uint8_t rcode = 0;
  std::string query; ///< lower case, no trailing dot
  std::uint16_t qtype = 0;
  std::vector<std::string> cnames;   ///< the chain from query to canonical name, in order
  std::vector<DnsAddress> addresses; ///< reached from the query; unrelated records are dropped
  bool truncated = false;            ///< the sample ended inside the answers
};

/// What one payload sample told. mining is set only on a protocol signature
/// (a mining method, a mining-only result shape or header), never on a port.
struct PayloadFacts {
  Protocol protocol = Protocol::Unknown;
  Carrier carrier = Carrier::Raw;
  bool mining = false;
  /// For mining facts, the sender's part as the message shows it (a
  /// subscribe comes from a miner, a notify or a job from a pool), else as
  /// the context's direction says (clients mine). Tells which end is the
  /// pool even when the flow's start was not seen.
  Role sender = Role::Unknown;
  std::vector<std::string> methods; ///< JSON-RPC methods seen, in order, without repeats
  std::string agent;      ///< miner software when named: "XMRig/6.16.4 (Linux ...)", "cpuminer/2.5.1", HTTP User-Agent
  std::string detail;     ///< why, in words: "login result with job", "X-Mining-Extensions: longpoll"
  bool truncated = false; ///< the sample ended inside a message
  std::optional<TlsHello> tls;
  std::optional<DnsFacts> dns;
};

/// One line for an operator: "monero-stratum mining: login; agent XMRig/6.16.4".
std::string describe(const PayloadFacts &facts);

} // namespace minewatch::classify
