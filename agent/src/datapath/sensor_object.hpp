// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

// clang-format off
#include "minewatch_abi.h" // before the skeleton, which names its types
#include "minewatch_bpf.skel.h"
// clang-format on

#include "bpf/map_view.hpp"
#include "bpf/mapped_array.hpp"
#include "bpf/skeleton.hpp"
#include "datapath/flow_maps.hpp"
#include "datapath/sensor_options.hpp"

#include <array>
#include <span>
#include <string>
#include <cstdint>

namespace minewatch::datapath {

using CidrRuleMap = bpf::MapView<minewatch_lpm_key, minewatch_block_rule>;
using EndpointRuleMap = bpf::MapView<minewatch_endpoint_key, minewatch_block_rule>;
using StatCounters = std::array<std::uint64_t, MINEWATCH_STAT_MAX>;

/// What one in-kernel sweep found (see struct minewatch_sweep_ctx). The
/// records live in the kernel's map, valid until the next sweep.
struct KernelSweep {
  minewatch_sweep_ctx summary;
  std::span<const minewatch_sweep_record> records; // empty when it overflowed
};

/// The sensor's BPF object: both programs and the maps they share. Opened and
/// configured in the constructor; loaded by load() (or by libxdp on attach).
class SensorObject {
public:
  explicit SensorObject(const SensorOptions &options);

  /// Verifies and loads both programs. Throws std::system_error.
  void load();
  /// After something else loaded the object (libxdp, on attach): points
  /// skel()->bss at the kernel's .bss map, as the skeleton's own load does,
  /// so clock and rules-generation writes reach the programs.
  void adoptLoadedObject();

  [[nodiscard]] minewatch_bpf *skel() const { return skel_.get(); }
  [[nodiscard]] bpf_program *xdpProgram() const { return skel_->progs.minewatch_xdp; }
  [[nodiscard]] bpf_program *tcProgram() const { return skel_->progs.minewatch_tc_egress; }

  [[nodiscard]] FlowMaps flows() const { return {skel_->maps.minewatch_flows, skel_->maps.minewatch_flows4}; }
  [[nodiscard]] CidrRuleMap cidrRules() const { return CidrRuleMap(skel_->maps.minewatch_block_cidr); }
  [[nodiscard]] EndpointRuleMap endpointRules() const { return EndpointRuleMap(skel_->maps.minewatch_block_endpoint); }
  [[nodiscard]] int samplesFd() const { return bpf_map__fd(skel_->maps.minewatch_samples); }
  [[nodiscard]] int dirtyFd() const { return bpf_map__fd(skel_->maps.minewatch_dirty); }
  /// struct minewatch_message records (decode with datapath/message_records.hpp).
  [[nodiscard]] int messagesFd() const { return bpf_map__fd(skel_->maps.minewatch_messages); }

  /// Walks both flow maps in the kernel (minewatch_sweep) with the
  /// request's now, timeouts and drain generation. Throws std::system_error.
  KernelSweep sweepInKernel(const minewatch_sweep_ctx &request);
  /// Reads these flows (at most sweepCapacity()) in one syscall
  /// (minewatch_read_flows): record i is keys[i], flagged
  /// MINEWATCH_SWEEP_FOUND when the flow exists. Valid until the next read
  /// or sweep. Throws std::system_error.
  std::span<const minewatch_sweep_record> readFlows(std::span<const minewatch_flow_key> keys);
  /// How many records one sweep (or read) can hand out.
  [[nodiscard]] std::uint32_t sweepCapacity() const { return bpf_map__max_entries(skel_->maps.minewatch_sweep_out); }

  /// Counters summed over CPUs, indexed by enum minewatch_stat.
  [[nodiscard]] StatCounters stats() const;
  /// One counter, summed over CPUs (one lookup instead of one per counter).
  [[nodiscard]] std::uint64_t stat(minewatch_stat which) const;

  /// One back-to-back reading of jiffies and the coarse clock in the kernel
  /// (minewatch_clock_probe). Throws std::system_error.
  [[nodiscard]] minewatch_clock_sample probeClock() const;
  /// After load: measures the jiffies clock and hands it to the programs,
  /// which then read "now" without a helper call (minewatch_globals). Takes
  /// about 25 ms. Returns a sentence for the operator when it cannot (the
  /// programs keep calling the coarse-clock helper: correct, slower).
  std::string calibrateClock();
  /// Whether the programs' jiffies clock still agrees with the kernel's
  /// coarse clock within a tick (true when it is not in use). The agent
  /// checks at every sweep and falls back to the helper if not.
  bool clockStillAgrees();
  [[nodiscard]] bool jiffiesClock() const { return skel_->bss->minewatch_globals.clock_tick_ns != 0; }

  /// Injects "now" for the programs (0 returns them to the kernel clock).
  void setClock(std::uint64_t ns) const { skel_->bss->minewatch_globals.clock_override_ns = ns; }
  /// Tells the programs the blocklist changed so cached flow verdicts are redone.
  void bumpRulesGeneration() const;
  /// Starts a drain: bumps the generation packets stamp into flows and
  /// returns it (see minewatch_globals.drain_gen).
  std::uint32_t nextDrainGeneration() const;

private:
  bpf::Skeleton<minewatch_bpf> skel_;
  bpf::MappedArray<minewatch_sweep_record> sweep_out_; // mapped at the first sweep or read
  bpf::MappedArray<minewatch_flow_key> read_keys_;     // likewise, writable
  void mapSweepArrays();
};

/// Human name of a counter, for tables and logs.
const char *statName(minewatch_stat stat);

} // namespace minewatch::datapath
