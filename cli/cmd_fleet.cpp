// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fleet-patch: turns what this node found into a rule for every node.
#include "commands.hpp"
#include "fleet/fleet_patch.hpp"

#include "control/control_client.hpp"
#include "rules/rule_target.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <memory>

namespace minewatch::cli {
using fleet::fleetPatch;
using fleet::FleetTarget;

namespace {
struct FleetArgs {
  std::string what;
  FleetTarget where;
};

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0)
    return "this node";
  return name;
}

/// A detection's server endpoint and the story of why it was flagged.
std::pair<std::string, std::string> fromDetection(const GlobalOptions &o, const std::string &flow) {
  auto detections = control::request(o.socket, {{"cmd", "detections"}});
  for (const auto &d : detections) {
    if (d.value("id", "") != flow)
      continue;
    const auto &f = d["flow"];
    auto proto = f.value("proto", "tcp");
    if (proto != "tcp" && proto != "udp")
      throw UsageError(fmt::format("flow {} is {}: only TCP and UDP endpoints can be blocked by port", flow, proto));
    auto address = f["dst"].get<std::string>();
    auto endpoint = net::endpointText(address, f["dport"].get<unsigned>()) + "/" + proto;
    std::string why;
    auto target = rules::parseRuleTarget(endpoint, &why);
    if (!target) // never a patch for something else than the flow's server
      throw UsageError(fmt::format("flow {}'s server {} cannot be written as a rule: {}", flow, endpoint, why));
    // The confirmer's finding, when there is one, says it best.
    std::string first_reason = d["reasons"].empty() ? "" : d["reasons"][0].get<std::string>();
    for (const auto &reason : d["reasons"])
      if (reason.get<std::string>().rfind("confirmed a pool", 0) == 0)
        first_reason = reason.get<std::string>();
    return {rules::toString(*target),
            fmt::format("{} {:.2f} on {} at {}: {}", d.value("verdict", ""), d.value("confidence", 0.0), hostName(),
                        d.value("detected_at", ""), first_reason)};
  }
  throw UsageError(fmt::format("'{}' is neither a rule target nor a detected flow (see minewatch detections)", flow));
}

/// Why to block a rule target an operator named: the agent's confirmation
/// of that endpoint when it has one (asked only if the agent answers).
std::string whyForTarget(const GlobalOptions &o, const std::string &rule) {
  std::string why = fmt::format("added by an operator on {}", hostName());
  try {
    auto confirmations = control::request(o.socket, {{"cmd", "confirmations"}});
    for (const auto &c : confirmations.is_array() ? confirmations : nlohmann::json::array())
      if (c.value("result", "") == "confirmed" && c.value("server", "") + "/tcp" == rule)
        return fmt::format("confirmed pool on {} at {}: {}", hostName(), c.value("probed_at", ""),
                           c.value("summary", ""));
  } catch (const std::exception &) {
    // no agent here: the operator's word is the reason
  }
  return why;
}
} // namespace

void setupFleet(CLI::App &app, const GlobalOptions &options) {
  auto args = std::make_shared<FleetArgs>();
  auto *cmd = app.add_subcommand(
      "fleet-patch", "print the kubectl patch that adds an endpoint to the cluster-wide blocklist ConfigMap\n"
                     "  every node's agent reloads it without a restart. Examples:\n"
                     "  minewatch fleet-patch 3409370e37c6            # a detected flow: blocks its server endpoint\n"
                     "  minewatch fleet-patch 198.51.100.7:3333/tcp   # a rule target\n"
                     "  minewatch fleet-patch 3409370e37c6 | sh       # apply it (needs kubectl and RBAC to patch)");
  cmd->add_option("TARGET_OR_FLOW", args->what,
                  "a rule target (CIDR or ADDR:PORT[/proto]) or a flow id from detections")
      ->required();
  cmd->add_option("--namespace", args->where.namespace_name, "the namespace minewatch is deployed in")
      ->capture_default_str();
  cmd->add_option("--configmap", args->where.configmap, "the fleet blocklist ConfigMap")->capture_default_str();
  cmd->callback([&options, args] {
    std::string rule, why;
    if (auto target = rules::parseRuleTarget(args->what)) {
      rule = rules::toString(*target);
      why = whyForTarget(options, rule);
    } else {
      std::tie(rule, why) = fromDetection(options, args->what);
    }
    auto patch = fleetPatch(rule, why, args->where);
    if (options.json)
      fmt::print("{}\n", patch.dump(2));
    else
      fmt::print("{}\n", patch["command"].get<std::string>());
  });
}

} // namespace minewatch::cli
