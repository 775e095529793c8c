// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <algorithm>
#include <cstdint>

namespace minewatch::drain {

/// Newest packet of either direction, data-path clock.
inline std::uint64_t lastSeen(const minewatch_flow_value &v) {
  return std::max(v.dir[0].last_seen_ns, v.dir[1].last_seen_ns);
}

/// First packet of either direction that has one (0: none).
inline std::uint64_t firstSeen(const minewatch_flow_value &v) {
  auto a = v.dir[0].first_seen_ns, b = v.dir[1].first_seen_ns;
  return a && b ? std::min(a, b) : (a ? a : b);
}

/// Over when both sides said FIN, or either said RST (the in-kernel sweep's rule too).
inline bool closed(const minewatch_flow_value &v) { return minewatch_flow_closed(&v) != 0; }

inline std::uint64_t totalBytes(const minewatch_flow_value &v) { return v.dir[0].bytes + v.dir[1].bytes; }
inline std::uint64_t totalPackets(const minewatch_flow_value &v) { return v.dir[0].packets + v.dir[1].packets; }

/// Whether a packet stamped drain generation `gen` into either direction.
inline bool stampedWith(const minewatch_flow_value &v, std::uint32_t gen) {
  return minewatch_flow_stamped(&v, gen) != 0;
}

} // namespace minewatch::drain
