// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/rule_book.hpp"

#include <algorithm>

namespace minewatch::actions {

const char *toString(RuleSource source) {
  switch (source) {
  case RuleSource::Manual: return "manual";
  case RuleSource::Auto: return "auto";
  case RuleSource::Config: return "config";
  case RuleSource::File: return "file";
  case RuleSource::Restored: return "restored";
  }
  return "manual";
}

std::optional<RuleSource> parseRuleSource(std::string_view text) {
  for (auto source : kRuleSources)
    if (text == toString(source))
      return source;
  return std::nullopt;
}

void RuleBook::restore(std::uint64_t wall_ns, const RuleBookState *saved) {
  std::map<Key, const BlockRule *> story;
  if (saved)
    for (const auto &rule : saved->blocks)
      story[rules::toString(rule.target)] = &rule;
  for (const auto &installed : maps_.installed()) {
    BlockRule rule;
    rule.id = installed.rule.rule_id;
    rule.target = installed.target;
    rule.source = RuleSource::Restored;
    rule.reason = "kept in the pinned blocklist across an agent restart";
    rule.expires_ns = installed.rule.expires_ns; // the deadline BPF enforces wins over the saved one
    rule.created_ns = wall_ns;
    if (auto it = story.find(rules::toString(rule.target)); it != story.end()) {
      rule.source = it->second->source;
      rule.reason = it->second->reason;
      rule.created_ns = it->second->created_ns;
    }
    next_id_ = std::max(next_id_, rule.id + 1);
    blocks_[rules::toString(rule.target)] = rule;
  }
  if (saved)
    for (const auto &allowed : saved->allows)
      if (allowed.source == RuleSource::Manual)
        allow(allowed.target, allowed.source, allowed.reason, allowed.created_ns);
  ++generation_;
}

std::optional<BlockRefusal> RuleBook::block(const rules::RuleTarget &target, std::uint64_t ttl_ns, std::uint64_t now_ns,
                                            std::uint64_t wall_ns, RuleSource source, std::string reason) {
  if (auto allowed = allowing(target))
    return BlockRefusal{BlockRefusal::Why::Allowlisted,
                        "refused: " + rules::toString(target) + " overlaps allowlisted " + rules::toString(*allowed)};
  auto key = rules::toString(target);
  auto it = blocks_.find(key);
  BlockRule rule = it != blocks_.end() ? it->second : BlockRule{next_id_, target, source, "", wall_ns, 0, 0, 0, 0};
  rule.expires_ns = ttl_ns ? now_ns + ttl_ns : 0;
  if (!maps_.install(target, rule.id, rule.expires_ns)) {
    ++refused_full_[source];
    return BlockRefusal{BlockRefusal::Why::MapFull,
                        "refused: " + key + ": the block map is full (datapath.max_block_rules)"};
  }
  if (it == blocks_.end())
    ++next_id_;
  rule.source = source;
  rule.reason = std::move(reason);
  blocks_[key] = rule;
  ++generation_;
  return std::nullopt;
}

bool RuleBook::unblock(const rules::RuleTarget &target) {
  auto key = rules::toString(target);
  bool known = blocks_.erase(key) > 0;
  bool removed = maps_.remove(target);
  generation_ += known || removed;
  return known || removed;
}

std::vector<BlockRule> RuleBook::allow(const rules::RuleTarget &target, RuleSource source, std::string reason,
                                       std::uint64_t wall_ns) {
  if (std::none_of(allows_.begin(), allows_.end(), [&](const AllowRule &a) { return a.target == target; })) {
    allows_.push_back({target, source, std::move(reason), wall_ns});
    ++generation_;
  }
  std::vector<BlockRule> lifted;
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (rules::overlaps(it->second.target, target)) {
      maps_.remove(it->second.target);
      lifted.push_back(it->second);
      it = blocks_.erase(it);
      ++generation_;
    } else {
      ++it;
    }
  }
  return lifted;
}

bool RuleBook::disallow(const rules::RuleTarget &target) {
  auto it = std::find_if(allows_.begin(), allows_.end(), [&](const AllowRule &a) { return a.target == target; });
  if (it == allows_.end())
    return false;
  allows_.erase(it);
  ++generation_;
  return true;
}

bool RuleBook::isAllowed(const net::Address &address, std::uint16_t port, std::uint8_t proto) const {
  return std::any_of(allows_.begin(), allows_.end(),
                     [&](const AllowRule &allow) { return rules::covers(allow.target, address, port, proto); });
}

std::optional<rules::RuleTarget> RuleBook::allowing(const rules::RuleTarget &target) const {
  for (const auto &allow : allows_)
    if (rules::overlaps(allow.target, target))
      return allow.target;
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

std::map<RuleSource, std::size_t> RuleBook::countBySource() const {
  std::map<RuleSource, std::size_t> out;
  for (const auto &[key, rule] : blocks_)
    ++out[rule.source];
  return out;
}

RuleBookState RuleBook::state() const {
  RuleBookState out;
  for (const auto &[key, rule] : blocks_)
    out.blocks.push_back(rule);
  out.allows = allows_;
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
      ++generation_;
    } else {
      ++it;
    }
  }
  return expired;
}

} // namespace minewatch::actions
