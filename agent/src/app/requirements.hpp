// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>

namespace minewatch::app {

/// What this agent, with this config, needs from whoever runs it: Linux
/// capabilities, host paths, network, the HTTP port and probe paths, the
/// paths it watches and a memory estimate. `minewatch-agent --requirements`
/// prints it; the Kubernetes manifests are tested against it, so a manifest
/// that drifts from the code fails a test instead of a node.
nlohmann::json requirements(const config::AgentConfig &config, const std::string &config_path);

/// Bytes of memory the agent will use at most, in the kernel (BPF maps,
/// charged to its memory cgroup) and in its own heap. An estimate from the
/// map sizes and per-flow costs measured by bench/bench_agent.
std::uint64_t memoryEstimate(const config::AgentConfig &config);

} // namespace minewatch::app
