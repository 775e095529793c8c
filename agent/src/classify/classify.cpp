// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/classify.hpp"

#include "classify/dns_message.hpp"
#include "classify/http_message.hpp"
#include "classify/json_scan.hpp"
#include "classify/rpc_rules.hpp"
#include "classify/text_util.hpp"
#include "classify/tls_hello.hpp"
#include "classify/websocket.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <span>

namespace minewatch::classify {

namespace {
constexpr std::uint16_t kDnsPort = 53;
constexpr std::size_t kMaxDetail = 200;

// Request headers only miners send (BIP 22 era getwork clients), and the
// response headers only mining pools send.
constexpr std::array<std::string_view, 2> kMinerHeaders = {"X-Mining-Extensions", "X-Mining-Hashrate"};
constexpr std::array<std::string_view, 3> kPoolHeaders = {"X-Stratum", "X-Long-Polling", "X-Roll-NTime"};

// Mining protocols first; among them EthereumStratum over StratumV1, since
// EthereumStratum speaks mining.* too and is the more precise name.
int rank(Protocol p, bool mining) {
  if (!mining)
    return p == Protocol::Unknown ? 0 : 1;
  return p == Protocol::EthereumStratum ? 3 : 2;
}

void addDetail(PayloadFacts &facts, const std::string &detail) {
  if (detail.empty() || facts.detail.find(detail) != std::string::npos || facts.detail.size() > kMaxDetail)
    return;
  if (!facts.detail.empty())
    facts.detail += "; ";
  facts.detail += detail;
}

void merge(PayloadFacts &facts, const RpcVerdict &v) {
  if (v.protocol == Protocol::Unknown)
    return;
  if (v.mining && !facts.mining)
    facts.detail.clear(); // the reason to report is the mining one
  if (rank(v.protocol, v.mining) > rank(facts.protocol, facts.mining)) {
    facts.protocol = v.protocol;
    facts.mining = v.mining;
  }
  if (v.mining && facts.sender == Role::Unknown)
    facts.sender = v.role;
  if (!v.method.empty() && std::find(facts.methods.begin(), facts.methods.end(), v.method) == facts.methods.end())
    facts.methods.push_back(v.method);
  if (facts.agent.empty())
    facts.agent = printableAscii(v.agent);
  if (v.mining || !facts.mining)
    addDetail(facts, v.detail);
}

// Scans text for JSON messages; true if any was JSON-RPC-like.
bool addJson(PayloadFacts &facts, std::string_view text) {
  JsonScan scan = scanJson(text);
  bool any = false;
  for (const JsonMessage &m : scan.messages) {
    RpcVerdict v = judgeRpc(m);
    any = any || v.protocol != Protocol::Unknown;
    merge(facts, v);
  }
  facts.truncated = facts.truncated || scan.truncated;
  return any;
}

void fromHttp(PayloadFacts &facts, const HttpMessage &http) {
  facts.carrier = Carrier::Http;
  std::span<const std::string_view> mining_headers = kPoolHeaders;
  if (http.request)
    mining_headers = kMinerHeaders;
  for (auto name : mining_headers)
    if (const std::string *value = http.header(name))
      merge(facts, {Protocol::GetworkHttp,
                    true,
                    http.request ? Role::Miner : Role::Pool,
                    {},
                    {},
                    std::string(name) + ": " + *value});
  if (const std::string *ua = http.header("User-Agent"); ua && !ua->empty())
    facts.agent = *ua;
  if (const std::string *upgrade = http.header("Upgrade"); upgrade && equalsIgnoreCase(*upgrade, "websocket"))
    addDetail(facts, "websocket upgrade");
  if (!http.headers_complete)
    facts.truncated = true;
  else
    addJson(facts, http.body);
  if (facts.detail.empty())
    addDetail(facts, http.request ? "http " + http.method + " " + http.target : "http " + std::to_string(http.status));
}

bool isDns(const PayloadContext &c) { return c.dns_sample || c.src_port == kDnsPort || c.dst_port == kDnsPort; }

void fromDns(PayloadFacts &facts, std::span<const std::uint8_t> payload, const PayloadContext &context) {
  // DNS over TCP prefixes each message with its length; a sampler may or
  // may not have stripped it.
  std::optional<DnsFacts> dns;
  if (context.transport == Transport::Tcp && payload.size() > 2)
    dns = parseDns(payload.subspan(2));
  if (!dns)
    dns = parseDns(payload);
  if (dns) {
    facts.protocol = Protocol::Dns;
    facts.truncated = dns->truncated;
    facts.detail = dns->response ? "response" : "query";
    facts.dns = std::move(*dns);
  }
}

// The message's own evidence, before the context fills gaps.
PayloadFacts classifyBytes(std::span<const std::uint8_t> payload, const PayloadContext &context) {
  PayloadFacts facts;
  if (payload.empty())
    return facts;
  if (isDns(context)) {
    fromDns(facts, payload, context);
    if (facts.dns || context.transport == Transport::Udp || context.dns_sample)
      return facts;
  }
  if (auto hello = parseClientHello(payload)) {
    facts.protocol = Protocol::TlsClientHello;
    facts.truncated = hello->truncated;
    facts.detail = hello->sni.empty() ? (hello->truncated ? "no sni seen" : "no sni") : "sni " + hello->sni;
    facts.tls = std::move(*hello);
    return facts;
  }
  std::string_view text = asText(payload);
  if (auto http = parseHttp(text)) {
    fromHttp(facts, *http);
    return facts;
  }
  if (auto ws = readWebSocketFrames(payload); ws && !ws->compressed) {
    PayloadFacts inner;
    inner.carrier = Carrier::WebSocket;
    if (addJson(inner, ws->data)) {
      inner.truncated = inner.truncated || ws->truncated;
      return inner;
    }
  }
  addJson(facts, text);
  return facts;
}
} // namespace

PayloadFacts classifyPayload(std::span<const std::uint8_t> payload, const PayloadContext &context) {
  PayloadFacts facts = classifyBytes(payload, context);
  // Clients mine: the direction stands in where the message did not say.
  if (facts.mining && facts.sender == Role::Unknown && context.direction != Direction::Unknown)
    facts.sender = context.direction == Direction::ClientToServer ? Role::Miner : Role::Pool;
  return facts;
}

} // namespace minewatch::classify
