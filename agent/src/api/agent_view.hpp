// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/enforcer.hpp"
#include "config/agent_config.hpp"
#include "confirm/confirmer.hpp"
#include "datapath/datapath_info.hpp"
#include "drain/flow_drain.hpp"
#include "export/flow_export.hpp"
#include "judge/judge.hpp"
#include "lists/list_sync.hpp"
#include "util/time_format.hpp"

#include <array>
#include <cstdint>

namespace minewatch::api {

/// Tick times, as a Prometheus histogram: bucket bounds in seconds, counts
/// per bucket (not cumulative), the last one for anything slower.
struct DrainHistogram {
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  double sum_s = 0;
  void observe(double seconds);
};

/// The agent as the API sees it: read-only, and as of the last tick. The
/// event loop changes these parts only inside a tick or a rule command,
/// and answers requests between them on the same thread, so an answer never
/// sees a half-done tick. Nothing the API reads here goes to the kernel's
/// flow or stats maps: the drain read them at the tick.
struct AgentView {
  const config::AgentConfig &config;
  const datapath::DatapathInfo &datapath;
  const drain::FlowDrain &drain;
  const judge::Judge &judge;
  const actions::Enforcer &enforcer;
  const lists::ListSync &lists;
  const ipfix::FlowExport *flow_export; // null: export off
  const confirm::Confirmer *confirmer;  // null: confirm.mode off, or a capture
  const DrainHistogram &tick_times;
  std::uint64_t ticks;
  std::uint64_t interface_lost;
  std::uint64_t started_wall_ns;
  util::TimeBase time_base;
};

} // namespace minewatch::api
