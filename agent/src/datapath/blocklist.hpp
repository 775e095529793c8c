// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/sensor_object.hpp"
#include "net/address.hpp"

#include <cstdint>
#include <system_error>

namespace minewatch::datapath {

struct RuleSpec {
  std::uint32_t rule_id = 0;
  std::uint64_t expires_ns = 0; // BPF clock deadline; 0 = never
};

/// Writes block rules into the BPF maps. Every change bumps the rules
/// generation so flows already cleared are checked again. A map that is
/// full makes add* throw an error isMapFull() recognises.
class Blocklist {
public:
  explicit Blocklist(const SensorObject &sensor) : sensor_(sensor) {}

  void addCidr(const net::Cidr &cidr, const RuleSpec &spec) const;
  bool removeCidr(const net::Cidr &cidr) const;
  void addEndpoint(const net::Address &address, std::uint16_t port, std::uint8_t proto, const RuleSpec &spec) const;
  bool removeEndpoint(const net::Address &address, std::uint16_t port, std::uint8_t proto) const;

  static minewatch_lpm_key cidrKey(const net::Cidr &cidr);
  static minewatch_endpoint_key endpointKey(const net::Address &address, std::uint16_t port, std::uint8_t proto);

private:
  const SensorObject &sensor_;
};

/// Whether a map update failed only because the map is full: E2BIG from
/// the endpoint hash, ENOSPC from the CIDR trie. The caller refuses that one
/// rule and goes on; anything else is a real fault.
bool isMapFull(const std::system_error &error);

} // namespace minewatch::datapath
