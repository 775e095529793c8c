// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/blocklist.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

namespace minewatch::datapath {

namespace {
minewatch_block_rule makeRule(const RuleSpec &spec) {
  minewatch_block_rule rule{};
  rule.rule_id = spec.rule_id;
  rule.expires_ns = spec.expires_ns;
  return rule;
}
} // namespace

minewatch_lpm_key Blocklist::cidrKey(const net::Cidr &cidr) {
  minewatch_lpm_key key{};
  key.prefixlen = cidr.prefix_len;
  std::memcpy(key.addr, cidr.address.bytes.data(), 16);
  return key;
}

minewatch_endpoint_key Blocklist::endpointKey(const net::Address &address, std::uint16_t port, std::uint8_t proto) {
  minewatch_endpoint_key key{};
  std::memcpy(key.addr, address.bytes.data(), 16);
  key.port = htons(port);
  key.proto = proto;
  return key;
}

void Blocklist::addCidr(const net::Cidr &cidr, const RuleSpec &spec) const {
  auto key = cidrKey(cidr);
  auto rule = makeRule(spec);
  rule.prefixlen = key.prefixlen; // see minewatch_block_rule: what an expired rule lets through to
  sensor_.cidrRules().update(key, rule);
  sensor_.bumpRulesGeneration();
}

bool Blocklist::removeCidr(const net::Cidr &cidr) const {
  bool removed = sensor_.cidrRules().erase(cidrKey(cidr));
  sensor_.bumpRulesGeneration();
  return removed;
}

void Blocklist::addEndpoint(const net::Address &address, std::uint16_t port, std::uint8_t proto,
                            const RuleSpec &spec) const {
  sensor_.endpointRules().update(endpointKey(address, port, proto), makeRule(spec));
  sensor_.bumpRulesGeneration();
}

bool Blocklist::removeEndpoint(const net::Address &address, std::uint16_t port, std::uint8_t proto) const {
  bool removed = sensor_.endpointRules().erase(endpointKey(address, port, proto));
  sensor_.bumpRulesGeneration();
  return removed;
}

bool isMapFull(const std::system_error &error) {
  return error.code().category() == std::generic_category() &&
         (error.code().value() == E2BIG || error.code().value() == ENOSPC);
}

} // namespace minewatch::datapath
