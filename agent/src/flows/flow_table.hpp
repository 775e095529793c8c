// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <unordered_map>

namespace minewatch::flows {

struct KeyHash {
  std::size_t operator()(const minewatch_flow_key &key) const noexcept {
    // The five 8-byte words, each multiplied in and folded (splitmix64's
    // steps): a few cycles, where byte-wise FNV took forty multiplies, and
    // every bit of the key reaches the low bits the table indexes by.
    static_assert(sizeof key == 40);
    std::uint64_t words[5];
    std::memcpy(words, &key, sizeof words);
    std::uint64_t h = 0x9e3779b97f4a7c15ull;
    for (auto w : words) {
      h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
      h ^= h >> 31;
    }
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
  }
};

struct KeyEqual {
  bool operator()(const minewatch_flow_key &a, const minewatch_flow_key &b) const noexcept {
    return std::memcmp(&a, &b, sizeof a) == 0;
  }
};

/// The agent's own per-flow state, bounded: when full, the flow touched least
/// recently is dropped and counted. Record is whatever the agent keeps per
/// flow; the table only orders and bounds.
template <typename Record> class FlowTable {
public:
  // Buckets for the whole capacity up front: a table that grows rehashes
  // every flow, in the middle of a drain, several times over.
  explicit FlowTable(std::size_t capacity) : capacity_(capacity) { index_.reserve(capacity); }

  /// The record for key, created (default) when absent; marks it recent.
  Record &touch(const minewatch_flow_key &key) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      order_.splice(order_.end(), order_, it->second);
      return it->second->second;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.front().first);
      order_.pop_front();
      ++evicted_;
    }
    order_.emplace_back(key, Record{});
    index_[key] = std::prev(order_.end());
    return order_.back().second;
  }

  Record *find(const minewatch_flow_key &key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }
  const Record *find(const minewatch_flow_key &key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->second;
  }

  bool erase(const minewatch_flow_key &key) {
    auto it = index_.find(key);
    if (it == index_.end())
      return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }

  /// Visits every record, oldest first.
  template <typename F> void forEach(F &&visit) {
    for (auto &[key, record] : order_)
      visit(key, record);
  }
  template <typename F> void forEach(F &&visit) const {
    for (const auto &[key, record] : order_)
      visit(key, record);
  }

  [[nodiscard]] std::size_t size() const { return index_.size(); }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  /// Records dropped because the table was full.
  [[nodiscard]] std::uint64_t evicted() const { return evicted_; }

private:
  using Entry = std::pair<minewatch_flow_key, Record>;
  std::size_t capacity_;
  std::list<Entry> order_; // front = least recently touched
  std::unordered_map<minewatch_flow_key, typename std::list<Entry>::iterator, KeyHash, KeyEqual> index_;
  std::uint64_t evicted_ = 0;
};

} // namespace minewatch::flows
