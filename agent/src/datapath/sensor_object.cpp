// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/sensor_object.hpp"

#include "datapath/clock_calibration.hpp"
#include "datapath/monotonic_clock.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace minewatch::datapath {

namespace {
/// Runs a BPF_PROG_TYPE_SYSCALL program on `ctx`, which the kernel copies
/// in and, with the program's answers, back out.
template <typename Ctx> void runSyscallProgram(bpf_program *prog, Ctx &ctx) {
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &ctx, .ctx_size_in = sizeof ctx);
  if (int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &run); err)
    throw std::system_error(-err, std::generic_category(), std::string("run ") + bpf_program__name(prog));
}

void resize(bpf_map *map, std::uint32_t entries) {
  if (int err = bpf_map__set_max_entries(map, entries); err)
    throw std::system_error(-err, std::generic_category(), std::string("size map ") + bpf_map__name(map));
}
} // namespace

SensorObject::SensorObject(const SensorOptions &options) : skel_("minewatch") {
  validate(options);
  // max_flows is the IPv4 table; IPv6 gets a quarter (at least 1024):
  // most hosts' flows are IPv4, and each entry costs ~0.6 KiB of kernel memory.
  resize(skel_->maps.minewatch_flows4, options.max_flows);
  resize(skel_->maps.minewatch_flows, ipv6FlowCapacity(options.max_flows));
  resize(skel_->maps.minewatch_samples, options.ring_buffer_bytes);
  resize(skel_->maps.minewatch_dirty, options.dirty_ring_bytes);
  // Off, the ring is never written: one page instead of megabytes.
  resize(skel_->maps.minewatch_messages,
         options.messages_per_flow ? options.message_ring_bytes : static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));
  resize(skel_->maps.minewatch_sweep_out, sweepRecordCapacity(options.max_flows));
  resize(skel_->maps.minewatch_read_keys, sweepRecordCapacity(options.max_flows));
  resize(skel_->maps.minewatch_block_cidr, options.max_block_rules);
  resize(skel_->maps.minewatch_block_endpoint, options.max_block_rules);

  bpf_program__set_autoload(skel_->progs.minewatch_xdp, !options.tc_ingress);
  bpf_program__set_autoload(skel_->progs.minewatch_tc_ingress, options.tc_ingress);
  bpf_program__set_autoload(skel_->progs.minewatch_tc_egress, options.egress_program);

  auto &cfg = skel_->rodata->minewatch_cfg;
  cfg.samples_per_direction = options.samples_per_direction;
  cfg.sample_bytes = options.sample_bytes;
  cfg.dns_samples_per_sec = options.dns_samples_per_sec;
  cfg.enforce = options.enforce ? 1 : 0;
  cfg.bench_new_flow_per_packet = options.bench_new_flow_per_packet ? 1 : 0;
  cfg.precise_clock = options.precise_clock ? 1 : 0;
  cfg.messages_per_flow = options.messages_per_flow;
  cfg.message_gap_ms = options.message_gap_ms;
  // A fresh generation no pinned flow can hold (see minewatch_globals).
  skel_->bss->minewatch_globals.rules_gen = monotonicNs();
  // Likewise for drains: a pinned flow stamped by the last agent must not
  // look fresh to this one (milliseconds: a restart takes longer than one).
  skel_->bss->minewatch_globals.drain_gen = static_cast<std::uint32_t>(monotonicNs() / 1'000'000);
}

void SensorObject::load() { skel_.load("minewatch"); }

void SensorObject::adoptLoadedObject() {
  // bpf_object__load leaves .bss in a private buffer; the skeleton's load
  // maps the kernel map over that same address. Do the same here.
  bpf_map *bss = skel_->maps.bss;
  auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::size_t size = (bpf_map__value_size(bss) + page - 1) / page * page;
  void *at = mmap(skel_->bss, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, bpf_map__fd(bss), 0);
  if (at == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(), "map the sensor's .bss");
}

