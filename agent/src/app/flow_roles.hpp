// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/flow_key.hpp"
#include "minewatch_abi.h"

#include <cstdint>
#include <string>

namespace minewatch::app {

/// A flow's endpoints by role: the client opened it (the miner), the server
/// accepted it (the pool).
struct FlowRoles {
  datapath::Endpoint client;
  datapath::Endpoint server;
  std::uint8_t proto = 0;
  unsigned client_dir = 0; // index into minewatch_flow_value::dir
};

/// The initiator when the data path saw it open the flow (a bare SYN);
/// otherwise the endpoint whose port looks less like a service's.
FlowRoles rolesOf(const minewatch_flow_key &key, const minewatch_flow_value &value);

/// A short stable id for a flow ("f3a9c2d417e8"), as `flows` prints and
/// `explain` accepts.
std::string flowId(const minewatch_flow_key &key);

} // namespace minewatch::app
