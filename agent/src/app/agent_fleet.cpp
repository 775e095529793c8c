// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fleet_share: the agent's own confirmed pools, sent to every node through
// the fleet blocklist ConfigMap. The patcher does the talking on its own
// thread; here the loop hands it rules and reports what it did.
#include "app/agent.hpp"

#include <unistd.h>

namespace minewatch::app {

namespace {
std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0)
    return "a node";
  return name;
}
} // namespace

void Agent::shareBlock(const rules::RuleTarget &target, const std::string &reason) {
  // Called only for auto-blocks of confirmed mining (act): an operator's,
  // the config's or a file's rule is never shared, and neither is a removal
  // or an expiry — the shared rule outlives this node's TTL on purpose
  // (the fleet list is the operators' to prune).
  if (!fleet_)
    return;
  fleet_->share(rules::toString(target), "mining, auto-blocked on " + hostName() + ": " + reason);
}

void Agent::collectFleetShare() {
  if (!fleet_)
    return;
  for (const auto &o : fleet_->takeOutcomes()) {
    ++fleet_share_by_result_[o.result];
    nlohmann::json event = {
        {"event", "fleet_share"}, {"rule", o.rule}, {"result", o.result}, {"attempt", o.attempt}, {"final", o.final}};
    if (o.status)
      event["status"] = o.status;
    if (!o.detail.empty())
      event["detail"] = o.detail;
    events_.write(event);
  }
}

} // namespace minewatch::app
