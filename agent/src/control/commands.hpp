// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace minewatch::app {
class Agent;
}

namespace minewatch::control {

/// The control protocol: one JSON object a line in, one a line out.
///   {"cmd":"status"}
///   {"cmd":"flows","top":20,"sort":"bytes|packets|age"}
///   {"cmd":"detections"}
///   {"cmd":"explain","flow":"<id>"}
///   {"cmd":"block_add","target":"CIDR|ADDR:PORT[/proto]","ttl":3600}
///   {"cmd":"block_del","target":"..."}   {"cmd":"block_list"}
///   {"cmd":"allow_add","target":"..."}   {"cmd":"allow_del","target":"..."}
///   {"cmd":"allow_list"}
/// Answers: {"ok":true,"data":...} or {"ok":false,"error":"one sentence"}.
std::string handleRequest(app::Agent &agent, const std::string &line, std::uint64_t now_ns);

} // namespace minewatch::control
