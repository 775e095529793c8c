// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "judge/flow_roles.hpp"
#include "detect/assessment.hpp"
#include "detect/flow_features.hpp"

#include <cstdint>
#include <deque>
#include <string>

namespace minewatch::judge {

/// What the agent did about a detection.
enum class Action : std::uint8_t { Alert, WouldBlock, Blocked, Allowlisted, BlockRefused };
const char *toString(Action action); // alert | would-block | blocked | allowlisted | block-refused

/// A flow judged suspicious or mining, as `detections` lists it and
/// `explain` shows it, kept after the flow itself has gone.
struct Detection {
  minewatch_flow_key key{};
  std::string id;
  FlowRoles roles;
  detect::Assessment assessment;
  std::uint64_t first_seen_wall_ns = 0;
  std::uint64_t detected_at_wall_ns = 0;
  std::uint64_t detected_at_ns = 0; // data-path clock
  Action action = Action::Alert;
  std::string server_name;
  detect::FlowFeatures features; // as of the latest evaluation
};

/// The newest detections, bounded (the oldest are dropped and counted).
class DetectionLog {
public:
  explicit DetectionLog(std::size_t capacity = 10000) : capacity_(capacity) {}

  /// Adds a detection or updates the one for the same flow.
  Detection &record(const Detection &detection);
  [[nodiscard]] const Detection *find(const std::string &id) const;
  [[nodiscard]] const std::deque<Detection> &all() const { return entries_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

private:
  std::size_t capacity_;
  std::deque<Detection> entries_;
  std::uint64_t dropped_ = 0;
};

} // namespace minewatch::judge
