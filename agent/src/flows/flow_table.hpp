// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

/// memcmp's order over the key (the order flows are judged in), a word at a
/// time: a busy tick sorts ~100k keys, and a call to the library's memcmp
/// for each comparison was most of that sort.
struct KeyLess {
  bool operator()(const minewatch_flow_key &a, const minewatch_flow_key &b) const noexcept {
    static_assert(sizeof a % 8 == 0);
    static_assert(std::endian::native == std::endian::little, "the byte swap below puts bytes in memcmp's order");
    const auto *pa = reinterpret_cast<const unsigned char *>(&a);
    const auto *pb = reinterpret_cast<const unsigned char *>(&b);
    for (std::size_t at = 0; at < sizeof a; at += 8) {
      std::uint64_t wa, wb;
      std::memcpy(&wa, pa + at, 8);
      std::memcpy(&wb, pb + at, 8);
      if (wa != wb)
        return __builtin_bswap64(wa) < __builtin_bswap64(wb);
    }
    return false;
  }
};

/// The agent's own per-flow state, bounded: when full, the flow touched least
/// recently is dropped and counted. Record is whatever the agent keeps per
/// flow; the table only orders and bounds.
///
/// Open addressing (linear probing) over one array of 8-byte slots, each the
/// key's 32-bit hash beside the index of its entry; entries live in chunks
/// that never move, linked oldest to newest. A lookup costs the slot's cache
/// line and the entry's, where a node-based map with a std::list for the
/// order cost three (bucket, node, list node) and 180 bytes a flow in
/// allocations: a busy tick touches every flow it reads (bench/bench_agent).
template <typename Record> class FlowTable {
public:
  /// Slots for the whole capacity up front (at most 3/4 full): a table that
  /// grows rehashes every flow, in the middle of a drain. calloc'd, so the
  /// pages arrive as flows do.
  explicit FlowTable(std::size_t capacity) : capacity_(capacity) {
    if (capacity == 0 || capacity > kMaxCapacity)
      throw std::invalid_argument("flow table capacity must be 1.." + std::to_string(kMaxCapacity));
    std::size_t slots = 8;
    while (slots < capacity + capacity / 3 + 1)
      slots *= 2;
    slots_.reset(static_cast<std::uint64_t *>(std::calloc(slots, sizeof(std::uint64_t))));
    if (!slots_)
      throw std::bad_alloc();
    mask_ = slots - 1;
  }

  /// The record for key, created (default) when absent; marks it recent.
  /// `created`, when given, says which.
  Record &touch(const minewatch_flow_key &key, bool *created = nullptr) {
    auto hash = hashOf(key);
    auto at = probe(key, hash);
    if (created)
      *created = slots_[at] == 0;
    if (slots_[at] != 0) {
      auto id = idOf(slots_[at]);
      unlink(id);
      linkNewest(id);
      return entry(id).record;
    }
    if (size_ >= capacity_) {
      removeSlot(probe(entry(oldest_).key, hashOf(entry(oldest_).key)));
      ++evicted_;
      at = probe(key, hash); // the removal may have shifted the chain
    }
    auto id = allocate();
    entry(id).key = key;
    linkNewest(id);
    slots_[at] = (std::uint64_t{hash} << 32) | (std::uint64_t{id} + 1);
    ++size_;
    return entry(id).record;
  }

  Record *find(const minewatch_flow_key &key) {
    auto at = probe(key, hashOf(key));
    return slots_[at] == 0 ? nullptr : &entry(idOf(slots_[at])).record;
  }
  const Record *find(const minewatch_flow_key &key) const {
    auto at = probe(key, hashOf(key));
    return slots_[at] == 0 ? nullptr : &entry(idOf(slots_[at])).record;
  }

  bool erase(const minewatch_flow_key &key) {
    auto at = probe(key, hashOf(key));
    if (slots_[at] == 0)
      return false;
    removeSlot(at);
    return true;
  }

  /// Visits every record, oldest first.
  template <typename F> void forEach(F &&visit) {
    for (auto id = oldest_; id != kNone; id = entry(id).newer)
      visit(std::as_const(entry(id).key), entry(id).record);
  }
  template <typename F> void forEach(F &&visit) const {
    for (auto id = oldest_; id != kNone; id = entry(id).newer)
      visit(entry(id).key, std::as_const(entry(id).record));
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  /// Records dropped because the table was full.
  [[nodiscard]] std::uint64_t evicted() const { return evicted_; }

  static constexpr std::size_t kMaxCapacity = std::size_t{1} << 30;

private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  static constexpr std::uint32_t kChunkBits = 12; // 4096 entries a chunk

  struct Entry {
    minewatch_flow_key key{};
    Record record{};
    std::uint32_t older = kNone, newer = kNone;
  };
  struct FreeSlots {
    void operator()(std::uint64_t *p) const { std::free(p); }
  };

  static std::uint32_t hashOf(const minewatch_flow_key &key) { return static_cast<std::uint32_t>(KeyHash{}(key)); }
  static std::uint32_t idOf(std::uint64_t slot) { return static_cast<std::uint32_t>(slot) - 1; }
  Entry &entry(std::uint32_t id) { return chunks_[id >> kChunkBits][id & ((1u << kChunkBits) - 1)]; }
  const Entry &entry(std::uint32_t id) const { return chunks_[id >> kChunkBits][id & ((1u << kChunkBits) - 1)]; }

  /// The slot holding key, or the empty slot where it would go.
  std::size_t probe(const minewatch_flow_key &key, std::uint32_t hash) const {
    for (std::size_t at = hash & mask_;; at = (at + 1) & mask_) {
      auto slot = slots_[at];
      if (slot == 0 || ((slot >> 32) == hash && KeyEqual{}(entry(idOf(slot)).key, key)))
        return at;
    }
  }

  /// Empties slot `at` and frees its entry. Later members of the probe
  /// chain move back into the gap (no tombstones), so a lookup still stops
  /// at the first empty slot.
  void removeSlot(std::size_t at) {
    auto id = idOf(slots_[at]);
    unlink(id);
    entry(id).record = Record{};
    free_.push_back(id);
    --size_;
    auto gap = at;
    for (auto next = (gap + 1) & mask_; slots_[next] != 0; next = (next + 1) & mask_) {
      auto home = (slots_[next] >> 32) & mask_;
      // Movable when its home is not in (gap, next], cyclically.
      bool home_after_gap = gap <= next ? (home > gap && home <= next) : (home > gap || home <= next);
      if (!home_after_gap) {
        slots_[gap] = slots_[next];
        gap = next;
      }
    }
    slots_[gap] = 0;
  }

  std::uint32_t allocate() {
    if (!free_.empty()) {
      auto id = free_.back();
      free_.pop_back();
      return id;
    }
    if ((allocated_ >> kChunkBits) == chunks_.size())
      chunks_.push_back(std::make_unique<Entry[]>(std::size_t{1} << kChunkBits));
    return allocated_++;
  }

  void linkNewest(std::uint32_t id) {
    auto &e = entry(id);
    e.older = newest_;
    e.newer = kNone;
    (newest_ == kNone ? oldest_ : entry(newest_).newer) = id;
    newest_ = id;
  }
  void unlink(std::uint32_t id) {
    auto &e = entry(id);
    (e.older == kNone ? oldest_ : entry(e.older).newer) = e.newer;
    (e.newer == kNone ? newest_ : entry(e.newer).older) = e.older;
    e.older = e.newer = kNone;
  }

  std::size_t capacity_;
  std::size_t mask_ = 0;
  std::unique_ptr<std::uint64_t[], FreeSlots> slots_;
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::vector<std::uint32_t> free_; // entries erased, to reuse
  std::uint32_t allocated_ = 0;     // entries ever handed out
  std::uint32_t oldest_ = kNone, newest_ = kNone;
  std::size_t size_ = 0;
  std::uint64_t evicted_ = 0;
};

} // namespace minewatch::flows
