// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/rhythm_detector.hpp"

#include "detect/rhythm_weights.hpp"

#include <fmt/format.h>

namespace minewatch::detect {

namespace {
std::string range(std::uint32_t lo, std::uint32_t hi) {
  return lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi);
}

std::string seconds(std::uint32_t lo_ms, std::uint32_t hi_ms) {
  auto lo = (lo_ms + 500) / 1000, hi = (hi_ms + 500) / 1000;
  return lo == hi ? fmt::format("{} s", lo) : fmt::format("{}-{} s", lo, hi);
}
} // namespace

double RhythmDetector::weightOf(const RhythmFeatures &f) {
  unsigned index = (f.intervals ? 1u : 0u) | (f.sizes ? 2u : 0u) | (f.balance ? 4u : 0u);
  return kRhythmWeights[index];
}

std::optional<Evidence> RhythmDetector::evaluate(const MessageSequence &messages) const {
  return evidenceOf(measure(messages));
}

std::optional<Evidence> RhythmDetector::evidenceOf(const RhythmFeatures &f) const {
  if (!f.enough || !f.pairing)
    return std::nullopt;
  // e.g. "7 of 8 server pushes left unanswered, every 31-44 s, 310-520 B;
  // 5 of 5 client messages of 190-260 B answered in 42-61 ms (RTT 40 ms) by 85-110 B; up/down 0.92"
  std::string reason = fmt::format(
      "Stratum-like rhythm: {} of {} server pushes left unanswered, every {}, {} B; {} of {} client messages of {} B "
      "answered in {} ms (RTT {} ms) by {} B; up/down {:.2f}",
      f.unanswered_pushes, f.pushes, seconds(f.push_interval_min_ms, f.push_interval_max_ms),
      range(f.push_bytes_min, f.push_bytes_max), f.answered_requests, f.requests,
      range(f.request_bytes_min, f.request_bytes_max), range(f.answer_gap_min_ms, f.answer_gap_max_ms), f.rtt_ms,
      range(f.reply_bytes_min, f.reply_bytes_max), f.up_down);
  std::string missing;
  auto lack = [&](bool met, const std::string &words) {
    if (!met)
      missing += (missing.empty() ? "" : ", ") + words;
  };
  const auto &s = settings_;
  lack(f.intervals, fmt::format("push intervals outside {}", seconds(s.push_interval_min_ms, s.push_interval_max_ms)));
  lack(f.sizes, "sizes outside Stratum's bands");
  lack(f.balance, fmt::format("up/down outside {}-{}", s.min_up_down, s.max_up_down));
  if (!missing.empty())
    reason += " (but " + missing + ")";
  return Evidence{Detector::Rhythm, weightOf(f), std::move(reason)};
}

} // namespace minewatch::detect
