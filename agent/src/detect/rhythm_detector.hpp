// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "detect/assessment.hpp"
#include "detect/message_sequence.hpp"
#include "detect/rhythm_features.hpp"

#include <optional>

namespace minewatch::detect {

/// Encrypted Stratum told apart from other long-lived streams by the shape
/// of its conversation, not its bytes: the pool pushes jobs nobody answers,
/// at its own rhythm; the miner sends shares the pool answers at once with
/// a small result. Pure: a sequence in, evidence out; no state between calls.
class RhythmDetector {
public:
  explicit RhythmDetector(RhythmSettings settings = {}) : settings_(settings) {}

  /// The features, always (for `explain`), enough conversation or not.
  [[nodiscard]] RhythmFeatures measure(const MessageSequence &messages) const {
    return measureRhythm(messages, settings_);
  }
  /// Evidence only with enough conversation and the pairing pattern; its
  /// weight from kRhythmWeights, its reason the numbers an operator checks.
  [[nodiscard]] std::optional<Evidence> evaluate(const MessageSequence &messages) const;
  [[nodiscard]] std::optional<Evidence> evidenceOf(const RhythmFeatures &features) const;

  static double weightOf(const RhythmFeatures &features);

private:
  RhythmSettings settings_;
};

} // namespace minewatch::detect