minewatch_clock_sample SensorObject::probeClock() const {
  // an Ethernet-sized frame for the kernel to accept; the sample comes back in it
  std::array<std::uint8_t, 64> frame{};
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame.data(), .data_out = frame.data(), .data_size_in = frame.size(),
              .data_size_out = frame.size());
  if (int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.minewatch_clock_probe), &run); err)
    throw std::system_error(-err, std::generic_category(), "run minewatch_clock_probe");
  if (run.retval != XDP_PASS || run.data_size_out < sizeof(minewatch_clock_sample))
    throw std::runtime_error("minewatch_clock_probe returned no sample");
  minewatch_clock_sample sample{};
  std::memcpy(&sample, frame.data(), sizeof sample);
  return sample;
}

std::string SensorObject::calibrateClock() {
  auto &globals = skel_->bss->minewatch_globals;
  if (skel_->rodata->minewatch_cfg.precise_clock)
    return {};
  // Pairs back to back (so a sample is confirmed by its twin), a
  // millisecond apart for at least 24 ms (four ticks even at 100 Hz), and a
  // second at most, for a machine too busy to schedule us.
  std::vector<minewatch_clock_sample> samples;
  auto began = std::chrono::steady_clock::now();
  for (;;) {
    samples.push_back(probeClock());
    samples.push_back(probeClock());
    auto spent = std::chrono::steady_clock::now() - began;
    if (spent >= std::chrono::milliseconds(24) && calibrateJiffies(samples))
      break;
    if (spent >= std::chrono::seconds(1))
      return "jiffies did not calibrate against the coarse clock in 1 s; the programs read the coarse clock "
             "through a helper call instead (correct, ~10 ns slower per packet)";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto clock = *calibrateJiffies(samples);
  // The offset first: the programs use the tick (and so the offset) as soon
  // as the tick is non-zero.
  __atomic_store_n(&globals.clock_offset_ns, clock.offset_ns, __ATOMIC_RELEASE);
  __atomic_store_n(&globals.clock_tick_ns, clock.tick_ns, __ATOMIC_RELEASE);
  return {};
}

bool SensorObject::clockStillAgrees() {
  auto &globals = skel_->bss->minewatch_globals;
  JiffiesClock clock{__atomic_load_n(&globals.clock_tick_ns, __ATOMIC_ACQUIRE),
                     __atomic_load_n(&globals.clock_offset_ns, __ATOMIC_ACQUIRE)};
  if (clock.tick_ns == 0)
    return true;
  if (clockAgrees(clock, probeClock()))
    return true;
  __atomic_store_n(&globals.clock_tick_ns, 0, __ATOMIC_RELEASE); // back to the helper
  return false;
}

void SensorObject::mapSweepArrays() {
  if (sweep_out_.mapped())
    return;
  sweep_out_ = bpf::MappedArray<minewatch_sweep_record>(skel_->maps.minewatch_sweep_out);
  read_keys_ = bpf::MappedArray<minewatch_flow_key>(skel_->maps.minewatch_read_keys, true);
}

std::span<const minewatch_sweep_record> SensorObject::readFlows(std::span<const minewatch_flow_key> keys) {
  mapSweepArrays();
  if (keys.size() > read_keys_.size())
    throw std::system_error(E2BIG, std::generic_category(),
                            "read " + std::to_string(keys.size()) + " flows at once (at most " +
                                std::to_string(read_keys_.size()) + ")");
  if (keys.empty())
    return {};
  auto slots = read_keys_.firstToWrite(keys.size());
  std::copy(keys.begin(), keys.end(), slots.begin());
  minewatch_read_ctx ctx{static_cast<std::uint32_t>(keys.size()), 0};
  runSyscallProgram(skel_->progs.minewatch_read_flows, ctx);
  return sweep_out_.first(keys.size());
}

KernelSweep SensorObject::sweepInKernel(const minewatch_sweep_ctx &request) {
  mapSweepArrays();
  KernelSweep out{request, {}};
  runSyscallProgram(skel_->progs.minewatch_sweep, out.summary);
  if (out.summary.overflow == 0)
    out.records = sweep_out_.first(out.summary.records);
  return out;
}

StatCounters SensorObject::stats() const {
  auto sums = bpf::sumPerCpuCounters(skel_->maps.minewatch_stats);
  StatCounters out{};
  for (std::size_t i = 0; i < out.size() && i < sums.size(); ++i)
    out[i] = sums[i];
  return out;
}

std::uint32_t SensorObject::nextDrainGeneration() const {
  return __atomic_add_fetch(&skel_->bss->minewatch_globals.drain_gen, 1, __ATOMIC_SEQ_CST);
}

std::uint64_t SensorObject::stat(minewatch_stat which) const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    throw std::system_error(-cpus, std::generic_category(), "count possible CPUs");
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(cpus));
  auto key = static_cast<std::uint32_t>(which);
  if (int err = bpf_map__lookup_elem(skel_->maps.minewatch_stats, &key, sizeof key, per_cpu.data(),
                                     per_cpu.size() * sizeof(std::uint64_t), 0))
    throw std::system_error(-err, std::generic_category(), "read minewatch_stats");
  std::uint64_t sum = 0;
  for (auto v : per_cpu)
    sum += v;
  return sum;
}

