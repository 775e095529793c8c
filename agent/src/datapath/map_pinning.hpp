// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"
#include "datapath/sensor_object.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::datapath {

/// Keeps the sensor's state across agent restarts: the flow table, the two
/// blocklist maps and the counters are pinned under `dir` (on bpffs, mounted
/// if it is not) and reused by the next load. A pinned map whose layout no
/// longer fits (say max_flows changed) is replaced; its block rules are
/// carried over into the new map, so a restart never loses a block.
///
/// Call prepare() after the object is opened and before it is loaded, and
/// restore() right after the load.
class MapPinning {
public:
  MapPinning(const SensorObject &sensor, std::string dir);

  void prepare();
  void restore();

  /// The program pinned as `name` in dir() by an earlier agent (invalid fd
  /// when none).
  [[nodiscard]] bpf::UniqueFd pinnedProgram(const std::string &name) const;
  /// Pins prog_fd as `name` in dir(), replacing an earlier pin.
  void pinProgram(int prog_fd, const std::string &name) const;
  /// Removes the pin `name` from dir(), if there is one.
  void unpin(const std::string &name) const;

  /// Pins again every map whose pin is gone or names another object (say
  /// someone ran `rm -r` on the pin directory): without its pins, the next
  /// agent would start with no block rules. Returns the names re-pinned.
  std::vector<std::string> repinLost() const;
  /// Whether `name` in dir() is pinned and is the object behind `fd`.
  [[nodiscard]] bool pinnedIs(const std::string &name, int fd) const;

  /// Id of the endpoint block map pinned when prepare() ran (reused or
  /// replaced); 0 when there was none.
  [[nodiscard]] std::uint32_t previousBlockMapId() const { return previous_block_map_id_; }

  [[nodiscard]] const std::string &dir() const { return dir_; }
  /// Human notes about what was reused, replaced or migrated.
  [[nodiscard]] const std::vector<std::string> &notes() const { return notes_; }

private:
  const SensorObject &sensor_;
  std::string dir_;
  std::vector<std::string> notes_;
  std::uint32_t previous_block_map_id_ = 0;
  std::vector<std::pair<minewatch_lpm_key, minewatch_block_rule>> carried_cidr_;
  std::vector<std::pair<minewatch_endpoint_key, minewatch_block_rule>> carried_endpoint_;
};

/// Makes sure `dir` will live on bpffs, mounting it at /sys/fs/bpf when
/// nothing is mounted there. Throws with a clear message when it cannot.
void ensureBpffs(const std::string &dir);

} // namespace minewatch::datapath
