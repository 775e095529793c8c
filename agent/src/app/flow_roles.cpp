// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/flow_roles.hpp"

#include "flows/flow_table.hpp"

#include <fmt/format.h>

namespace minewatch::app {

FlowRoles rolesOf(const minewatch_flow_key &key, const minewatch_flow_value &value) {
  unsigned client_dir = value.initiator & 1u;
  bool known = (value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0;
  auto a = datapath::endpointA(key);
  auto b = datapath::endpointB(key);
  if (!known && a.port != b.port && key.proto != 1 && key.proto != 58)
    client_dir = a.port > b.port ? MINEWATCH_DIR_A_TO_B : MINEWATCH_DIR_B_TO_A;
  FlowRoles roles;
  roles.proto = key.proto;
  roles.client_dir = client_dir;
  roles.client = client_dir == MINEWATCH_DIR_A_TO_B ? a : b;
  roles.server = client_dir == MINEWATCH_DIR_A_TO_B ? b : a;
  return roles;
}

std::string flowId(const minewatch_flow_key &key) {
  return fmt::format("{:012x}", flows::KeyHash{}(key) & 0xffffffffffffull);
}

} // namespace minewatch::app
