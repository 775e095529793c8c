// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/facts.hpp"

namespace minewatch::classify {

std::string_view protocolName(Protocol protocol) {
  switch (protocol) {
  case Protocol::Unknown: return "unknown";
  case Protocol::StratumV1: return "stratum-v1";
  case Protocol::MoneroStratum: return "monero-stratum";
  case Protocol::EthProxy: return "eth-proxy";
  case Protocol::EthereumStratum: return "ethereum-stratum";
  case Protocol::GetworkHttp: return "getwork-http";
  case Protocol::TlsClientHello: return "tls";
  case Protocol::Dns: return "dns";
  case Protocol::JsonRpc: return "json-rpc";
  }
  return "unknown";
}

std::string_view carrierName(Carrier carrier) {
  switch (carrier) {
  case Carrier::Raw: return "raw";
  case Carrier::Http: return "http";
  case Carrier::WebSocket: return "websocket";
  }
  return "raw";
}

std::string_view roleName(Role role) {
  switch (role) {
  case Role::Unknown: return "unknown";
  case Role::Miner: return "miner";
  case Role::Pool: return "pool";
  }
  return "unknown";
}

std::string describe(const PayloadFacts &facts) {
  std::string out(protocolName(facts.protocol));
  if (facts.carrier != Carrier::Raw)
    out += " over " + std::string(carrierName(facts.carrier));
  if (facts.mining)
    out += facts.sender == Role::Unknown ? " mining" : " mining from " + std::string(roleName(facts.sender));
  std::string sep = ": ";
  auto add = [&](const std::string &part) {
    if (part.empty())
      return;
    out += sep + part;
    sep = "; ";
  };
  add(facts.detail);
  if (!facts.agent.empty())
    add("agent " + facts.agent);
  if (facts.tls && !facts.tls->ja3_md5.empty())
    add("ja3 " + facts.tls->ja3_md5);
  if (facts.tls && !facts.tls->ja4.empty())
    add("ja4 " + facts.tls->ja4);
  if (facts.dns)
    add(facts.dns->query + " -> " + std::to_string(facts.dns->addresses.size()) + " address(es)");
  if (facts.truncated)
    add("sample truncated");
  return out;
}

} // namespace minewatch::classify
