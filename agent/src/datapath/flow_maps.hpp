// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include "bpf/map_view.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace minewatch::datapath {

/// An IPv4 flow's key in its wide form (v4-mapped addresses, family 4): how
/// the agent, the samples and the JSON name every flow.
minewatch_flow_key widen(const minewatch_flow_key4 &key);
/// The compact key of an IPv4 flow; nullopt for IPv6.
std::optional<minewatch_flow_key4> narrow(const minewatch_flow_key &key);

/// The flow table as one thing: IPv6 flows in minewatch_flows under the wide
/// key, IPv4 flows in minewatch_flows4 under a 16-byte key (cheaper to hash
/// per packet). Callers see wide keys only.
class FlowMaps {
public:
  FlowMaps(bpf_map *wide, bpf_map *v4) : wide_(wide), v4_(v4) {}

  /// visit(const minewatch_flow_key *, const minewatch_flow_value *, count),
  /// batch by batch: IPv4 flows first, widened, then IPv6.
  template <typename Visit> void forEachBatch(Visit &&visit, std::uint32_t batch = 4096) const {
    std::vector<minewatch_flow_key> widened;
    bpf::MapView<minewatch_flow_key4, minewatch_flow_value>(v4_).forEachBatch(
        [&](const minewatch_flow_key4 *keys, const minewatch_flow_value *values, std::uint32_t n) {
          widened.resize(n);
          for (std::uint32_t i = 0; i < n; ++i)
            widened[i] = widen(keys[i]);
          visit(widened.data(), values, n);
        },
        batch);
    bpf::MapView<minewatch_flow_key, minewatch_flow_value>(wide_).forEachBatch(visit, batch);
  }

  [[nodiscard]] std::optional<minewatch_flow_value> lookup(const minewatch_flow_key &key) const;
  /// Returns false when the flow was not there.
  bool erase(const minewatch_flow_key &key) const;
  /// Deletes these flows (batched); returns how many were there.
  std::uint32_t eraseAll(const std::vector<minewatch_flow_key> &keys) const;
  /// Writes a flow (tests and benchmarks fill the table this way).
  void update(const minewatch_flow_key &key, const minewatch_flow_value &value) const;
  [[nodiscard]] std::vector<std::pair<minewatch_flow_key, minewatch_flow_value>> entries() const;
  /// Flows both maps hold at most.
  [[nodiscard]] std::uint64_t capacity() const;

  [[nodiscard]] bpf_map *wideMap() const { return wide_; }
  [[nodiscard]] bpf_map *v4Map() const { return v4_; }

private:
  bpf_map *wide_;
  bpf_map *v4_;
};

} // namespace minewatch::datapath
