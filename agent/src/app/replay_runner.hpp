// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace minewatch::datapath {
class SensorObject;
}
namespace minewatch::replay {
class PcapReader;
struct Frame;
} // namespace minewatch::replay

namespace minewatch::app {

class Agent;

struct ReplayOptions {
  std::string capture;
  bool json = false; // print detections as JSON instead of a table
};

struct ReplaySummary {
  std::uint64_t packets = 0;
  std::uint64_t padded = 0;
  std::uint64_t skipped = 0;
  std::uint64_t detections = 0;
  std::uint64_t mining = 0;
  double seconds = 0;    // wall time spent
  std::string cut_short; // why the capture was read only in part ("" when whole)
};

/// Which of the sensor's programs a captured packet goes through.
enum class ReplayHook : std::uint8_t {
  Ingress, // the XDP program: a replay sends every packet here
  Egress,  // the TC egress program (loaded only when SensorOptions::egress_program)
};
/// Picks a packet's hook; empty: every packet to Ingress.
using ReplayHookOf = std::function<ReplayHook(const replay::Frame &)>;

/// Feeds every packet of a capture through the sensor's XDP program (or
/// the hook `hook_of` picks) on the capture's own clock, hands the samples to
/// the agent and ticks it every tick_ms of capture time, with a last tick at
/// the end. Tests send a host's own packets out through the egress program,
/// as the kernel path does live, and hold the replay to the same verdicts.
ReplaySummary feedCapture(replay::PcapReader &reader, datapath::SensorObject &sensor, Agent &agent,
                          std::uint32_t tick_ms, const ReplayHookOf &hook_of = {});

/// Pushes a capture through the real BPF programs (bpf_prog_test_run_opts on
/// the XDP program, in tap mode, on the capture's own clock), runs the agent
/// on what they produce as if live, and prints the detections.
ReplaySummary runReplay(const config::AgentConfig &config, const ReplayOptions &options);

} // namespace minewatch::app
