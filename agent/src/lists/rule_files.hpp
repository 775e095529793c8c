// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "rules/rule_target.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace minewatch::lists {

/// One rule from a rule file, and where it came from.
struct RuleLine {
  rules::RuleTarget target;
  std::string origin;  // "FILE:LINE"
  std::string comment; // the text after '#', trimmed: why it is listed
};

/// Block or allow rules from files: one target per line (CIDR or
/// ADDR:PORT[/tcp|udp], the syntax of the CLI), '#' starts a comment.
/// A bad line is reported and skipped, never fatal: one typo in a fleet
/// list must not drop every other rule on every node.
struct RuleFileSet {
  std::vector<RuleLine> rules;
  std::vector<std::string> errors;     // "FILE:LINE: why"
  std::vector<std::string> unreadable; // the errors that are a path or file that could not be read
  std::size_t files = 0;
};

RuleFileSet parseRules(std::string_view text, const std::string &origin);
/// Every file behind `paths` (see expandPaths); unreadable paths are errors.
RuleFileSet loadRuleFiles(const std::vector<std::string> &paths);

} // namespace minewatch::lists
