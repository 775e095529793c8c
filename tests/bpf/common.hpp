// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/monotonic_clock.hpp"
#include "test_run_harness.hpp"

#include <linux/bpf.h>
#include <netinet/in.h>

#include <cstdint>

namespace minewatch::test {

// linux/pkt_cls.h defines a macro named tc_gen that breaks Boost.Test, so the
// two verdicts the egress program returns are spelled out here.
constexpr std::uint32_t kTcOk = 0;   // TC_ACT_OK
constexpr std::uint32_t kTcShot = 2; // TC_ACT_SHOT

constexpr std::uint64_t kT0 = 1'000'000'000'000ull; // an arbitrary injected "now"
constexpr std::uint64_t kMs = 1'000'000ull;
constexpr std::uint64_t kSec = 1'000'000'000ull;

constexpr const char *kClient = "192.0.2.10";
constexpr const char *kPool = "198.51.100.7";
constexpr const char *kClient6 = "2001:db8::10";
constexpr const char *kPool6 = "2001:db8:1::7";

/// A client -> pool TCP segment with optional payload.
inline Bytes tcpToPool(std::uint8_t flags, std::size_t payload = 0, std::uint16_t sport = 40000) {
  return PacketBuilder().ipv4(kClient, kPool).tcp(sport, 3333, flags).payload(payload).build();
}

/// A pool -> client TCP segment with optional payload.
inline Bytes tcpFromPool(std::uint8_t flags, std::size_t payload = 0, std::uint16_t dport = 40000) {
  return PacketBuilder().ipv4(kPool, kClient).tcp(3333, dport, flags).payload(payload).build();
}

} // namespace minewatch::test
