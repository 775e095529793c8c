// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string>

namespace minewatch::datapath {

/// Where ingress packets are seen: XDP (first, before the stack allocates
/// anything: the fastest drop) or TC (after GRO: a veth or virtio NIC keeps
/// its 64 KiB packets, which any XDP program makes it cut to the MTU).
enum class IngressHook : std::uint8_t { Xdp, Tc };
/// How to attach XDP: the driver's mode when it has one, or as asked.
enum class XdpMode : std::uint8_t { Auto, Native, Generic };

/// Each throws std::invalid_argument with a sentence naming the choices.
XdpMode parseXdpMode(const std::string &text);
IngressHook parseIngressHook(const std::string &text);
const char *ingressHookName(IngressHook hook); // xdp | tc

/// Load-time sizing and behaviour of the BPF programs.
struct SensorOptions {
  std::uint32_t max_flows = 262144;
  std::uint32_t ring_buffer_bytes = 4u << 20; // power of two, multiple of the page size
  std::uint32_t dirty_ring_bytes = 4u << 20;  // "flow changed" events: ~75k per drain
  std::uint32_t max_block_rules = 65536;      // per map (CIDR and endpoint)
  std::uint32_t samples_per_direction = 4;
  std::uint32_t sample_bytes = 256;
  std::uint32_t dns_samples_per_sec = 200;
  // First messages of each TCP flow (struct minewatch_msg_state); 0: off.
  std::uint32_t messages_per_flow = 64;
  std::uint32_t message_gap_ms = 1000;         // silence that ends a message in one direction (detect::kMessageGapMs)
  std::uint32_t message_ring_bytes = 4u << 20; // 72 B a message; power of two like the others
  bool enforce = true;                         // false: tap mode, count would-drops only
  bool precise_clock = false;                  // ns timestamps instead of the coarse (1/HZ) clock
  // Ingress on TC: load the TC ingress program and not the XDP one. Each
  // costs the verifier ~0.5 s; only the one in use is loaded.
  bool tc_ingress = false;
  // The TC egress program. A replay pushes every packet through the
  // ingress program only, and skips its ~0.35 s in the verifier.
  bool egress_program = true;
  bool bench_new_flow_per_packet = false;
};

/// Throws std::invalid_argument naming the bad option.
void validate(const SensorOptions &options);

/// The IPv6 flow map's size for a given max_flows (the IPv4 map's).
inline std::uint32_t ipv6FlowCapacity(std::uint32_t max_flows) { return max_flows / 4 > 1024 ? max_flows / 4 : 1024; }

/// How many flows one in-kernel sweep can hand the agent (changed or over;
/// see struct minewatch_sweep_ctx), and a tick read in one go: an eighth
/// of the table, 4096 to 131072. 600 bytes each (the record and the key
/// asked for), ~8 % on top of the flow maps' memory. A sweep with more falls
/// back to reading the whole table; a tick reads in several goes.
inline std::uint32_t sweepRecordCapacity(std::uint32_t max_flows) {
  std::uint64_t eighth = (std::uint64_t{max_flows} + ipv6FlowCapacity(max_flows)) / 8;
  return static_cast<std::uint32_t>(eighth < 4096 ? 4096 : eighth > 131072 ? 131072 : eighth);
}

} // namespace minewatch::datapath
