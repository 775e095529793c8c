// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Rule and intel lines on any text: rule targets (CLI and list-file syntax)
// round-trip through their canonical text, rule files and intel feeds skip
// what they cannot read and never throw.
#include "detect/intel_feed.hpp"
#include "lists/rule_files.hpp"
#include "rules/rule_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  (void)minewatch::lists::parseRules(text, "fuzz.rules");
  minewatch::detect::IntelFeed feed;
  (void)feed.loadText(text, "fuzz.feed");
  auto line = text.substr(0, text.find('\n'));
  if (auto target = minewatch::rules::parseRuleTarget(line)) {
    auto canonical = minewatch::rules::toString(*target);
    auto again = minewatch::rules::parseRuleTarget(canonical);
    if (!again || *again != *target)
      std::abort(); // the canonical text must parse back to the same rule
  }
  return 0;
}
