// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::detect {

/// Which detector gave a piece of evidence.
/// Confirmation: the agent asked the server in Stratum (agent/src/confirm/).
enum class Detector : std::uint8_t { Signature, Intel, Behaviour, Correlation, Rhythm, Confirmation };
inline constexpr std::array<Detector, 6> kDetectors = {Detector::Signature,   Detector::Intel,  Detector::Behaviour,
                                                       Detector::Correlation, Detector::Rhythm, Detector::Confirmation};

/// One reason to think a flow mines, from one detector, in words an operator
/// can check. weight is the detector's confidence in this reason alone (0-1).
struct Evidence {
  Detector detector = Detector::Signature;
  double weight = 0;
  std::string reason;
  std::uint64_t at_ns = 0; // data-path time of the packet it rests on (0: not known)
};

enum class Verdict : std::uint8_t { Clean, Suspicious, Mining };

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

/// When the assessment's verdict became true: the time of the piece of
/// evidence that, taken in time order, first lifted the confidence to the
/// verdict's threshold (0 when clean or no time is known).
std::uint64_t decidedAt(const Assessment &assessment, const Thresholds &thresholds);

const char *toString(Verdict verdict);
const char *toString(Detector detector);

} // namespace minewatch::detect
