// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "app/flow_notes.hpp"
#include "app/flow_roles.hpp"
#include "config/agent_config.hpp"
#include "detect/behaviour_detector.hpp"
#include "detect/correlation_detector.hpp"
#include "detect/intel_feed.hpp"

#include <vector>

namespace minewatch::app {

/// Loads the config's intel feeds (files, or directories of them) and ports.
/// Feed lines that are not entries are skipped; each feed's counts go to
/// `notes`. Throws when a feed cannot be read (a missing feed is a config
/// mistake, not something to ignore).
detect::IntelFeed loadIntel(const config::AgentConfig &config, std::vector<std::string> &notes);
/// The same for a reload: unreadable paths land in `errors`, never thrown.
detect::IntelFeed reloadIntel(const config::AgentConfig &config, std::vector<std::string> &notes,
                              std::vector<std::string> &errors);

/// Runs every detector over one flow and turns their evidence into a
/// verdict; remembers what it concluded for the correlation detector.
class DetectionEngine {
public:
  DetectionEngine(const config::AgentConfig &config, detect::IntelFeed intel);

  detect::Assessment evaluate(const FlowRoles &roles, const detect::FlowFeatures &features,
                              const FlowNotes *notes) const;
  /// Feeds a conclusion back: pairs seen mining taint their later flows,
  /// mining-shaped clients count towards their server's fan-in.
  void learn(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns);

  [[nodiscard]] detect::BehaviourReport behaviour(const detect::FlowFeatures &features) const {
    return behaviour_.measure(features);
  }
  [[nodiscard]] const detect::IntelFeed &intel() const { return intel_; }
  void replaceIntel(detect::IntelFeed intel) { intel_ = std::move(intel); }
  [[nodiscard]] const detect::CorrelationDetector &correlation() const { return correlation_; }

  static constexpr double kSignatureWeight = 0.95;
  static constexpr double kIntelWeight = 0.8;
  static constexpr double kPortWeight = 0.15;
  static constexpr double kNoSniWeight = 0.15;

private:
  detect::Thresholds thresholds_;
  detect::IntelFeed intel_;
  detect::BehaviourDetector behaviour_;
  detect::CorrelationDetector correlation_;
};

} // namespace minewatch::app
