// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <array>
#include <cstdint>

namespace minewatch::detect {

/// One direction of a flow as the detectors see it, oriented by role.
struct DirectionFeatures {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t first_seen_ns = 0;
  std::uint64_t last_seen_ns = 0;
  std::uint32_t psh_packets = 0;
  std::uint32_t tcp_flags = 0;
  std::array<std::uint32_t, MINEWATCH_SIZE_BUCKETS> size_hist{};
  std::array<std::uint32_t, MINEWATCH_IAT_BUCKETS> iat_hist{};

  [[nodiscard]] std::uint64_t payloadPackets() const { return packets - size_hist[0]; }
};

/// A flow's counters split into the client's side (whoever opened it) and
/// the server's, which is how mining reads: the miner is the client, the
/// pool the server.
struct FlowFeatures {
  std::uint8_t proto = 0;
  DirectionFeatures client;     // client -> server
  DirectionFeatures server;     // server -> client
  bool initiator_known = false; // from a SYN, not just the first packet seen

  [[nodiscard]] std::uint64_t firstSeen() const;
  [[nodiscard]] std::uint64_t lastSeen() const;
  [[nodiscard]] std::uint64_t durationNs() const { return lastSeen() - firstSeen(); }
};

/// Orients BPF counters: client_dir is the direction index of the client's
/// packets (see app::rolesOf for how it is chosen).
FlowFeatures featuresOf(const minewatch_flow_key &key, const minewatch_flow_value &value, unsigned client_dir);

} // namespace minewatch::detect
