// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/confirm_trigger.hpp"

#include <algorithm>

namespace minewatch::confirm {

bool worthConfirming(config::ConfirmConfig::When when, const detect::Assessment &assessment, bool tls) {
  using detect::Detector;
  const auto &evidence = assessment.evidence;
  auto has = [&](Detector d) {
    return std::any_of(evidence.begin(), evidence.end(),
                       [d](const detect::Evidence &e) { return e.detector == d && e.weight > 0; });
  };
  if (assessment.verdict == detect::Verdict::Mining ||
      std::any_of(evidence.begin(), evidence.end(),
                  [](const detect::Evidence &e) { return e.detector == Detector::Confirmation; }))
    return false;
  if (when == config::ConfirmConfig::When::Evidence)
    return std::any_of(evidence.begin(), evidence.end(), [](const detect::Evidence &e) { return e.weight > 0; });
  if (assessment.verdict == detect::Verdict::Suspicious)
    return true;
  return tls && (has(Detector::Rhythm) || has(Detector::Behaviour)) && !has(Detector::Intel);
}

} // namespace minewatch::confirm
