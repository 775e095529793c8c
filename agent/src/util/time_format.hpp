// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string>

namespace minewatch::util {

/// "2026-11-22T23:07:41.123Z" from ns since the Unix epoch.
std::string rfc3339(std::uint64_t wall_ns);

/// Nanoseconds since the epoch, now.
std::uint64_t wallNowNs();

/// Maps the data path's clock (CLOCK_MONOTONIC, or a capture's own
/// timestamps in replay) to wall time.
class TimeBase {
public:
  /// Live: measures the offset between CLOCK_REALTIME and CLOCK_MONOTONIC.
  static TimeBase live();
  /// Replay: the data-path clock already is wall time.
  static TimeBase identity() { return TimeBase(0); }

  [[nodiscard]] std::uint64_t toWall(std::uint64_t datapath_ns) const {
    return datapath_ns ? static_cast<std::uint64_t>(static_cast<std::int64_t>(datapath_ns) + offset_) : 0;
  }

private:
  explicit TimeBase(std::int64_t offset) : offset_(offset) {}
  std::int64_t offset_;
};

} // namespace minewatch::util
