// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lists/rule_files.hpp"

#include "lists/watched_files.hpp"
#include "util/text_lines.hpp"

namespace minewatch::lists {

namespace {
std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}
} // namespace

RuleFileSet parseRules(std::string_view text, const std::string &origin) {
  RuleFileSet out;
  out.files = 1;
  util::forEachLine(text, [&](std::string_view line, std::size_t line_no) {
    std::string_view comment;
    if (auto hash = line.find('#'); hash != std::string_view::npos) {
      comment = trim(line.substr(hash + 1));
      line = line.substr(0, hash);
    }
    line = trim(line);
    if (line.empty())
      return;
    auto where = origin + ":" + std::to_string(line_no);
    std::string why;
    if (auto target = rules::parseRuleTarget(line, &why))
      out.rules.push_back({*target, where, std::string(comment)});
    else
      out.errors.push_back(where + ": " + why);
  });
  return out;
}

RuleFileSet loadRuleFiles(const std::vector<std::string> &paths) {
  RuleFileSet out;
  auto expanded = expandPaths(paths);
  out.errors = expanded.errors;
  out.errors.insert(out.errors.end(), expanded.skipped.begin(), expanded.skipped.end());
  out.unreadable = expanded.errors;
  for (const auto &file : expanded.files) {
    std::string text, error;
    if (!readText(file, text, error)) {
      out.errors.push_back(error);
      out.unreadable.push_back(error);
      continue;
    }
    auto one = parseRules(text, file);
    out.rules.insert(out.rules.end(), one.rules.begin(), one.rules.end());
    out.errors.insert(out.errors.end(), one.errors.begin(), one.errors.end());
    ++out.files;
  }
  return out;
}

} // namespace minewatch::lists
