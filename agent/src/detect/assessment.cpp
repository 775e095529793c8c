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

const char *toString(Verdict verdict) {
  switch (verdict) {
  case Verdict::Clean: return "clean";
  case Verdict::Suspicious: return "suspicious";
  case Verdict::Mining: return "mining";
  }
  return "clean";
}

} // namespace minewatch::detect
