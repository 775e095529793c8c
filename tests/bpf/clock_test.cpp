// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The programs' live clock: jiffies scaled by a tick the agent measures,
// read without a helper call, and the coarse-clock helper when it is not
// (yet) calibrated or has stopped agreeing.
#include "common.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;
using minewatch::datapath::monotonicNs;

namespace {
/// last_seen of one packet run on the kernel's clock (no injected time),
/// and the CLOCK_MONOTONIC readings around the run.
struct Stamped {
  std::uint64_t before, seen, after;
};

Stamped stampOnePacket(TestRunHarness &h, std::uint16_t sport) {
  Stamped s{};
  s.before = monotonicNs();
  h.runXdp(tcpFromPool(kAck, 0, sport), 0);
  s.after = monotonicNs();
  auto f = h.flow(kPool, 3333, kClient, sport, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  s.seen = f->forward().last_seen_ns;
  return s;
}

std::uint64_t tickNs(TestRunHarness &h) { return h.sensor().skel()->bss->minewatch_globals.clock_tick_ns; }
} // namespace

BOOST_AUTO_TEST_SUITE(live_clock)

BOOST_AUTO_TEST_CASE(calibrated_programs_read_monotonic_time_from_jiffies) {
  TestRunHarness h;
  BOOST_TEST(!h.sensor().jiffiesClock());
  BOOST_TEST(h.sensor().calibrateClock() == "");
  BOOST_REQUIRE(h.sensor().jiffiesClock());
  auto tick = tickNs(h);
  // a tick length some kernel has: 1 ms (1000 Hz) to ~42 ms (24 Hz)
  BOOST_TEST(tick >= 1'000'000u);
  BOOST_TEST(tick <= 41'666'667u);
  for (std::uint16_t port = 41000; port < 41020; ++port) {
    auto s = stampOnePacket(h, port);
    // The coarse clock lags the exact one by up to a tick (and the tick
    // interrupt's latency); it never runs ahead of it.
    BOOST_TEST(s.seen <= s.after);
    BOOST_TEST(s.seen + 2 * tick >= s.before,
               "last_seen " << s.seen << " lags CLOCK_MONOTONIC " << s.before << " by more than two ticks of " << tick);
  }
  BOOST_TEST(h.sensor().clockStillAgrees());
  BOOST_TEST(h.sensor().jiffiesClock());
}

BOOST_AUTO_TEST_CASE(uncalibrated_programs_call_the_coarse_clock) {
  TestRunHarness h;
  BOOST_REQUIRE(!h.sensor().jiffiesClock());
  BOOST_TEST(h.sensor().clockStillAgrees()); // nothing to disagree with
  auto s = stampOnePacket(h, 42000);
  BOOST_TEST(s.seen <= s.after);
  BOOST_TEST(s.seen + 100 * kMs >= s.before);
}

BOOST_AUTO_TEST_CASE(a_clock_that_stops_agreeing_is_dropped_for_the_helper) {
  TestRunHarness h;
  BOOST_REQUIRE(h.sensor().calibrateClock() == "");
  auto &globals = h.sensor().skel()->bss->minewatch_globals;
  globals.clock_offset_ns += 10 * globals.clock_tick_ns; // as if the tick were wrong for a while
  auto wrong = stampOnePacket(h, 43000);
  BOOST_TEST(wrong.seen > wrong.after); // the programs do use it

  BOOST_TEST(!h.sensor().clockStillAgrees());
  BOOST_TEST(!h.sensor().jiffiesClock());
  auto s = stampOnePacket(h, 43001);
  BOOST_TEST(s.seen <= s.after);
  BOOST_TEST(s.seen + 100 * kMs >= s.before);
}

BOOST_AUTO_TEST_CASE(precise_clock_needs_no_calibration) {
  minewatch::datapath::SensorOptions options;
  options.precise_clock = true;
  TestRunHarness h(options);
  BOOST_TEST(h.sensor().calibrateClock() == "");
  BOOST_TEST(!h.sensor().jiffiesClock());
  auto s = stampOnePacket(h, 44000);
  BOOST_TEST(s.seen >= s.before); // exact: within the run
  BOOST_TEST(s.seen <= s.after);
}

BOOST_AUTO_TEST_SUITE_END()
