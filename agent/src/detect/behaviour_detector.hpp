// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "detect/assessment.hpp"
#include "detect/flow_features.hpp"

#include <optional>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::detect {

struct BehaviourSettings {
  double min_duration_s = 120;      // long-lived
  double max_messages_per_min = 60; // low rate (client payload packets)
  double min_messages_per_min = 0.2;
  double min_psh_share = 0.8; // small PSH segments
  double min_stratum_size_share = 0.6;
  double min_regular_share = 0.5; // long gaps inside a 3-bucket window
};

/// What the behaviour detector measured, kept for `explain`.
struct BehaviourReport {
  double duration_s = 0;
  double client_messages_per_min = 0;
  double psh_share = 0;
  double stratum_size_share = 0; // payloads of 64-511 bytes, both directions
  double regular_share = 0;      // best direction
  std::vector<std::string> met;  // features satisfied, in words
  std::vector<std::string> unmet;
};

/// Mining's shape on the wire, from published measurements (signatures.md):
/// a long-lived TCP flow, both sides talking, small PSH segments in the size
/// band Stratum messages have (jobs 250-370 B, submits ~180 B, replies
/// ~65 B), at a low and regular rate. Keepalive protocols share most of this
/// shape but not the sizes, so the full weight needs all five; alone it
/// flags nothing (see kFullWeight).
class BehaviourDetector {
public:
  explicit BehaviourDetector(BehaviourSettings settings = {}) : settings_(settings) {}

  BehaviourReport measure(const FlowFeatures &flow) const;
  std::optional<Evidence> evaluate(const FlowFeatures &flow) const;

  // Below the "suspicious" line on their own: long-polling and heartbeats
  // over TLS have this very shape (the lab shows it). Behaviour adds to
  // other evidence (a pool port, no SNI, fan-in); it never flags alone.
  static constexpr double kFullWeight = 0.35;   // all features
  static constexpr double kPartialWeight = 0.2; // all but the size band

private:
  /// The five features, in measure()'s order, without the words: evaluate()
  /// runs on every changed flow every tick and words are needed for few.
  std::array<bool, 5> criteria(const FlowFeatures &flow, BehaviourReport &r, std::uint64_t &client_msgs,
                               std::uint64_t &server_msgs) const;

  BehaviourSettings settings_;
};

} // namespace minewatch::detect
