// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "export/ipfix_encoder.hpp"
#include "flows/flow_table.hpp"
#include "minewatch_abi.h"
#include "util/time_format.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace minewatch::ipfix {

/// What the agent concluded about a flow, for its record.
struct FlowLabels {
  std::uint8_t verdict = 0; // 0 clean, 1 suspicious, 2 mining
  double confidence = 0;
  std::string server_name, ja3, ja4, detectors;
};

/// Turns the sensor's flows into records as a flow meter does (RFC 5470):
/// one when a flow ends (idle or closed), and one each active_timeout for a
/// flow still going, each with the counts since the one before (delta
/// counts), so a collector that adds a flow's records gets the sensor's
/// totals. Only flows that had an active-timeout record are remembered.
class FlowMeter {
public:
  FlowMeter(std::uint64_t active_timeout_ns, util::TimeBase time_base)
      : active_ns_(active_timeout_ns), time_base_(time_base) {}

  /// The drain read this flow (with news, or over). ended: why it ends, if
  /// it does. A record when one is due, with the forward direction the
  /// initiator's (initiator_dir: index into value.dir).
  std::optional<FlowRecord> observe(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                    unsigned initiator_dir, const FlowLabels *labels, std::optional<EndReason> ended,
                                    std::uint64_t now_ns);
  /// Forgets flows not read for `quiet_ns` (gone from the kernel without a
  /// last read: the LRU made room), so the memory stays bounded.
  void forgetQuiet(std::uint64_t now_ns, std::uint64_t quiet_ns);
  [[nodiscard]] std::size_t remembered() const { return exported_.size(); }

private:
  struct Exported {
    std::uint64_t packets[MINEWATCH_DIRS]{}, bytes[MINEWATCH_DIRS]{};
    std::uint64_t at_ns = 0;        // when the last record went (data-path clock)
    std::uint64_t last_seen_ns = 0; // the flow's last packet then
  };
  std::uint64_t active_ns_;
  util::TimeBase time_base_;
  std::unordered_map<minewatch_flow_key, Exported, flows::KeyHash, flows::KeyEqual> exported_;
};

} // namespace minewatch::ipfix
