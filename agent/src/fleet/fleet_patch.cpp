// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "fleet/fleet_patch.hpp"

#include <fmt/format.h>

namespace minewatch::fleet {

std::string fleetKey(const std::string &canonical_rule) {
  std::string key;
  for (char c : canonical_rule) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    key += ok ? c : '_';
  }
  return key;
}

std::string shellQuote(const std::string &text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

nlohmann::json fleetPatch(const std::string &canonical_rule, const std::string &why, const FleetTarget &where) {
  // One line: a newline in the reason would start a second, bogus rule.
  std::string reason;
  for (char c : why)
    reason += (c == '\n' || c == '\r') ? ' ' : c;
  auto key = fleetKey(canonical_rule);
  auto value = reason.empty() ? canonical_rule : canonical_rule + "  # " + reason;
  nlohmann::json patch = {{"data", {{key, value}}}};
  auto command = fmt::format("kubectl -n {} patch configmap {} --type merge -p {}", shellQuote(where.namespace_name),
                             shellQuote(where.configmap), shellQuote(patch.dump()));
  return {{"namespace", where.namespace_name},
          {"configmap", where.configmap},
          {"key", key},
          {"value", value},
          {"patch", patch},
          {"command", command}};
}

} // namespace minewatch::fleet
