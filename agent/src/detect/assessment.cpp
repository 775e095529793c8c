// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/assessment.hpp"

#include <algorithm>

namespace minewatch::detect {

Assessment assess(std::vector<Evidence> evidence, const Thresholds &thresholds) {
  double doubt = 1.0;
  for (const auto &e : evidence)
    doubt *= 1.0 - std::clamp(e.weight, 0.0, 1.0);
  Assessment a;
  a.confidence = 1.0 - doubt;
  a.verdict = a.confidence >= thresholds.mining       ? Verdict::Mining
              : a.confidence >= thresholds.suspicious ? Verdict::Suspicious
                                                      : Verdict::Clean;
  std::stable_sort(evidence.begin(), evidence.end(), [](const auto &x, const auto &y) { return x.weight > y.weight; });
  a.evidence = std::move(evidence);
  return a;
}

std::uint64_t decidedAt(const Assessment &assessment, const Thresholds &thresholds) {
  if (assessment.verdict == Verdict::Clean)
    return 0;
  double needed = assessment.verdict == Verdict::Mining ? thresholds.mining : thresholds.suspicious;
  std::vector<const Evidence *> by_time;
  for (const auto &e : assessment.evidence)
    by_time.push_back(&e);
  std::stable_sort(by_time.begin(), by_time.end(), [](const auto *a, const auto *b) { return a->at_ns < b->at_ns; });
  double doubt = 1.0;
  for (const auto *e : by_time) {
    doubt *= 1.0 - std::clamp(e->weight, 0.0, 1.0);
    if (1.0 - doubt >= needed)
      return e->at_ns;
  }
  return by_time.empty() ? 0 : by_time.back()->at_ns;
}

const char *toString(Verdict verdict) {
  switch (verdict) {
  case Verdict::Clean: return "clean";
  case Verdict::Suspicious: return "suspicious";
  case Verdict::Mining: return "mining";
  }
  return "clean";
}

const char *toString(Detector detector) {
  switch (detector) {
  case Detector::Signature: return "signature";
  case Detector::Intel: return "intel";
  case Detector::Behaviour: return "behaviour";
  case Detector::Correlation: return "correlation";
  case Detector::Rhythm: return "rhythm";
  case Detector::Confirmation: return "confirmation";
  }
  return "signature";
}

} // namespace minewatch::detect
