// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/autoblock_guard.hpp"

namespace minewatch::actions {

std::optional<std::string> autoBlockRefusal(const judge::FlowRoles &roles, const minewatch_flow_value &value,
                                            PacketSource source, const std::set<net::Address> &own_addresses) {
  if (source == PacketSource::Live) {
    if (!(value.flags & MINEWATCH_FLOW_OPENED_OUTBOUND))
      return "the flow was opened from outside: only servers this host connects to are auto-blocked";
    if (roles.client_dir != value.initiator)
      return "the flow's client is not the side that opened it";
  }
  if (value.dir[roles.client_dir ^ 1u].packets == 0)
    return "the server has not answered";
  if (own_addresses.count(roles.server.address))
    return "the server is one of this host's own addresses";
  return std::nullopt;
}

} // namespace minewatch::actions
