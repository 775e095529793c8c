// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's side of IPFIX export: what it knows of a flow, as labels.
#include "app/agent.hpp"

#include "app/flow_roles.hpp"

#include <set>

namespace minewatch::app {

void Agent::exportFlow(const minewatch_flow_key &key, const minewatch_flow_value &value,
                       std::optional<ipfix::EndReason> ended, std::uint64_t now_ns) {
  ipfix::FlowLabels labels;
  const ipfix::FlowLabels *have = nullptr;
  if (const auto *record = table_.find(key); record && record->notes) {
    const auto &notes = *record->notes;
    labels.verdict = static_cast<std::uint8_t>(notes.assessment.verdict);
    labels.confidence = notes.assessment.confidence;
    labels.server_name = notes.server_name;
    labels.ja3 = notes.tls_fingerprint;
    if (notes.tls_hello)
      labels.ja4 = notes.tls_hello->ja4;
    std::set<std::string> detectors;
    for (const auto &e : notes.assessment.evidence)
      detectors.insert(e.detector);
    for (const auto &d : detectors)
      labels.detectors += (labels.detectors.empty() ? "" : ",") + d;
    have = &labels;
  }
  export_->onFlow(key, value, rolesOf(key, value).client_dir, have, ended, now_ns);
}

} // namespace minewatch::app
