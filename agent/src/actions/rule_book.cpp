// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/rule_book.hpp"

#include <algorithm>

namespace minewatch::actions {

void RuleBook::restore(std::uint64_t wall_ns) {
  for (const auto &installed : maps_.installed()) {
    BlockRule rule;
    rule.id = installed.rule.rule_id;
    rule.target = installed.target;
    rule.source = "restored";
    rule.reason = "kept in the pinned blocklist across an agent restart";
    rule.expires_ns = installed.rule.expires_ns;
    rule.created_ns = wall_ns;
    next_id_ = std::max(next_id_, rule.id + 1);
    blocks_[rules::toString(rule.target)] = rule;
  }
}

std::optional<std::string> RuleBook::block(const rules::RuleTarget &target, std::uint64_t ttl_ns,
                                           std::uint64_t now_ns, std::uint64_t wall_ns, std::string source,
                                           std::string reason) {
  if (auto allowed = allowing(target))
    return "refused: " + rules::toString(target) + " overlaps allowlisted " + rules::toString(*allowed);
  auto key = rules::toString(target);
  auto it = blocks_.find(key);
  BlockRule rule = it != blocks_.end() ? it->second : BlockRule{next_id_++, target, "", "", wall_ns, 0, 0, 0, 0};
  rule.source = std::move(source);
  rule.reason = std::move(reason);
  rule.expires_ns = ttl_ns ? now_ns + ttl_ns : 0;
  maps_.install(target, rule.id, rule.expires_ns);
  blocks_[key] = rule;
  return std::nullopt;
}

bool RuleBook::unblock(const rules::RuleTarget &target) {
  auto key = rules::toString(target);
  bool known = blocks_.erase(key) > 0;
  bool removed = maps_.remove(target);
  return known || removed;
}

std::vector<BlockRule> RuleBook::allow(const rules::RuleTarget &target) {
  if (std::find(allows_.begin(), allows_.end(), target) == allows_.end())
    allows_.push_back(target);
  std::vector<BlockRule> lifted;
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (rules::overlaps(it->second.target, target)) {
      maps_.remove(it->second.target);
      lifted.push_back(it->second);
      it = blocks_.erase(it);
    } else {
      ++it;
    }
  }
  return lifted;
}

bool RuleBook::disallow(const rules::RuleTarget &target) {
  auto it = std::find(allows_.begin(), allows_.end(), target);
  if (it == allows_.end())
    return false;
  allows_.erase(it);
  return true;
}

bool RuleBook::isAllowed(const net::Address &address, std::uint16_t port, std::uint8_t proto) const {
  return std::any_of(allows_.begin(), allows_.end(),
                     [&](const auto &allow) { return rules::covers(allow, address, port, proto); });
}

std::optional<rules::RuleTarget> RuleBook::allowing(const rules::RuleTarget &target) const {
  for (const auto &allow : allows_)
    if (rules::overlaps(allow, target))
      return allow;
  return std::nullopt;
}

std::vector<BlockRule> RuleBook::blocks() const {
  std::map<Key, minewatch_block_rule> counters;
  for (const auto &i : maps_.installed())
    counters[rules::toString(i.target)] = i.rule;
  std::vector<BlockRule> out;
  for (const auto &[key, rule] : blocks_) {
    BlockRule copy = rule;
    if (auto it = counters.find(key); it != counters.end()) {
      copy.hits = it->second.hits;
      copy.first_hit_ns = it->second.first_hit_ns;
      copy.last_hit_ns = it->second.last_hit_ns;
    }
    out.push_back(copy);
  }
  std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
  return out;
}

std::map<std::string, std::size_t> RuleBook::countBySource() const {
  std::map<std::string, std::size_t> out;
  for (const auto &[key, rule] : blocks_)
    ++out[rule.source];
  return out;
}

const BlockRule *RuleBook::find(const rules::RuleTarget &target) const {
  auto it = blocks_.find(rules::toString(target));
  return it == blocks_.end() ? nullptr : &it->second;
}

std::vector<BlockRule> RuleBook::sweepExpired(std::uint64_t now_ns) {
  std::vector<BlockRule> expired;
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second.expires_ns && it->second.expires_ns <= now_ns) {
      maps_.remove(it->second.target);
      expired.push_back(it->second);
      it = blocks_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

} // namespace minewatch::actions
