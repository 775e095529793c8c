// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"
#include "rules/rule_target.hpp"

#include <vector>

namespace minewatch::actions {

/// A rule as the data path holds it.
struct InstalledRule {
  rules::RuleTarget target;
  minewatch_block_rule rule{};
};

/// Where block rules live: the BPF maps in the agent, a fake in tests.
class BlockMaps {
public:
  virtual ~BlockMaps() = default;
  /// False when the map is full (the rule is not in force); other failures
  /// throw.
  [[nodiscard]] virtual bool install(const rules::RuleTarget &target, std::uint32_t rule_id,
                                     std::uint64_t expires_ns) = 0;
  virtual bool remove(const rules::RuleTarget &target) = 0;
  [[nodiscard]] virtual std::vector<InstalledRule> installed() const = 0;
};

} // namespace minewatch::actions
