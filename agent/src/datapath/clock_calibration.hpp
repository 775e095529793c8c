// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <cstdint>
#include <optional>
#include <span>

namespace minewatch::datapath {

/// How the programs turn jiffies into CLOCK_MONOTONIC nanoseconds (see
/// minewatch_globals.clock_tick_ns): now = jiffies * tick_ns + offset_ns.
struct JiffiesClock {
  std::uint64_t tick_ns = 0;
  std::uint64_t offset_ns = 0; // modulo 2^64: it is usually "negative"

  [[nodiscard]] std::uint64_t at(std::uint64_t jiffies) const { return jiffies * tick_ns + offset_ns; }
};

/// The exact tick length (TICK_NSEC, rounded as the kernel rounds it) of
/// the tick rate kernels are built with that `measured_hz` is within 1 % of;
/// nothing when there is none: an inexact tick would make the clock drift
/// by the error, every second.
std::optional<std::uint64_t> tickNsNear(double measured_hz);

/// The jiffies clock from probe samples taken a millisecond or so apart
/// over several ticks. A sample pairs a jiffies count with the coarse time
/// of the tick that set it, except when the probe ran between the two
/// updates of one tick (new jiffies, old time): so only samples another
/// sample repeats exactly are trusted. Nothing when the trusted ones span
/// fewer than 4 ticks or show a rate no kernel has.
std::optional<JiffiesClock> calibrateJiffies(std::span<const minewatch_clock_sample> samples);

/// Whether a later sample still agrees with the clock within one tick.
bool clockAgrees(const JiffiesClock &clock, const minewatch_clock_sample &sample);

} // namespace minewatch::datapath
