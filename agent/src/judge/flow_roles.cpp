// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/flow_roles.hpp"

#include "flows/flow_table.hpp"

#include <fmt/format.h>

namespace minewatch::judge {

namespace {
/// How much a port looks like a service's: well-known, then the ports pools
/// use, then registered, then ephemeral (Linux and Windows ranges).
int serviceScore(std::uint16_t port) {
  static constexpr std::uint16_t kPoolPorts[] = {3333, 3334, 3335, 3336, 3357, 4444, 5555, 5556, 5588,  5730, 6099,
                                                 6666, 7777, 7778, 8008, 8888, 8899, 9332, 9999, 14433, 14444};
  if (port < 1024)
    return 3;
  for (auto p : kPoolPorts)
    if (p == port)
      return 2;
  return port < 32768 ? 1 : 0;
}
} // namespace

const char *toString(Side side) { return side == Side::Client ? "client" : "server"; }

FlowRoles rolesOf(const minewatch_flow_key &key, const minewatch_flow_value &value) {
  return rolesOf(key, value.initiator, value.flags);
}

FlowRoles rolesOf(const minewatch_flow_key &key, std::uint8_t initiator, std::uint32_t flow_flags) {
  unsigned client_dir = initiator & 1u;
  bool known = (flow_flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0;
  auto a = datapath::endpointA(key);
  auto b = datapath::endpointB(key);
  // Without a SYN the first packet seen may be anyone's (a flow older than
  // the agent, or one picked up again after eviction): the port that looks
  // more like a service's names the server; a tie leaves the first sender.
  if (!known && key.proto != 1 && key.proto != 58) {
    int sa = serviceScore(a.port), sb = serviceScore(b.port);
    if (sa != sb)
      client_dir = sa < sb ? MINEWATCH_DIR_A_TO_B : MINEWATCH_DIR_B_TO_A;
  }
  FlowRoles roles;
  roles.proto = key.proto;
  roles.client_dir = client_dir;
  roles.client = client_dir == MINEWATCH_DIR_A_TO_B ? a : b;
  roles.server = client_dir == MINEWATCH_DIR_A_TO_B ? b : a;
  return roles;
}

std::string flowId(const minewatch_flow_key &key) {
  return fmt::format("{:012x}", flows::KeyHash{}(key)&0xffffffffffffull);
}

} // namespace minewatch::judge
