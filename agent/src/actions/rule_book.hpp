// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/block_maps.hpp"
#include "rules/rule_target.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace minewatch::actions {

struct BlockRule {
  std::uint32_t id = 0;
  rules::RuleTarget target;
  std::string source;  // manual | auto | config | file | restored
  std::string reason;
  std::uint64_t created_ns = 0; // wall clock
  std::uint64_t expires_ns = 0; // data-path clock; 0 = never
  std::uint64_t hits = 0;
  std::uint64_t first_hit_ns = 0; // data-path clock
  std::uint64_t last_hit_ns = 0;
};

/// Block and allow rules with their story (who added them, why, until when).
/// The allowlist always wins: a block that would touch an allowed endpoint is
/// refused, and allowing something lifts the blocks that touch it.
class RuleBook {
public:
  explicit RuleBook(BlockMaps &maps) : maps_(maps) {}

  /// Adopts rules already in the (pinned) maps after a restart.
  void restore(std::uint64_t wall_ns);

  /// Adds or refreshes a block. Returns the error in words when refused.
  std::optional<std::string> block(const rules::RuleTarget &target, std::uint64_t ttl_ns, std::uint64_t now_ns,
                                   std::uint64_t wall_ns, std::string source, std::string reason);
  bool unblock(const rules::RuleTarget &target);

  /// Allows a target; returns the blocks this lifted.
  std::vector<BlockRule> allow(const rules::RuleTarget &target);
  bool disallow(const rules::RuleTarget &target);

  [[nodiscard]] bool isAllowed(const net::Address &address, std::uint16_t port, std::uint8_t proto) const;
  [[nodiscard]] std::optional<rules::RuleTarget> allowing(const rules::RuleTarget &target) const;
  [[nodiscard]] std::size_t blockCount() const { return blocks_.size(); }
  /// Blocks by who added them (manual, auto, config, file, restored).
  [[nodiscard]] std::map<std::string, std::size_t> countBySource() const;
  /// The rule for exactly this target, if any.
  [[nodiscard]] const BlockRule *find(const rules::RuleTarget &target) const;

  /// Current blocks with hit counters read from the data path.
  [[nodiscard]] std::vector<BlockRule> blocks() const;
  [[nodiscard]] const std::vector<rules::RuleTarget> &allows() const { return allows_; }

  /// Removes blocks whose deadline passed (BPF already ignores them).
  std::vector<BlockRule> sweepExpired(std::uint64_t now_ns);

private:
  using Key = std::string; // canonical text of the target
  BlockMaps &maps_;
  std::map<Key, BlockRule> blocks_;
  std::vector<rules::RuleTarget> allows_;
  std::uint32_t next_id_ = 1;
};

} // namespace minewatch::actions
