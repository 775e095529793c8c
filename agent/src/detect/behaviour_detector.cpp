// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/behaviour_detector.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace minewatch::detect {

namespace {
constexpr unsigned kStratumFirstBucket = 7; // 64 B
constexpr unsigned kStratumLastBucket = 9;  // 511 B
// Gaps from 2^28 ns (~0.27 s) up count as "message gaps"; shorter ones are
// ACKs and segments of one burst.
constexpr unsigned kLongGapFirstBucket = 18;

double regularity(const DirectionFeatures &d) {
  std::uint64_t total = 0, best = 0;
  for (unsigned b = kLongGapFirstBucket; b < MINEWATCH_IAT_BUCKETS; ++b)
    total += d.iat_hist[b];
  if (total < 3)
    return 0;
  for (unsigned b = kLongGapFirstBucket; b + 2 < MINEWATCH_IAT_BUCKETS; ++b)
    best = std::max<std::uint64_t>(best, std::uint64_t{d.iat_hist[b]} + d.iat_hist[b + 1] + d.iat_hist[b + 2]);
  return static_cast<double>(best) / static_cast<double>(total);
}

std::uint64_t inStratumBand(const DirectionFeatures &d) {
  std::uint64_t n = 0;
  for (unsigned b = kStratumFirstBucket; b <= kStratumLastBucket; ++b)
    n += d.size_hist[b];
  return n;
}
} // namespace

std::array<bool, 5> BehaviourDetector::criteria(const FlowFeatures &flow, BehaviourReport &r,
                                                std::uint64_t &client_msgs, std::uint64_t &server_msgs) const {
  r.duration_s = static_cast<double>(flow.durationNs()) / 1e9;
  client_msgs = flow.client.payloadPackets();
  server_msgs = flow.server.payloadPackets();
  double minutes = r.duration_s / 60.0;
  r.client_messages_per_min = minutes > 0 ? static_cast<double>(client_msgs) / minutes : 0;
  r.psh_share = client_msgs ? static_cast<double>(flow.client.psh_packets) / static_cast<double>(client_msgs) : 0;
  auto msgs = client_msgs + server_msgs;
  r.stratum_size_share =
      msgs ? static_cast<double>(inStratumBand(flow.client) + inStratumBand(flow.server)) / static_cast<double>(msgs)
           : 0;
  r.regular_share = std::max(regularity(flow.client), regularity(flow.server));
  return {r.duration_s >= settings_.min_duration_s, client_msgs >= 2 && server_msgs >= 2,
          flow.proto == 6 && r.psh_share >= settings_.min_psh_share,
          r.client_messages_per_min >= settings_.min_messages_per_min &&
              r.client_messages_per_min <= settings_.max_messages_per_min &&
              r.regular_share >= settings_.min_regular_share,
          r.stratum_size_share >= settings_.min_stratum_size_share};
}

BehaviourReport BehaviourDetector::measure(const FlowFeatures &flow) const {
  BehaviourReport r;
  std::uint64_t client_msgs = 0, server_msgs = 0;
  auto ok = criteria(flow, r, client_msgs, server_msgs);
  auto check = [&](bool met, std::string words) { (met ? r.met : r.unmet).push_back(std::move(words)); };
  check(ok[0], fmt::format("long-lived ({:.0f} s)", r.duration_s));
  check(ok[1], fmt::format("both sides send messages ({} up, {} down)", client_msgs, server_msgs));
  check(ok[2], fmt::format("small PSH segments ({:.0f}% of client messages pushed)", r.psh_share * 100));
  check(ok[3], fmt::format("low, regular message rate ({:.1f}/min, {:.0f}% of gaps alike)", r.client_messages_per_min,
                           r.regular_share * 100));
  check(ok[4], fmt::format("message sizes of Stratum ({:.0f}% of payloads 64-511 B)", r.stratum_size_share * 100));
  return r;
}

std::optional<Evidence> BehaviourDetector::evaluate(const FlowFeatures &flow) const {
  BehaviourReport numbers;
  std::uint64_t client_msgs = 0, server_msgs = 0;
  auto ok = criteria(flow, numbers, client_msgs, server_msgs);
  // Evidence needs the first four; only then are the words worth making.
  if (!(ok[0] && ok[1] && ok[2] && ok[3]))
    return std::nullopt;
  auto r = measure(flow);
  auto joined = [](const std::vector<std::string> &parts) {
    std::string out;
    for (const auto &p : parts)
      out += (out.empty() ? "" : ", ") + p;
    return out;
  };
  if (r.unmet.empty())
    return Evidence{Detector::Behaviour, kFullWeight, "behaves like a mining session: " + joined(r.met)};
  bool only_sizes_missing = r.unmet.size() == 1 && r.unmet.front().rfind("message sizes", 0) == 0;
  if (only_sizes_missing)
    return Evidence{Detector::Behaviour, kPartialWeight,
                    "keepalive-like session: " + joined(r.met) + "; but not " + r.unmet.front()};
  return std::nullopt;
}

} // namespace minewatch::detect
