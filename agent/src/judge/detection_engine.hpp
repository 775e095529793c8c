// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "judge/flow_record.hpp"
#include "judge/flow_roles.hpp"
#include "config/agent_config.hpp"
#include "confirm/confirmation.hpp"
#include "detect/behaviour_detector.hpp"
#include "detect/correlation_detector.hpp"
#include "detect/intel_feed.hpp"
#include "detect/rhythm_detector.hpp"

#include <functional>
#include <vector>

namespace minewatch::judge {

/// Runs every detector over one flow and turns their evidence into a
/// verdict; remembers what it concluded for the correlation detector.
class DetectionEngine {
public:
  DetectionEngine(const config::AgentConfig &config, detect::IntelFeed intel);

  /// `sequence`: the flow's messages oriented by role (TCP), or null.
  detect::Assessment evaluate(const FlowRoles &roles, const detect::FlowFeatures &features, const FlowFacts *known,
                              const detect::MessageSequence *sequence = nullptr) const;
  /// Feeds a conclusion back: pairs seen mining taint their later flows,
  /// mining-shaped clients count towards their server's fan-in.
  void learn(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns);

  [[nodiscard]] detect::BehaviourReport behaviour(const detect::FlowFeatures &features) const {
    return behaviour_.measure(features);
  }
  [[nodiscard]] detect::RhythmFeatures rhythm(const detect::MessageSequence &sequence) const {
    return rhythm_.measure(sequence);
  }
  [[nodiscard]] const detect::IntelFeed &intel() const { return intel_; }
  [[nodiscard]] const detect::Thresholds &thresholds() const { return thresholds_; }
  void replaceIntel(detect::IntelFeed intel) { intel_ = std::move(intel); }
  [[nodiscard]] const detect::CorrelationDetector &correlation() const { return correlation_; }
  /// Where the engine reads what asking a server in Stratum showed (the
  /// confirmer's results; null or empty: none): a confirmed pool makes
  /// every flow to it mining; a refuted server's flows carry the refutation
  /// (no weight) so the operator sees why they stay suspicious.
  using ConfirmationLookup = std::function<const confirm::Confirmation *(const datapath::Endpoint &server)>;
  void setConfirmations(ConfirmationLookup lookup) { confirmations_ = std::move(lookup); }

  static constexpr double kSignatureWeight = 0.95;
  static constexpr double kIntelWeight = 0.8;
  static constexpr double kPortWeight = 0.15;
  static constexpr double kNoSniWeight = 0.15;
  static constexpr double kConfirmedWeight = 0.95;

private:
  detect::Thresholds thresholds_;
  detect::IntelFeed intel_;
  detect::BehaviourDetector behaviour_;
  detect::CorrelationDetector correlation_;
  detect::RhythmDetector rhythm_;
  ConfirmationLookup confirmations_;
};

} // namespace minewatch::judge
