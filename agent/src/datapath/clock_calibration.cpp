// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/clock_calibration.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace minewatch::datapath {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;
// Every CONFIG_HZ the kernel's Kconfig offers on the architectures we build
// for (x86: 100/250/300/1000; arm64 and others add the rest).
constexpr std::array<std::uint64_t, 12> kTickRates{24, 32, 48, 64, 100, 128, 200, 250, 256, 300, 500, 1000};
// Tick handler latency varies by microseconds; over this many ticks the
// measured rate is well within 1 % of the true one (250 and 256 Hz are 2.4 %
// apart, the closest pair).
constexpr std::uint64_t kMinTicks = 4;
constexpr double kTolerance = 0.01;

bool sameSample(const minewatch_clock_sample &a, const minewatch_clock_sample &b) {
  return a.jiffies == b.jiffies && a.coarse_ns == b.coarse_ns;
}
} // namespace

std::optional<std::uint64_t> tickNsNear(double measured_hz) {
  for (auto hz : kTickRates) {
    if (std::fabs(measured_hz - static_cast<double>(hz)) <= static_cast<double>(hz) * kTolerance)
      return (kNsPerSec + hz / 2) / hz;
  }
  return std::nullopt;
}

std::optional<JiffiesClock> calibrateJiffies(std::span<const minewatch_clock_sample> samples) {
  // Trusted: the samples taken at least twice, once each. Sorted, repeats
  // are neighbours (the caller retries with more samples, so no pass over
  // every pair).
  std::vector<minewatch_clock_sample> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto &a, const auto &b) {
    return a.jiffies != b.jiffies ? a.jiffies < b.jiffies : a.coarse_ns < b.coarse_ns;
  });
  std::vector<minewatch_clock_sample> trusted;
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sameSample(sorted[i - 1], sorted[i]) && (trusted.empty() || !sameSample(trusted.back(), sorted[i])))
      trusted.push_back(sorted[i]);
  }
  if (trusted.size() < 2)
    return std::nullopt;
  auto [lo, hi] = std::minmax_element(trusted.begin(), trusted.end(),
                                      [](const auto &a, const auto &b) { return a.jiffies < b.jiffies; });
  if (hi->jiffies < lo->jiffies + kMinTicks || hi->coarse_ns <= lo->coarse_ns)
    return std::nullopt;
  double hz = static_cast<double>(hi->jiffies - lo->jiffies) * static_cast<double>(kNsPerSec) /
              static_cast<double>(hi->coarse_ns - lo->coarse_ns);
  auto tick = tickNsNear(hz);
  if (!tick)
    return std::nullopt;
  JiffiesClock clock{*tick, trusted.front().coarse_ns - trusted.front().jiffies * *tick};
  for (const auto &s : trusted) {
    std::uint64_t offset = s.coarse_ns - s.jiffies * *tick;
    // signed difference: offsets are near one another but may straddle 0
    if (static_cast<std::int64_t>(offset - clock.offset_ns) > 0)
      clock.offset_ns = offset;
  }
  return clock;
}

bool clockAgrees(const JiffiesClock &clock, const minewatch_clock_sample &sample) {
  auto diff = static_cast<std::int64_t>(sample.coarse_ns - clock.at(sample.jiffies));
  auto tick = static_cast<std::int64_t>(clock.tick_ns);
  return diff > -tick && diff < tick;
}

} // namespace minewatch::datapath
