// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "lists/rule_files.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace minewatch::lists {

/// A configured path that cannot be read now and whose last good rules
/// stand in for it.
struct StaleSource {
  std::string path;
  std::uint64_t since_wall_ns = 0; // when it was first found unreadable
  std::string error;
  std::size_t rules_kept = 0;
};

/// Loads rule files path by path and keeps, for each configured path, the
/// rules it last gave when it could be read. A path that vanishes or cannot
/// be read (an unmounted volume, a ConfigMap deleted by mistake, a
/// permission slip) keeps those rules in force until it can be read again:
/// fail-safe, because lifting every block of a fleet is the worse mistake.
/// A path that reads fine but holds fewer lines is a real change.
class LastGoodRules {
public:
  /// Reads one configured path (loadRuleFiles({path}) in the agent).
  using Loader = std::function<RuleFileSet(const std::string &path)>;
  explicit LastGoodRules(Loader loader = defaultLoader());

  /// Every path's rules: fresh where readable, last good where not.
  RuleFileSet load(const std::vector<std::string> &paths, std::uint64_t wall_ns);
  /// The paths the last load() could not read.
  [[nodiscard]] std::vector<StaleSource> stale() const;
  [[nodiscard]] bool isStale(const std::string &path) const;

  static Loader defaultLoader();

private:
  struct Source {
    std::vector<RuleLine> rules; // last good
    bool stale = false;
    StaleSource state;
  };
  Loader loader_;
  std::map<std::string, Source> sources_;
};

} // namespace minewatch::lists
