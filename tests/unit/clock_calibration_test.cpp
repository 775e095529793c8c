// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Calibrating the programs' jiffies clock from probe samples: exact tick
// lengths only, racing samples ignored, too little evidence refused.
#include "datapath/clock_calibration.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace minewatch::datapath;

namespace {
constexpr std::uint64_t kBootJiffies = 4294892296ull; // INITIAL_JIFFIES at 250 Hz, plus some
constexpr std::uint64_t kOffset = 7'000'123'456ull;   // coarse time when jiffies would be 0

/// Pairs of samples (as the agent takes them, back to back) every
/// `step_ns` for `span_ns` of a kernel ticking at `tick_ns`, each tick's
/// time update `latency_ns` after its boundary.
std::vector<minewatch_clock_sample> probe(std::uint64_t tick_ns, std::uint64_t span_ns, std::uint64_t step_ns,
                                          std::uint64_t latency_ns = 3'000) {
  std::vector<minewatch_clock_sample> out;
  for (std::uint64_t t = 0; t < span_ns; t += step_ns) {
    for (std::uint64_t at : {t, t + 2'000}) {
      std::uint64_t j = kBootJiffies + at / tick_ns;
      out.push_back({j, j * tick_ns + kOffset + latency_ns});
    }
  }
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(clock_calibration)

BOOST_AUTO_TEST_CASE(exact_tick_for_every_common_rate) {
  for (std::uint64_t hz : {100u, 250u, 300u, 1000u}) {
    std::uint64_t tick = (1'000'000'000ull + hz / 2) / hz;
    auto clock = calibrateJiffies(probe(tick, 60'000'000, 1'000'000));
    BOOST_REQUIRE_MESSAGE(clock, hz << " Hz");
    BOOST_TEST(clock->tick_ns == tick);
    BOOST_TEST(clock->at(kBootJiffies + 1000) == (kBootJiffies + 1000) * tick + kOffset + 3'000);
  }
}

BOOST_AUTO_TEST_CASE(a_sample_caught_between_the_two_updates_is_not_trusted) {
  auto samples = probe(4'000'000, 40'000'000, 1'000'000);
  // new jiffies, previous tick's time: one tick early, at both ends
  samples.front().jiffies += 1;
  samples.push_back({samples.back().jiffies + 1, samples.back().coarse_ns});
  auto clock = calibrateJiffies(samples);
  BOOST_REQUIRE(clock);
  BOOST_TEST(clock->tick_ns == 4'000'000u);
  BOOST_TEST(clock->offset_ns == kOffset + 3'000);
}

BOOST_AUTO_TEST_CASE(too_little_evidence_is_refused) {
  BOOST_TEST(!calibrateJiffies({}));
  // three ticks: too short to tell 250 Hz from 256 Hz
  BOOST_TEST(!calibrateJiffies(probe(4'000'000, 12'000'000, 1'000'000)));
  // single samples: none is confirmed by another
  auto pairs = probe(4'000'000, 40'000'000, 1'000'000);
  std::vector<minewatch_clock_sample> singles;
  for (std::size_t i = 0; i < pairs.size(); i += 2)
    singles.push_back({pairs[i].jiffies + i, pairs[i].coarse_ns + i * 4'000'000});
  BOOST_TEST(!calibrateJiffies(singles));
  // jiffies that do not move
  std::vector<minewatch_clock_sample> stuck(20, minewatch_clock_sample{kBootJiffies, kOffset});
  BOOST_TEST(!calibrateJiffies(stuck));
}

BOOST_AUTO_TEST_CASE(a_rate_no_kernel_has_is_refused) {
  BOOST_TEST(!calibrateJiffies(probe(3'700'000, 60'000'000, 1'000'000))); // ~270 Hz
  BOOST_TEST(!tickNsNear(270.0));
  BOOST_TEST(*tickNsNear(251.0) == 4'000'000u);
  BOOST_TEST(*tickNsNear(299.0) == 3'333'333u);
}

BOOST_AUTO_TEST_CASE(agreement_is_within_a_tick) {
  JiffiesClock clock{4'000'000, kOffset};
  minewatch_clock_sample now{kBootJiffies + 10, (kBootJiffies + 10) * 4'000'000 + kOffset + 5'000};
  BOOST_TEST(clockAgrees(clock, now));
  now.jiffies += 1; // the racing read: a tick behind
  BOOST_TEST(clockAgrees(clock, now));
  now.jiffies += 2;
  BOOST_TEST(!clockAgrees(clock, now));
  clock.offset_ns += 8'000'000; // drifted two ticks
  now.jiffies -= 3;
  BOOST_TEST(!clockAgrees(clock, now));
}

BOOST_AUTO_TEST_SUITE_END()
