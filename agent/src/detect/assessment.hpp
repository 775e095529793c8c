// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <string>
#include <vector>

namespace minewatch::detect {

/// One reason to think a flow mines, from one detector, in words an operator
/// can check. weight is the detector's confidence in this reason alone (0-1).
struct Evidence {
  std::string detector; // signature | intel | behaviour | correlation
  double weight = 0;
  std::string reason;
};

enum class Verdict { Clean, Suspicious, Mining };

struct Assessment {
  Verdict verdict = Verdict::Clean;
  double confidence = 0;
  std::vector<Evidence> evidence;
};

struct Thresholds {
  double suspicious = 0.4;
  double mining = 0.8;
};

/// Combines independent pieces of evidence as a noisy OR: confidence is the
/// chance that at least one reason is right, 1 - prod(1 - w). Two weak hints
/// add up; no pile of weak hints reaches certainty.
Assessment assess(std::vector<Evidence> evidence, const Thresholds &thresholds);

const char *toString(Verdict verdict);

} // namespace minewatch::detect
