// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace minewatch::fleet {

/// Where the cluster-wide blocklist lives: a ConfigMap every node's agent
/// mounts as a directory (deploy/k8s), one key per rule, so that adding a
/// rule is a merge patch that never clashes with another node's.
struct FleetTarget {
  std::string namespace_name = "minewatch";
  std::string configmap = "minewatch-blocklist";
};

/// The ConfigMap key for a rule: its canonical text with every character a
/// key may not hold ([-._a-zA-Z0-9]) turned into '_'.
std::string fleetKey(const std::string &canonical_rule);

/// The patch that adds `canonical_rule` (with `why` as its comment) to the
/// fleet blocklist: {"namespace", "configmap", "key", "value", "patch",
/// "command"}, command being the kubectl line to run.
nlohmann::json fleetPatch(const std::string &canonical_rule, const std::string &why, const FleetTarget &where);

/// `text` quoted for a POSIX shell.
std::string shellQuote(const std::string &text);

} // namespace minewatch::fleet
