// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/enforcer.hpp"
#include "actions/event_log.hpp"
#include "config/agent_config.hpp"
#include "detect/intel_feed.hpp"
#include "lists/last_good_rules.hpp"
#include "lists/rule_files.hpp"
#include "rules/rule_target.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace minewatch::lists {

/// What a reload of the watched rule and intel files changed.
struct ListReload {
  bool changed = false; // false: same content as last time, nothing done
  std::size_t blocks_added = 0, blocks_removed = 0, allows_added = 0, allows_removed = 0;
  std::size_t blocks_refused = 0; // the block map was full
  std::size_t block_rules = 0, allow_rules = 0, intel_entries = 0;
  std::vector<std::string> errors; // "FILE:LINE: why", unreadable paths, refused blocks
};

struct ListSyncCounters {
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_error = 0; // a reload that met an unreadable path or a bad line
  std::uint64_t last_reload_wall_ns = 0;
};

/// The watched rule and intel files (config blocklist_files,
/// allowlist_files, intel.feeds; a fleet's ConfigMaps) kept in step with
/// the rule book and the judge's intel: what a file adds, a file may take
/// away; what an operator or the detector added stays theirs.
class ListSync {
public:
  /// `intel`: where a reloaded intel feed goes (the judge).
  ListSync(const config::AgentConfig &config, actions::Enforcer &enforcer, actions::EventLog &events,
           std::function<void(detect::IntelFeed)> intel);

  /// After the rule book was restored: blocks a file put there are the
  /// files' to keep or drop, so the first reload removes those whose line
  /// went while no agent ran. Throws when a list path is missing (at start
  /// that is a config mistake; later, a reload error).
  void start();
  /// Rereads the files and applies the difference. Without `force`,
  /// returns at once when nothing changed. Never throws for bad content:
  /// bad lines are skipped and reported.
  ListReload reload(std::uint64_t now_ns, bool force = false);
  /// Every path whose change means a reload.
  [[nodiscard]] std::vector<std::string> watchedPaths() const { return config::watchedPaths(config_); }

  [[nodiscard]] std::vector<StaleSource> stale() const;
  [[nodiscard]] bool isStale(const std::string &path) const;
  [[nodiscard]] const ListSyncCounters &counters() const { return counters_; }
  /// Sentences for `status` notes: sources that cannot be read.
  [[nodiscard]] std::vector<std::string> warnings() const;

private:
  void applyAllows(const std::vector<RuleLine> &lines, ListReload &out);
  void applyBlocks(const std::vector<RuleLine> &lines, std::uint64_t now_ns, ListReload &out);

  config::AgentConfig config_;
  actions::Enforcer &enforcer_;
  actions::EventLog &events_;
  std::function<void(detect::IntelFeed)> intel_;
  ListSyncCounters counters_;
  std::uint64_t fingerprint_ = 0;
  std::map<std::string, rules::RuleTarget> file_blocks_, file_allows_; // by canonical text
  // Each configured list path's last good rules: an unreadable one keeps them.
  LastGoodRules allow_sources_, block_sources_;
  std::size_t intel_entries_ = 0;
};

} // namespace minewatch::lists
