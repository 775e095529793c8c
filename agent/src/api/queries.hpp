// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "api/agent_view.hpp"
#include "control/request.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace minewatch::api {

// The agent's answers to the control API (see control_commands.hpp), each
// from the view alone. Errors are std::invalid_argument with a sentence
// meant for the operator.

using control::FlowSort;

nlohmann::json status(const AgentView &view, std::uint64_t now_ns);
/// The `top` flows (0: all) by `sort`, as of the last drain.
nlohmann::json flows(const AgentView &view, std::size_t top, FlowSort sort, std::uint64_t now_ns);
nlohmann::json detections(const AgentView &view);
/// What the confirmer knows: one entry per server endpoint it probed
/// (null when it is off).
nlohmann::json confirmations(const AgentView &view);
/// Throws std::invalid_argument for an id no flow or detection has.
nlohmann::json explain(const AgentView &view, const std::string &flow);

/// The rules one at a time, in list order, skipping `offset` and giving at
/// most `limit`: a long list is answered without building it whole.
using JsonSink = std::function<void(const nlohmann::json &)>;
void forEachBlock(const AgentView &view, std::uint64_t now_ns, std::uint64_t offset, std::optional<std::uint64_t> limit,
                  const JsonSink &sink);
void forEachAllow(const AgentView &view, std::uint64_t offset, std::optional<std::uint64_t> limit,
                  const JsonSink &sink);
nlohmann::json blockList(const AgentView &view, std::uint64_t now_ns);
nlohmann::json allowList(const AgentView &view);

/// The Prometheus page (metrics_page.cpp).
std::string metricsText(const AgentView &view, std::uint64_t now_ns);
/// Server endpoints with suspicious or mining flows, capped (the fleet
/// alert's input; see judge::topSuspectServers).
judge::SuspectServers suspectServers(const AgentView &view, std::uint64_t now_ns);

} // namespace minewatch::api
