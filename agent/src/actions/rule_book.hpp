// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/block_maps.hpp"
#include "rules/rule_target.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::actions {

/// Who put a rule in the book.
enum class RuleSource : std::uint8_t { Manual, Auto, Config, File, Restored };
inline constexpr RuleSource kRuleSources[] = {RuleSource::Manual, RuleSource::Auto, RuleSource::Config,
                                              RuleSource::File, RuleSource::Restored};
const char *toString(RuleSource source); // manual | auto | config | file | restored
std::optional<RuleSource> parseRuleSource(std::string_view text);

struct BlockRule {
  std::uint32_t id = 0;
  rules::RuleTarget target;
  RuleSource source = RuleSource::Manual; // restored: found in the pinned maps with no saved story
  std::string reason;
  std::uint64_t created_ns = 0; // wall clock
  std::uint64_t expires_ns = 0; // data-path clock; 0 = never
  std::uint64_t hits = 0;
  std::uint64_t first_hit_ns = 0; // data-path clock
  std::uint64_t last_hit_ns = 0;
};

struct AllowRule {
  rules::RuleTarget target;
  RuleSource source = RuleSource::Manual; // manual | config | file
  std::string reason;
  std::uint64_t created_ns = 0; // wall clock
};

/// Everything the book knows, as saved between agent runs (rule_store.hpp).
struct RuleBookState {
  std::vector<BlockRule> blocks;
  std::vector<AllowRule> allows;
};

/// Why a block was not added.
struct BlockRefusal {
  enum class Why { Allowlisted, MapFull } why;
  std::string message;
};

/// Block and allow rules with their story (who added them, why, until when).
/// The allowlist always wins: a block that would touch an allowed endpoint is
/// refused, and allowing something lifts the blocks that touch it. A full
/// block map refuses a new rule too; the refusal is counted, never fatal.
class RuleBook {
public:
  explicit RuleBook(BlockMaps &maps) : maps_(maps) {}

  /// Adopts rules already in the (pinned) maps after a restart. `saved`, the
  /// book as the last agent left it, gives them back their source, reason
  /// and creation time, and brings back the operator's allows (allows from
  /// the config and from files come back from there). Saved blocks the maps
  /// no longer hold stay gone: the maps are what enforces.
  void restore(std::uint64_t wall_ns, const RuleBookState *saved = nullptr);

  /// Adds or refreshes a block. Returns why when refused.
  std::optional<BlockRefusal> block(const rules::RuleTarget &target, std::uint64_t ttl_ns, std::uint64_t now_ns,
                                    std::uint64_t wall_ns, RuleSource source, std::string reason);
  bool unblock(const rules::RuleTarget &target);

  /// Allows a target; returns the blocks this lifted.
  std::vector<BlockRule> allow(const rules::RuleTarget &target, RuleSource source = RuleSource::Manual,
                               std::string reason = {}, std::uint64_t wall_ns = 0);
  bool disallow(const rules::RuleTarget &target);

  [[nodiscard]] bool isAllowed(const net::Address &address, std::uint16_t port, std::uint8_t proto) const;
  [[nodiscard]] std::optional<rules::RuleTarget> allowing(const rules::RuleTarget &target) const;
  [[nodiscard]] std::size_t blockCount() const { return blocks_.size(); }
  /// Blocks by who added them (manual, auto, config, file, restored).
  [[nodiscard]] std::map<RuleSource, std::size_t> countBySource() const;
  /// Blocks refused because the map was full, by who asked.
  [[nodiscard]] const std::map<RuleSource, std::uint64_t> &refusedFull() const { return refused_full_; }
  /// The rule for exactly this target, if any.
  [[nodiscard]] const BlockRule *find(const rules::RuleTarget &target) const;

  /// Current blocks with hit counters read from the data path.
  [[nodiscard]] std::vector<BlockRule> blocks() const;
  [[nodiscard]] const std::vector<AllowRule> &allows() const { return allows_; }
  /// Blocks and allows as they stand (no hit counters), for saving.
  [[nodiscard]] RuleBookState state() const;
  /// Changes with every rule added, changed or removed: when to save.
  [[nodiscard]] std::uint64_t generation() const { return generation_; }

  /// Removes blocks whose deadline passed (BPF already ignores them).
  std::vector<BlockRule> sweepExpired(std::uint64_t now_ns);

private:
  using Key = std::string; // canonical text of the target
  BlockMaps &maps_;
  std::map<Key, BlockRule> blocks_;
  std::vector<AllowRule> allows_;
  std::map<RuleSource, std::uint64_t> refused_full_;
  std::uint32_t next_id_ = 1;
  std::uint64_t generation_ = 0;
};

} // namespace minewatch::actions
