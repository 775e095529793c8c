// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/rule_book.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace minewatch::actions {

/// The rule book as saved between agent runs. The pinned maps keep what is
/// enforced (target, deadline, hits); this keeps the story BPF has no room
/// for (source, reason, when) and the allow rules, which live in no map.
struct SavedRuleBook {
  RuleBookState rules;
  /// Id of the pinned endpoint block map the book was written beside. A
  /// book whose maps are gone (a reboot, `rm -r` of the pins, another
  /// agent's leftovers) describes rules that no longer exist.
  std::uint32_t block_map_id = 0;
};

std::string toJson(const SavedRuleBook &book);
/// Throws std::invalid_argument when `text` is not a rule book. Entries
/// whose target does not parse are skipped.
SavedRuleBook parseRuleBook(const std::string &text);

/// Writes `book` to `path` so that a crash leaves the old file or the new
/// one, never half of either: a temp file beside it, fsync, rename, fsync
/// of the directory. Creates the directory. Throws std::system_error.
void saveRuleBook(const std::string &path, const SavedRuleBook &book);
/// The book at `path`; nullopt when there is none (warning stays empty)
/// or it cannot be read or parsed (warning says why).
std::optional<SavedRuleBook> loadRuleBook(const std::string &path, std::string &warning);

} // namespace minewatch::actions
