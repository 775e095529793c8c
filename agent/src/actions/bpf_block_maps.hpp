// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/block_maps.hpp"
#include "datapath/sensor_object.hpp"

namespace minewatch::actions {

/// BlockMaps over the sensor's LPM trie and endpoint map.
class BpfBlockMaps final : public BlockMaps {
public:
  explicit BpfBlockMaps(const datapath::SensorObject &sensor) : sensor_(sensor) {}

  [[nodiscard]] bool install(const rules::RuleTarget &target, std::uint32_t rule_id, std::uint64_t expires_ns) override;
  bool remove(const rules::RuleTarget &target) override;
  [[nodiscard]] std::vector<InstalledRule> installed() const override;

private:
  const datapath::SensorObject &sensor_;
};

} // namespace minewatch::actions
