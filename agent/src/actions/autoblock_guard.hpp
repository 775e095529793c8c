// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/datapath_info.hpp"
#include "judge/flow_roles.hpp"
#include "minewatch_abi.h"
#include "net/address.hpp"

#include <optional>
#include <set>
#include <string>

namespace minewatch::actions {

using datapath::PacketSource;

/// Why auto-block must leave a mining flow's server alone, or nothing when
/// it may block it. Auto-block only ever blocks the remote side of a flow
/// this host (or a pod behind it) opened, once that side has answered:
///  - a flow opened from outside (its opening packet came in) would let any
///    host make the agent block its own node, with one spoofed datagram or a
///    connection to one of its services carrying a miner's login;
///  - a server that never sent a packet may not exist (a SYN to nowhere);
///  - the node's own addresses are never blocked, whatever the flow says.
/// A capture has no hooks: there the opener is the role's client.
std::optional<std::string> autoBlockRefusal(const judge::FlowRoles &roles, const minewatch_flow_value &value,
                                            PacketSource source, const std::set<net::Address> &own_addresses);

} // namespace minewatch::actions
