// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What keeps the rules whole across restarts and mishaps: the saved rule
// book (restored at start, written on every change), the pins (checked at
// every sweep, pinned again when removed under us), and the warnings a full
// block map or a lost list source leave in `status`.
#include "app/agent.hpp"

#include "actions/rule_store.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <algorithm>

namespace minewatch::app {

namespace {
std::uint32_t mapId(bpf_map *map) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  return bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) == 0 ? info.id : 0;
}
} // namespace

void Agent::warn(const std::string &message) {
  events_.write({{"event", "warning"}, {"message", message}});
  fmt::print(stderr, "minewatch-agent: warning: {}\n", message);
}

void Agent::restoreRules(std::uint64_t wall_ns) {
  std::optional<actions::SavedRuleBook> saved;
  if (!info_.rules_file.empty()) {
    std::string problem;
    saved = actions::loadRuleBook(info_.rules_file, problem);
    if (!problem.empty())
      warn(problem + "; block rules come back from the pinned maps, without their source and reason");
    // A book written beside maps that are gone (a reboot, removed pins)
    // would bring back allows for rules that no longer exist elsewhere.
    if (saved && saved->block_map_id != info_.previous_block_map_id) {
      warn(fmt::format("rule book {} was written beside block maps that are gone (a reboot or removed pins); "
                       "not restored", info_.rules_file));
      saved.reset();
    }
  }
  rules_.restore(wall_ns, saved ? &saved->rules : nullptr);
  // Blocks a file put there are the files' to keep or drop: the first reload
  // removes those whose line went while no agent ran.
  for (const auto &rule : rules_.state().blocks)
    if (rule.source == "file")
      file_blocks_.emplace(rules::toString(rule.target), rule.target);
}

void Agent::saveRules() {
  if (info_.rules_file.empty() || rules_.generation() == saved_generation_)
    return;
  saved_generation_ = rules_.generation();
  try {
    actions::saveRuleBook(info_.rules_file,
                          {rules_.state(), mapId(sensor_.skel()->maps.minewatch_block_endpoint)});
    ++counters_.rule_book_saves;
    save_error_.clear();
  } catch (const std::system_error &e) {
    ++counters_.rule_book_save_errors;
    if (save_error_ != e.what()) // once per distinct failure, not every change
      warn(std::string("cannot save the rule book: ") + e.what() + "; rules stay in force, a restart loses "
           "their source and reason");
    save_error_ = e.what();
  }
}

void Agent::checkPins() {
  if (!pin_check_)
    return;
  std::vector<std::string> repinned;
  try {
    repinned = pin_check_();
  } catch (const std::system_error &e) {
    warn(std::string("pins were removed and cannot be restored: ") + e.what());
    return;
  }
  if (repinned.empty())
    return;
  ++counters_.repins;
  counters_.last_repin_wall_ns = util::wallNowNs();
  std::string names;
  for (const auto &name : repinned)
    names += (names.empty() ? "" : ", ") + name;
  events_.write({{"event", "pins_restored"}, {"pin_dir", info_.pin_dir}, {"pinned", repinned}});
  fmt::print(stderr, "minewatch-agent: warning: pins removed under the running agent ({}); pinned again in {}\n",
             names, info_.pin_dir);
}

void Agent::reportRefused(const rules::RuleTarget &target, const std::string &source,
                          const actions::BlockRefusal &why) {
  if (why.why != actions::BlockRefusal::Why::MapFull)
    return;
  events_.write({{"event", "block_refused"},
                 {"target", rules::toString(target)},
                 {"source", source},
                 {"reason", "the block map is full"}});
}

std::vector<std::string> Agent::warnings() const {
  std::vector<std::string> out;
  std::uint64_t refused = 0;
  for (const auto &[source, n] : rules_.refusedFull())
    refused += n;
  if (refused)
    out.push_back(fmt::format("the block map is full ({} rules, datapath.max_block_rules): {} block rules refused "
                              "so far (minewatch_block_rules_refused_total)",
                              rules_.blockCount(), refused));
  std::vector<lists::StaleSource> stale = block_sources_.stale(), stale_allows = allow_sources_.stale();
  stale.insert(stale.end(), stale_allows.begin(), stale_allows.end());
  for (const auto &source : stale)
    out.push_back(fmt::format("list source {} cannot be read since {} ({}): its last {} rules stay in force",
                              source.path, util::rfc3339(source.since_wall_ns), source.error, source.rules_kept));
  if (counters_.repins)
    out.push_back(fmt::format("pins under {} were removed under the running agent and pinned again ({} times, "
                              "last at {})",
                              info_.pin_dir, counters_.repins, util::rfc3339(counters_.last_repin_wall_ns)));
  if (!save_error_.empty())
    out.push_back("cannot save the rule book: " + save_error_);
  return out;
}

} // namespace minewatch::app
