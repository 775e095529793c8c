// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <ctime>

namespace minewatch::datapath {

/// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads, so rule
/// deadlines computed here mean the same thing in BPF.
inline std::uint64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

} // namespace minewatch::datapath
