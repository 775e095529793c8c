// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/flow_key.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <tuple>

namespace minewatch::datapath {

DirectedKey canonicalFlowKey(const Endpoint &src, const Endpoint &dst, std::uint8_t proto) {
  bool src_is_a = std::tie(src.address, src.port) <= std::tie(dst.address, dst.port);
  const Endpoint &a = src_is_a ? src : dst;
  const Endpoint &b = src_is_a ? dst : src;
  minewatch_flow_key key{};
  std::memcpy(key.addr_a, a.address.bytes.data(), 16);
  std::memcpy(key.addr_b, b.address.bytes.data(), 16);
  key.port_a = htons(a.port);
  key.port_b = htons(b.port);
  key.proto = proto;
  key.family = src.address.isV4() ? MINEWATCH_FAMILY_IPV4 : MINEWATCH_FAMILY_IPV6;
  return {key, src_is_a ? MINEWATCH_DIR_A_TO_B : MINEWATCH_DIR_B_TO_A};
}

namespace {
Endpoint endpointOf(const __u8 (&addr)[16], __be16 port) {
  Endpoint e;
  std::memcpy(e.address.bytes.data(), addr, 16);
  e.port = ntohs(port);
  return e;
}

std::string protoName(std::uint8_t proto) {
  switch (proto) {
  case IPPROTO_TCP: return "tcp";
  case IPPROTO_UDP: return "udp";
  case IPPROTO_ICMP: return "icmp";
  case IPPROTO_ICMPV6: return "icmpv6";
  default: return "proto" + std::to_string(proto);
  }
}

std::string render(const Endpoint &e) {
  auto addr = e.address.toString();
  return (e.address.isV4() ? addr : "[" + addr + "]") + ":" + std::to_string(e.port);
}
} // namespace

Endpoint endpointA(const minewatch_flow_key &key) { return endpointOf(key.addr_a, key.port_a); }
Endpoint endpointB(const minewatch_flow_key &key) { return endpointOf(key.addr_b, key.port_b); }

std::string describe(const minewatch_flow_key &key) {
  return protoName(key.proto) + " " + render(endpointA(key)) + " <-> " + render(endpointB(key));
}

} // namespace minewatch::datapath
