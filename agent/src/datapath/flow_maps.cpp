// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/flow_maps.hpp"

namespace minewatch::datapath {

namespace {
/// Deletes keys from one map in one batch, one by one if the kernel will not.
template <typename K> std::uint32_t deleteKeys(bpf_map *map, const std::vector<K> &keys) {
  if (keys.empty())
    return 0;
  auto count = static_cast<__u32>(keys.size());
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  if (bpf_map_delete_batch(bpf_map__fd(map), keys.data(), &count, &opts) == 0)
    return count;
  // A missing key (the LRU got there first) fails the batch part-way.
  count = 0;
  for (const auto &key : keys)
    count += bpf::MapView<K, minewatch_flow_value>(map).erase(key) ? 1 : 0;
  return count;
}
} // namespace

minewatch_flow_key widen(const minewatch_flow_key4 &key) {
  minewatch_flow_key out;
  minewatch_widen_key4(&key, &out);
  return out;
}

std::optional<minewatch_flow_key4> narrow(const minewatch_flow_key &key) {
  minewatch_flow_key4 out;
  if (!minewatch_narrow_key(&key, &out))
    return std::nullopt;
  return out;
}

std::optional<minewatch_flow_value> FlowMaps::lookup(const minewatch_flow_key &key) const {
  if (auto key4 = narrow(key))
    return bpf::MapView<minewatch_flow_key4, minewatch_flow_value>(v4_).lookup(*key4);
  return bpf::MapView<minewatch_flow_key, minewatch_flow_value>(wide_).lookup(key);
}

bool FlowMaps::erase(const minewatch_flow_key &key) const {
  if (auto key4 = narrow(key))
    return bpf::MapView<minewatch_flow_key4, minewatch_flow_value>(v4_).erase(*key4);
  return bpf::MapView<minewatch_flow_key, minewatch_flow_value>(wide_).erase(key);
}

std::uint32_t FlowMaps::eraseAll(const std::vector<minewatch_flow_key> &keys) const {
  std::vector<minewatch_flow_key4> v4;
  std::vector<minewatch_flow_key> v6;
  for (const auto &key : keys) {
    if (auto key4 = narrow(key))
      v4.push_back(*key4);
    else
      v6.push_back(key);
  }
  return deleteKeys(v4_, v4) + deleteKeys(wide_, v6);
}

void FlowMaps::update(const minewatch_flow_key &key, const minewatch_flow_value &value) const {
  if (auto key4 = narrow(key))
    bpf::MapView<minewatch_flow_key4, minewatch_flow_value>(v4_).update(*key4, value);
  else
    bpf::MapView<minewatch_flow_key, minewatch_flow_value>(wide_).update(key, value);
}

std::vector<std::pair<minewatch_flow_key, minewatch_flow_value>> FlowMaps::entries() const {
  std::vector<std::pair<minewatch_flow_key, minewatch_flow_value>> out;
  forEachBatch([&](const minewatch_flow_key *k, const minewatch_flow_value *v, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i)
      out.emplace_back(k[i], v[i]);
  });
  return out;
}

std::uint64_t FlowMaps::capacity() const {
  return std::uint64_t{bpf_map__max_entries(wide_)} + bpf_map__max_entries(v4_);
}

} // namespace minewatch::datapath
