// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "api/agent_view.hpp"
#include "control/unix_server.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace minewatch::api {
class Agent;
}

namespace minewatch::api {

/// The control protocol: one JSON object a line in, one a line out.
///   {"cmd":"status"}
///   {"cmd":"flows","top":20,"sort":"bytes|packets|age"}
///   {"cmd":"detections"}
///   {"cmd":"explain","flow":"<id>"}
///   {"cmd":"block_add","target":"CIDR|ADDR:PORT[/proto]","ttl":3600}
///   {"cmd":"block_del","target":"..."}   {"cmd":"block_list","offset":0,"limit":100}
///   {"cmd":"allow_add","target":"..."}   {"cmd":"allow_del","target":"..."}
///   {"cmd":"allow_list","offset":0,"limit":100}
/// (offset and limit are optional: without them a list is whole.)
/// Answers: {"ok":true,"data":...} or {"ok":false,"error":"one sentence"}.
/// Anyone who can connect may read; the *_add and *_del commands need the
/// caller to be root or the agent's own user (see mayChangeRules).
/// `server`, when given, is reported under "control" in status.
/// Reads answer from `view`; rule changes go to `enforcer`.
std::string handleRequest(const AgentView &view, actions::Enforcer &enforcer, std::string_view line,
                          const control::Peer &peer, std::uint64_t now_ns,
                          const control::ServerStats *server = nullptr);

/// Rule changes can lift blocks, so group access to the socket is not
/// enough: only root and the agent's own uid may make them.
bool mayChangeRules(const control::Peer &peer);

} // namespace minewatch::api