void SensorObject::bumpRulesGeneration() const {
  __atomic_fetch_add(&skel_->bss->minewatch_globals.rules_gen, 1, __ATOMIC_SEQ_CST);
}

const char *statName(minewatch_stat stat) {
  switch (stat) {
  case MINEWATCH_STAT_XDP_PACKETS: return "xdp_packets";
  case MINEWATCH_STAT_TC_PACKETS: return "tc_packets";
  case MINEWATCH_STAT_NON_IP: return "non_ip";
  case MINEWATCH_STAT_MALFORMED_ETH: return "malformed_eth";
  case MINEWATCH_STAT_MALFORMED_VLAN: return "malformed_vlan";
  case MINEWATCH_STAT_VLAN_TOO_DEEP: return "vlan_too_deep";
  case MINEWATCH_STAT_MALFORMED_IPV4: return "malformed_ipv4";
  case MINEWATCH_STAT_MALFORMED_IPV4_IHL: return "malformed_ipv4_ihl";
  case MINEWATCH_STAT_MALFORMED_IPV6: return "malformed_ipv6";
  case MINEWATCH_STAT_IPV6_EXT_TOO_DEEP: return "ipv6_ext_too_deep";
  case MINEWATCH_STAT_MALFORMED_TCP: return "malformed_tcp";
  case MINEWATCH_STAT_MALFORMED_UDP: return "malformed_udp";
  case MINEWATCH_STAT_MALFORMED_ICMP: return "malformed_icmp";
  case MINEWATCH_STAT_FRAGMENTS: return "fragments";
  case MINEWATCH_STAT_FLOWS_CREATED: return "flows_created";
  case MINEWATCH_STAT_FLOW_INSERT_FAILED: return "flow_insert_failed";
  case MINEWATCH_STAT_SAMPLES: return "samples";
  case MINEWATCH_STAT_RINGBUF_DROPS: return "ringbuf_drops";
  case MINEWATCH_STAT_DNS_RATE_LIMITED: return "dns_rate_limited";
  case MINEWATCH_STAT_BLOCKED_XDP: return "blocked_xdp";
  case MINEWATCH_STAT_BLOCKED_TC: return "blocked_tc";
  case MINEWATCH_STAT_BLOCK_WOULD_DROP: return "block_would_drop";
  case MINEWATCH_STAT_BLOCK_EXPIRED: return "block_expired";
  case MINEWATCH_STAT_SAMPLE_LOAD_FAILED: return "sample_load_failed";
  case MINEWATCH_STAT_BLOCKED_XDP_BYTES: return "blocked_xdp_bytes";
  case MINEWATCH_STAT_BLOCKED_TC_BYTES: return "blocked_tc_bytes";
  case MINEWATCH_STAT_DIRTY_DROPS: return "dirty_drops";
  case MINEWATCH_STAT_TC_INGRESS_PACKETS: return "tc_ingress_packets";
  case MINEWATCH_STAT_BLOCKED_TC_INGRESS: return "blocked_tc_ingress";
  case MINEWATCH_STAT_BLOCKED_TC_INGRESS_BYTES: return "blocked_tc_ingress_bytes";
  case MINEWATCH_STAT_MESSAGES: return "messages";
  case MINEWATCH_STAT_MESSAGE_DROPS: return "message_drops";
  case MINEWATCH_STAT_MAX: break;
  }
  return "unknown";
}

} // namespace minewatch::datapath
