// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Flow metering for export: a record when a flow ends, one per active
// timeout while it goes on, delta counts that add up to the sensor's
// totals, the initiator as the source, time on the wall clock.
#include "export/flow_meter.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <cstring>

using namespace minewatch::ipfix;

namespace {
constexpr std::uint64_t kSec = 1'000'000'000ull;

minewatch_flow_key key() {
  minewatch_flow_key k{};
  std::uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  std::uint8_t b[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
  std::memcpy(k.addr_a, a, 16);
  std::memcpy(k.addr_b, b, 16);
  k.port_a = htons(3333);
  k.port_b = htons(50000);
  k.proto = 6;
  k.family = MINEWATCH_FAMILY_IPV4;
  return k;
}

/// b (10.0.0.2:50000) opened it: direction B_TO_A is the initiator's.
void traffic(minewatch_flow_value &v, std::uint64_t at_ns, std::uint64_t fwd_packets, std::uint64_t rev_packets) {
  auto &f = v.dir[MINEWATCH_DIR_B_TO_A], &r = v.dir[MINEWATCH_DIR_A_TO_B];
  if (!f.first_seen_ns)
    f.first_seen_ns = r.first_seen_ns = at_ns;
  f.packets += fwd_packets;
  f.bytes += fwd_packets * 100;
  r.packets += rev_packets;
  r.bytes += rev_packets * 60;
  f.last_seen_ns = r.last_seen_ns = at_ns;
  f.tcp_flags |= MINEWATCH_TCP_SYN | MINEWATCH_TCP_ACK;
  f.size_hist[3] = static_cast<std::uint32_t>(f.packets);
  v.initiator = MINEWATCH_DIR_B_TO_A;
}

// The data-path clock as wall time (as in replay): ms are ns / 1e6.
auto timeBase() { return minewatch::util::TimeBase::identity(); }
} // namespace

BOOST_AUTO_TEST_SUITE(flow_meter)

BOOST_AUTO_TEST_CASE(a_flow_that_ends_gives_one_record_with_the_initiator_as_source) {
  FlowMeter meter(60 * kSec, timeBase());
  minewatch_flow_value v{};
  traffic(v, 100 * kSec, 5, 4);
  BOOST_TEST(!meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, std::nullopt, 101 * kSec));
  traffic(v, 130 * kSec + 500'000'000, 1, 1);
  FlowLabels labels{2, 0.97, "pool.example", "abc", "t13d1516h2_8daaf6152771_d8a2da3f94cd", "signature"};
  auto r = meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, &labels, EndReason::EndOfFlow, 140 * kSec);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->src[15] == 2); // 10.0.0.2 opened it
  BOOST_TEST(r->dst[15] == 1);
  BOOST_TEST(r->src_port == 50000);
  BOOST_TEST(r->dst_port == 3333);
  BOOST_TEST(r->forward.packets == 6u);
  BOOST_TEST(r->forward.octets == 600u);
  BOOST_TEST(r->reverse.packets == 5u);
  BOOST_TEST(r->reverse.octets == 300u);
  BOOST_TEST(r->forward.tcp_flags == (MINEWATCH_TCP_SYN | MINEWATCH_TCP_ACK));
  BOOST_TEST(r->forward.size_hist[3] == 6u);
  BOOST_TEST(r->start_ms == 100'000u);
  BOOST_TEST(r->end_ms == 130'500u);
  BOOST_TEST((r->end_reason == EndReason::EndOfFlow));
  BOOST_TEST(r->verdict == 2);
  BOOST_TEST(r->server_name == "pool.example");
  BOOST_TEST(r->detectors == "signature");
  BOOST_TEST(r->ja4 == "t13d1516h2_8daaf6152771_d8a2da3f94cd");
  BOOST_TEST(meter.remembered() == 0u);
}

BOOST_AUTO_TEST_CASE(active_timeout_records_carry_deltas_that_add_up) {
  FlowMeter meter(60 * kSec, timeBase());
  minewatch_flow_value v{};
  std::uint64_t fwd = 0, rev = 0, fwd_bytes = 0;
  std::vector<FlowRecord> records;
  // A flow talking every 10 s for 200 s, read by every drain.
  for (std::uint64_t t = 0; t <= 200; t += 10) {
    traffic(v, (1000 + t) * kSec, 3, 2);
    if (auto r = meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, std::nullopt, (1000 + t) * kSec))
      records.push_back(*r);
  }
  BOOST_TEST(records.size() == 3u); // at 60, 120, 180 s
  for (const auto &r : records)
    BOOST_TEST((r.end_reason == EndReason::Active));
  BOOST_TEST(records[0].start_ms == 1'000'000u);
  BOOST_TEST(records[0].end_ms == 1'060'000u);
  BOOST_TEST(records[1].start_ms == 1'060'000u); // continues where the last ended
  BOOST_TEST(meter.remembered() == 1u);
  auto last = meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, EndReason::Idle, 1500 * kSec);
  BOOST_REQUIRE(last);
  records.push_back(*last);
  for (const auto &r : records) {
    fwd += r.forward.packets;
    rev += r.reverse.packets;
    fwd_bytes += r.forward.octets;
  }
  BOOST_TEST(fwd == v.dir[MINEWATCH_DIR_B_TO_A].packets);
  BOOST_TEST(rev == v.dir[MINEWATCH_DIR_A_TO_B].packets);
  BOOST_TEST(fwd_bytes == v.dir[MINEWATCH_DIR_B_TO_A].bytes);
  BOOST_TEST(meter.remembered() == 0u);
}

BOOST_AUTO_TEST_CASE(nothing_new_since_the_last_record_sends_nothing) {
  FlowMeter meter(60 * kSec, timeBase());
  minewatch_flow_value v{};
  traffic(v, 1000 * kSec, 1, 1);
  BOOST_REQUIRE(meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, std::nullopt, 1061 * kSec));
  BOOST_TEST(!meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, std::nullopt, 1130 * kSec));
}

BOOST_AUTO_TEST_CASE(flows_gone_unread_are_forgotten) {
  FlowMeter meter(60 * kSec, timeBase());
  minewatch_flow_value v{};
  traffic(v, 1000 * kSec, 1, 1);
  BOOST_REQUIRE(meter.observe(key(), v, MINEWATCH_DIR_B_TO_A, nullptr, std::nullopt, 1061 * kSec));
  meter.forgetQuiet(1100 * kSec, 100 * kSec);
  BOOST_TEST(meter.remembered() == 1u);
  meter.forgetQuiet(1200 * kSec, 100 * kSec);
  BOOST_TEST(meter.remembered() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
