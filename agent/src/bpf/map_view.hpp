// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace minewatch::bpf {

/// Typed access to one map of a loaded object. libbpf checks key and value
/// sizes against the map on every call, so a K/V that drifted from the BPF
/// side fails loudly (EINVAL) instead of reading garbage.
template <typename K, typename V> class MapView {
  static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

public:
  explicit MapView(bpf_map *map) : map_(map) {}

  [[nodiscard]] std::optional<V> lookup(const K &key) const {
    V value{};
    int err = bpf_map__lookup_elem(map_, &key, sizeof key, &value, sizeof value, 0);
    if (err == -ENOENT)
      return std::nullopt;
    check(err, "lookup");
    return value;
  }

  void update(const K &key, const V &value, std::uint64_t flags = BPF_ANY) const {
    check(bpf_map__update_elem(map_, &key, sizeof key, &value, sizeof value, flags), "update");
  }

  /// Returns false when the key was not there.
  bool erase(const K &key) const {
    int err = bpf_map__delete_elem(map_, &key, sizeof key, 0);
    if (err == -ENOENT)
      return false;
    check(err, "delete");
    return true;
  }

  /// Visits every entry in batches of up to `batch`: one syscall per batch
  /// where the map type supports batched lookups, key by key where it does
  /// not (LPM tries). visit(const K*, const V*, count).
  template <typename Visit> void forEachBatch(Visit &&visit, std::uint32_t batch = 4096) const {
    std::vector<K> keys(batch);
    std::vector<V> values(batch);
    K next{};
    bool first = true;
    for (;;) {
      std::uint32_t n = batch;
      LIBBPF_OPTS(bpf_map_batch_opts, opts);
      int err = bpf_map_lookup_batch(bpf_map__fd(map_), first ? nullptr : &next, &next, keys.data(), values.data(), &n,
                                     &opts);
      int saved = errno;
      if (err && first && (saved == EINVAL || saved == ENOTSUP || saved == EOPNOTSUPP))
        return forEachByKey(visit);
      if (err && saved != ENOENT)
        check(-saved, "lookup batch");
      if (n)
        visit(keys.data(), values.data(), n);
      if (err)
        return; // ENOENT: that was the last batch
      first = false;
    }
  }

  /// Every entry (tests, small maps).
  [[nodiscard]] std::vector<std::pair<K, V>> entries() const {
    std::vector<std::pair<K, V>> out;
    forEachBatch([&](const K *k, const V *v, std::uint32_t n) {
      for (std::uint32_t i = 0; i < n; ++i)
        out.emplace_back(k[i], v[i]);
    });
    return out;
  }

  [[nodiscard]] bpf_map *map() const { return map_; }

private:
  template <typename Visit> void forEachByKey(Visit &visit) const {
    K key{}, next{};
    bool first = true;
    while (bpf_map__get_next_key(map_, first ? nullptr : &key, &next, sizeof next) == 0) {
      V value{};
      if (bpf_map__lookup_elem(map_, &next, sizeof next, &value, sizeof value, 0) == 0)
        visit(&next, &value, 1u);
      key = next;
      first = false;
    }
  }

  void check(int err, const char *op) const {
    if (err)
      throw std::system_error(-err, std::generic_category(), std::string("map ") + bpf_map__name(map_) + ": " + op);
  }

  bpf_map *map_;
};

/// Sum of every CPU's slot of a per-CPU array of u64 counters.
inline std::vector<std::uint64_t> sumPerCpuCounters(bpf_map *map) {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    throw std::system_error(-cpus, std::generic_category(), "count possible CPUs");
  std::uint32_t entries = bpf_map__max_entries(map);
  std::vector<std::uint64_t> totals(entries, 0);
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(cpus));
  for (std::uint32_t key = 0; key < entries; ++key) {
    int err = bpf_map__lookup_elem(map, &key, sizeof key, per_cpu.data(), per_cpu.size() * sizeof(std::uint64_t), 0);
    if (err)
      throw std::system_error(-err, std::generic_category(), std::string("read ") + bpf_map__name(map));
    for (auto v : per_cpu)
      totals[key] += v;
  }
  return totals;
}

} // namespace minewatch::bpf
