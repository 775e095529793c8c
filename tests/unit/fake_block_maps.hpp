// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/block_maps.hpp"
#include "rules/rule_target.hpp"

#include <cstddef>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace minewatch::test {

/// BlockMaps in memory, as the BPF maps would hold them, with the kernel's
/// limit: a new key past `capacity` is refused, an existing one updated.
class FakeBlockMaps final : public actions::BlockMaps {
public:
  explicit FakeBlockMaps(std::size_t capacity = std::numeric_limits<std::size_t>::max()) : capacity_(capacity) {}
  bool install(const rules::RuleTarget &t, std::uint32_t id, std::uint64_t expires) override {
    auto key = rules::toString(t);
    if (!rules_.count(key) && rules_.size() >= capacity_)
      return false;
    minewatch_block_rule rule{};
    rule.rule_id = id;
    rule.expires_ns = expires;
    rules_[key] = {t, rule};
    return true;
  }
  bool remove(const rules::RuleTarget &t) override { return rules_.erase(rules::toString(t)) > 0; }
  std::vector<actions::InstalledRule> installed() const override {
    std::vector<actions::InstalledRule> out;
    for (const auto &[k, v] : rules_)
      out.push_back(v);
    return out;
  }
  std::size_t capacity_;
  std::map<std::string, actions::InstalledRule> rules_;
};

} // namespace minewatch::test
