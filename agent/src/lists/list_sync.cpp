// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The watched rule and intel files; see list_sync.hpp.
#include "lists/list_sync.hpp"

#include "lists/intel_files.hpp"
#include "lists/watched_files.hpp"
#include "util/time_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace minewatch::lists {

ListSync::ListSync(const config::AgentConfig &config, actions::Enforcer &enforcer, actions::EventLog &events,
                   std::function<void(detect::IntelFeed)> intel)
    : config_(config), enforcer_(enforcer), events_(events), intel_(std::move(intel)) {}

void ListSync::start() {
  for (const auto &rule : enforcer_.rules().state().blocks)
    if (rule.source == actions::RuleSource::File)
      file_blocks_.emplace(rules::toString(rule.target), rule.target);
  // A rule file that is not there at start is a config mistake; later, the
  // same is a reload error that keeps the agent running.
  if (auto missing = expandPaths(watchedPaths()).errors; !missing.empty())
    throw std::runtime_error("rule file " + missing.front());
}

std::vector<StaleSource> ListSync::stale() const {
  auto stale = block_sources_.stale(), stale_allows = allow_sources_.stale();
  stale.insert(stale.end(), stale_allows.begin(), stale_allows.end());
  return stale;
}

bool ListSync::isStale(const std::string &path) const {
  return block_sources_.isStale(path) || allow_sources_.isStale(path);
}

std::vector<std::string> ListSync::warnings() const {
  std::vector<std::string> out;
  for (const auto &source : stale())
    out.push_back(fmt::format("list source {} cannot be read since {} ({}): its last {} rules stay in force",
                              source.path, util::rfc3339(source.since_wall_ns), source.error, source.rules_kept));
  return out;
}

ListReload ListSync::reload(std::uint64_t now_ns, bool force) {
  ListReload out;
  auto paths = watchedPaths();
  if (paths.empty())
    return out;
  auto print = fingerprint(paths);
  if (!force && print == fingerprint_)
    return out;
  fingerprint_ = print;
  out.changed = true;

  // A path that cannot be read keeps its last good rules (LastGoodRules).
  auto staleNow = [&] { return stale(); };
  std::set<std::string> stale_before;
  for (const auto &source : staleNow())
    stale_before.insert(source.path);
  auto allows = allow_sources_.load(config_.allowlist_files, util::wallNowNs());
  auto blocks = block_sources_.load(config_.blocklist_files, util::wallNowNs());
  out.errors = allows.errors;
  out.errors.insert(out.errors.end(), blocks.errors.begin(), blocks.errors.end());
  // Allows first: a block the new allowlist covers is refused, not added
  // and lifted again.
  applyAllows(allows.rules, out);
  applyBlocks(blocks.rules, now_ns, out);

  if (!config_.intel_feeds.empty()) {
    std::vector<std::string> notes;
    auto feed = reloadIntel(config_, notes, out.errors);
    intel_entries_ = feed.size();
    intel_(std::move(feed));
  }
  auto stale_now = staleNow();
  for (const auto &source : stale_now)
    if (!stale_before.erase(source.path))
      events_.write({{"event", "list_source_stale"},
                     {"path", source.path},
                     {"error", source.error},
                     {"rules_kept", source.rules_kept}});
  for (const auto &path : stale_before) // readable again: its rules are what it says now
    events_.write({{"event", "list_source_recovered"}, {"path", path}});
  out.block_rules = file_blocks_.size();
  out.allow_rules = file_allows_.size();
  out.intel_entries = intel_entries_;

  ++(out.errors.empty() ? counters_.reloads_ok : counters_.reloads_error);
  counters_.last_reload_wall_ns = util::wallNowNs();
  events_.write({{"event", "lists_loaded"},
                 {"blocks_added", out.blocks_added},
                 {"blocks_removed", out.blocks_removed},
                 {"allows_added", out.allows_added},
                 {"allows_removed", out.allows_removed},
                 {"block_rules", out.block_rules},
                 {"allow_rules", out.allow_rules},
                 {"intel_entries", out.intel_entries},
                 {"blocks_refused", out.blocks_refused},
                 {"stale_sources", stale_now.size()},
                 {"errors", out.errors}});
  return out;
}

void ListSync::applyAllows(const std::vector<RuleLine> &lines, ListReload &out) {
  std::map<std::string, rules::RuleTarget> wanted;
  for (const auto &line : lines)
    wanted.emplace(rules::toString(line.target), line.target);
  for (const auto &entry : file_allows_) {
    const auto &[key, target] = entry;
    bool in_config = std::any_of(config_.allowlist.begin(), config_.allowlist.end(),
                                 [&](const std::string &text) { return rules::parseRuleTarget(text) == entry.second; });
    if (!wanted.count(key) && !in_config && enforcer_.rules().disallow(target))
      ++out.allows_removed;
  }
  for (const auto &[key, target] : wanted) {
    if (file_allows_.count(key))
      continue;
    ++out.allows_added;
    for (const auto &lifted :
         enforcer_.rules().allow(target, actions::RuleSource::File, "listed in a list file", util::wallNowNs()))
      events_.write({{"event", "block_lifted"},
                     {"target", rules::toString(lifted.target)},
                     {"reason", "allowlisted by file: " + key}});
  }
  file_allows_ = std::move(wanted);
}

void ListSync::applyBlocks(const std::vector<RuleLine> &lines, std::uint64_t now_ns, ListReload &out) {
  std::map<std::string, rules::RuleTarget> wanted;
  for (const auto &line : lines) {
    auto key = rules::toString(line.target);
    if (wanted.count(key))
      continue; // listed twice: the first line tells the story
    const auto *existing = enforcer_.rules().find(line.target);
    // A rule an operator or the detector added stays theirs; one kept
    // across a restart is adopted (it may well be this very line).
    if (existing && existing->source != actions::RuleSource::File &&
        existing->source != actions::RuleSource::Restored) {
      wanted.emplace(key, line.target);
      continue;
    }
    auto reason = "listed in " + line.origin + (line.comment.empty() ? "" : ": " + line.comment);
    if (auto refused =
            enforcer_.rules().block(line.target, 0, now_ns, util::wallNowNs(), actions::RuleSource::File, reason)) {
      // A full map refuses every line past it: one error for all of them.
      if (refused->why == actions::BlockRefusal::Why::MapFull && out.blocks_refused++)
        continue;
      out.errors.push_back(line.origin + ": " + refused->message);
      continue;
    }
    if (!existing || existing->source == actions::RuleSource::Restored)
      ++out.blocks_added;
    wanted.emplace(key, line.target);
  }
  for (const auto &[key, target] : file_blocks_) {
    if (wanted.count(key))
      continue;
    const auto *rule = enforcer_.rules().find(target);
    if (rule && rule->source == actions::RuleSource::File && enforcer_.rules().unblock(target))
      ++out.blocks_removed;
  }
  file_blocks_ = std::move(wanted);
  if (out.blocks_refused)
    events_.write({{"event", "block_refused"},
                   {"source", "file"},
                   {"count", out.blocks_refused},
                   {"reason", "the block map is full"}});
}

} // namespace minewatch::lists
