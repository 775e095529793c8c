// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/flow_features.hpp"

#include <algorithm>

namespace minewatch::detect {

namespace {
DirectionFeatures convert(const minewatch_dir_stats &d) {
  DirectionFeatures f;
  f.packets = d.packets;
  f.bytes = d.bytes;
  f.payload_bytes = d.payload_bytes;
  f.first_seen_ns = d.first_seen_ns;
  f.last_seen_ns = d.last_seen_ns;
  f.psh_packets = d.psh_packets;
  f.tcp_flags = d.tcp_flags;
  std::copy(std::begin(d.size_hist), std::end(d.size_hist), f.size_hist.begin());
  std::copy(std::begin(d.iat_hist), std::end(d.iat_hist), f.iat_hist.begin());
  return f;
}
} // namespace

std::uint64_t FlowFeatures::firstSeen() const {
  if (!client.first_seen_ns || !server.first_seen_ns)
    return std::max(client.first_seen_ns, server.first_seen_ns);
  return std::min(client.first_seen_ns, server.first_seen_ns);
}

std::uint64_t FlowFeatures::lastSeen() const { return std::max(client.last_seen_ns, server.last_seen_ns); }

FlowFeatures featuresOf(const minewatch_flow_key &key, const minewatch_flow_value &value, unsigned client_dir) {
  FlowFeatures f;
  f.proto = key.proto;
  client_dir &= 1u;
  f.client = convert(value.dir[client_dir]);
  f.server = convert(value.dir[client_dir ^ 1u]);
  f.initiator_known = (value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0;
  return f;
}

} // namespace minewatch::detect
