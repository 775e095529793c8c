// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/flow_key.hpp"
#include "minewatch_abi.h"

#include <cstdint>
#include <string>

namespace minewatch::judge {

/// A flow's endpoints by role: the client opened it (the miner), the server
/// accepted it (the pool).
struct FlowRoles {
  datapath::Endpoint client;
  datapath::Endpoint server;
  std::uint8_t proto = 0;
  unsigned client_dir = 0; // index into minewatch_flow_value::dir
};

/// Which end of a flow sent something.
enum class Side : std::uint8_t { Client, Server };
const char *toString(Side side); // "client" | "server"

/// The initiator when the data path saw it open the flow (a bare SYN);
/// otherwise the endpoint whose port looks less like a service's.
FlowRoles rolesOf(const minewatch_flow_key &key, const minewatch_flow_value &value);
/// The same from what a payload sample carries (the flow's initiator and
/// the low byte of its flags at the sample).
FlowRoles rolesOf(const minewatch_flow_key &key, std::uint8_t initiator, std::uint32_t flow_flags);

/// A short stable id for a flow ("f3a9c2d417e8"), as `flows` prints and
/// `explain` accepts.
std::string flowId(const minewatch_flow_key &key);

} // namespace minewatch::judge
