// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/bpf_block_maps.hpp"

#include "datapath/blocklist.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace minewatch::actions {

bool BpfBlockMaps::install(const rules::RuleTarget &target, std::uint32_t rule_id, std::uint64_t expires_ns) {
  datapath::Blocklist blocklist(sensor_);
  datapath::RuleSpec spec{rule_id, expires_ns};
  try {
    if (auto *cidr = std::get_if<net::Cidr>(&target)) {
      blocklist.addCidr(*cidr, spec);
    } else {
      const auto &e = std::get<rules::EndpointTarget>(target);
      blocklist.addEndpoint(e.address, e.port, e.proto, spec);
    }
  } catch (const std::system_error &e) {
    if (datapath::isMapFull(e))
      return false;
    throw;
  }
  return true;
}

bool BpfBlockMaps::remove(const rules::RuleTarget &target) {
  datapath::Blocklist blocklist(sensor_);
  if (auto *cidr = std::get_if<net::Cidr>(&target))
    return blocklist.removeCidr(*cidr);
  const auto &e = std::get<rules::EndpointTarget>(target);
  return blocklist.removeEndpoint(e.address, e.port, e.proto);
}

std::vector<InstalledRule> BpfBlockMaps::installed() const {
  std::vector<InstalledRule> out;
  for (const auto &[key, rule] : sensor_.cidrRules().entries()) {
    net::Cidr cidr;
    std::memcpy(cidr.address.bytes.data(), key.addr, 16);
    cidr.prefix_len = key.prefixlen;
    out.push_back({cidr, rule});
  }
  for (const auto &[key, rule] : sensor_.endpointRules().entries()) {
    rules::EndpointTarget e;
    std::memcpy(e.address.bytes.data(), key.addr, 16);
    e.port = ntohs(key.port);
    e.proto = key.proto;
    out.push_back({e, rule});
  }
  return out;
}

} // namespace minewatch::actions
