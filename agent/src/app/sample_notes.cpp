// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Payload samples -> facts on the flow (placeholder until the classifiers land).
#include "app/agent.hpp"

namespace minewatch::app {

void Agent::onSample(const minewatch_sample &sample) {
  ++counters_.samples;
  (void)sample;
}

} // namespace minewatch::app
