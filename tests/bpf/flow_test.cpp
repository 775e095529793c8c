// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Flow accounting: one bidirectional entry, per-direction counters,
// histograms in the right buckets on an injected clock, LRU pressure.
#include "common.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <vector>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;

BOOST_AUTO_TEST_SUITE(flows)

BOOST_AUTO_TEST_CASE(both_directions_land_in_one_flow) {
  TestRunHarness h;
  auto syn = tcpToPool(kSyn);
  auto synack = tcpFromPool(kSyn | kAck);
  auto ack = tcpToPool(kAck);
  BOOST_TEST(h.runTc(syn, kT0) == kTcOk);                  // egress: the miner's SYN
  BOOST_TEST(h.runXdp(synack, kT0 + 1 * kMs) == XDP_PASS); // ingress: the pool answers
  h.runTc(ack, kT0 + 2 * kMs);

  BOOST_TEST(h.flowCount() == 1u);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().packets == 2u);
  BOOST_TEST(f->forward().bytes == syn.size() + ack.size());
  BOOST_TEST(f->reverse().packets == 1u);
  BOOST_TEST(f->reverse().bytes == synack.size());
  BOOST_TEST(f->value.initiator == f->dir);
  BOOST_TEST((f->value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0u);
  BOOST_TEST(f->forward().tcp_flags == (MINEWATCH_TCP_SYN | MINEWATCH_TCP_ACK));
  BOOST_TEST(f->reverse().tcp_flags == (MINEWATCH_TCP_SYN | MINEWATCH_TCP_ACK));
  BOOST_TEST(f->forward().first_seen_ns == kT0);
  BOOST_TEST(f->forward().last_seen_ns == kT0 + 2 * kMs);
  BOOST_TEST(f->reverse().first_seen_ns == kT0 + 1 * kMs);
}

BOOST_AUTO_TEST_CASE(packets_stamp_the_drain_generation_of_their_direction) {
  TestRunHarness h;
  auto gen = h.sensor().nextDrainGeneration();
  h.runTc(tcpToPool(kSyn), kT0);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().drain_gen == gen);
  BOOST_TEST(f->reverse().drain_gen == 0u); // no packet that way yet

  // A drain begins; only the direction with a packet since carries it.
  auto next = h.sensor().nextDrainGeneration();
  BOOST_TEST(next == gen + 1);
  h.runXdp(tcpFromPool(kSyn | kAck), kT0 + kMs);
  f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_TEST(f->forward().drain_gen == gen);
  BOOST_TEST(f->reverse().drain_gen == next);
}

BOOST_AUTO_TEST_CASE(ipv4_flows_use_the_compact_map_and_read_back_widened) {
  TestRunHarness h;
  h.runTc(tcpToPool(kSyn), kT0);
  h.runXdp(PacketBuilder().ipv6(kClient6, kPool6).tcp(42000, 443, kSyn).build(), kT0);
  auto *skel = h.sensor().skel();
  using V = minewatch_flow_value;
  auto v4 = minewatch::bpf::MapView<minewatch_flow_key4, V>(skel->maps.minewatch_flows4).entries();
  auto v6 = minewatch::bpf::MapView<minewatch_flow_key, V>(skel->maps.minewatch_flows).entries();
  BOOST_REQUIRE(v4.size() == 1u);
  BOOST_REQUIRE(v6.size() == 1u);
  BOOST_TEST(v6[0].first.family == MINEWATCH_FAMILY_IPV6);
  // Widened, the compact key is exactly what the wide form of the flow is.
  auto wide = minewatch::datapath::widen(v4[0].first);
  auto narrowed = minewatch::datapath::narrow(wide);
  BOOST_REQUIRE(narrowed);
  BOOST_TEST(std::memcmp(&*narrowed, &v4[0].first, sizeof *narrowed) == 0);
  BOOST_TEST(!minewatch::datapath::narrow(v6[0].first));
  BOOST_TEST(h.sensor().flows().lookup(wide).has_value()); // the facade files it by the wide key
  BOOST_REQUIRE(h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP));
  BOOST_TEST(h.flowCount() == 2u);
}

BOOST_AUTO_TEST_CASE(a_later_bare_syn_names_the_initiator) {
  TestRunHarness h;
  h.runXdp(tcpFromPool(kAck, 10), kT0); // mid-flow packet seen first
  auto f = h.flow(kPool, 3333, kClient, 40000, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->value.initiator == f->dir);
  BOOST_TEST((f->value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) == 0u);
  h.runTc(tcpToPool(kSyn), kT0 + kMs);
  f = h.flow(kPool, 3333, kClient, 40000, IPPROTO_TCP);
  BOOST_TEST(f->value.initiator == (f->dir ^ 1));
  BOOST_TEST((f->value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0u);
}

// Who opened a flow, by the hook its naming packet crossed: auto-block acts
// only on flows this host opened (egress), never on one a remote host
// opened towards it (ingress), whatever that host sends.
BOOST_AUTO_TEST_CASE(the_hook_of_the_opening_packet_says_whether_this_host_opened_the_flow) {
  struct Step {
    bool egress;
    std::uint8_t flags;
  };
  struct Case {
    const char *what;
    std::vector<Step> steps;
    bool outbound;
  };
  const Case cases[] = {
      {"our SYN out, the pool's SYN-ACK in", {{true, kSyn}, {false, kSyn | kAck}}, true},
      {"a remote SYN in, our SYN-ACK out", {{false, kSyn}, {true, kSyn | kAck}}, false},
      {"mid-flow, first seen going out", {{true, kAck}}, true},
      {"mid-flow, first seen coming in", {{false, kAck}}, false},
      {"first seen coming in, then our bare SYN names us", {{false, kAck}, {true, kSyn}}, true},
      {"first seen going out, then a remote bare SYN names it", {{true, kAck}, {false, kSyn}}, false},
  };
  for (const auto &c : cases) {
    TestRunHarness h;
    std::uint64_t t = kT0;
    for (const auto &step : c.steps) {
      // The same two endpoints every time: the client port on our side.
      if (step.egress)
        h.runTc(tcpToPool(step.flags), t += kMs);
      else
        h.runXdp(tcpFromPool(step.flags), t += kMs);
    }
    auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
    BOOST_REQUIRE_MESSAGE(f, c.what);
    BOOST_TEST(((f->value.flags & MINEWATCH_FLOW_OPENED_OUTBOUND) != 0) == c.outbound, c.what);
  }
}

BOOST_AUTO_TEST_CASE(payload_size_histogram_buckets) {
  TestRunHarness h;
  // bucket 0: no payload; i>=1: [2^(i-1), 2^i)
  struct {
    std::size_t payload;
    unsigned bucket;
  } cases[] = {{0, 0}, {1, 1}, {2, 2}, {3, 2}, {100, 7}, {128, 8}, {255, 8}, {256, 9}, {1400, 11}};
  std::uint64_t t = kT0;
  for (auto c : cases)
    h.runXdp(tcpToPool(kAck | kPsh, c.payload), t += kMs);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  minewatch_dir_stats expected{};
  for (auto c : cases)
    expected.size_hist[c.bucket]++;
  for (unsigned b = 0; b < MINEWATCH_SIZE_BUCKETS; ++b)
    BOOST_TEST_CONTEXT("bucket " << b) { BOOST_TEST(f->forward().size_hist[b] == expected.size_hist[b]); }
  BOOST_TEST(f->forward().payload_bytes == 0u + 1 + 2 + 3 + 100 + 128 + 255 + 256 + 1400);
  BOOST_TEST(f->forward().psh_packets == 9u);
}

BOOST_AUTO_TEST_CASE(inter_arrival_histogram_uses_the_injected_clock) {
  TestRunHarness h;
  // gaps: 1 ms -> 976 units of 1024 ns -> bucket 9; 10 s -> 9765625 units -> 23;
  // 5 min -> past the last bucket; 0 ns (same timestamp) -> bucket 0
  std::uint64_t times[] = {kT0, kT0 + kMs, kT0 + kMs + 10 * kSec, kT0 + kMs + 310 * kSec, kT0 + kMs + 310 * kSec};
  for (auto t : times)
    h.runXdp(tcpToPool(kAck), t);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  const auto &iat = f->forward().iat_hist;
  BOOST_TEST(iat[9] == 1u);
  BOOST_TEST(iat[23] == 1u);
  BOOST_TEST(iat[MINEWATCH_IAT_BUCKETS - 1] == 1u);
  BOOST_TEST(iat[0] == 1u);
  unsigned total = 0;
  for (auto v : iat)
    total += v;
  BOOST_TEST(total == 4u); // n packets, n-1 gaps
  BOOST_TEST(f->forward().first_seen_ns == kT0);
  BOOST_TEST(f->forward().last_seen_ns == times[4]);
}

BOOST_AUTO_TEST_CASE(directions_keep_separate_inter_arrival_clocks) {
  TestRunHarness h;
  h.runTc(tcpToPool(kAck, 50), kT0);
  h.runXdp(tcpFromPool(kAck, 300), kT0 + 5 * kMs);
  h.runTc(tcpToPool(kAck, 50), kT0 + 30 * kSec); // 30 s since the last client packet
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().iat_hist[24] == 1u); // 30e9 >> 10 = 29.3M -> log2 = 24
  unsigned reverse_gaps = 0;
  for (auto v : f->reverse().iat_hist)
    reverse_gaps += v;
  BOOST_TEST(reverse_gaps == 0u);
}

BOOST_AUTO_TEST_CASE(gso_packets_count_as_the_frames_they_leave_as) {
  // TC egress sees a GSO packet once; the wire carries one frame (and one
  // set of headers) per segment, and so must the flow table.
  TestRunHarness h;
  auto frame = tcpToPool(kAck | kPsh, 3 * 400);
  BOOST_TEST(h.runTcGso(frame, 3, kT0) == kTcOk);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  const std::size_t headers = 14 + 20 + 20;
  BOOST_TEST(f->forward().packets == 3u);
  BOOST_TEST(f->forward().bytes == frame.size() + 2 * headers);
  BOOST_TEST(f->forward().payload_bytes == 3u * 400u);
}

BOOST_AUTO_TEST_CASE(icmp_echo_request_and_reply_share_a_flow) {
  TestRunHarness h;
  auto req = PacketBuilder().ipv4(kClient, kPool).icmpEcho(8, 4242, 1).payload(56).build();
  auto rep = PacketBuilder().ipv4(kPool, kClient).icmpEcho(0, 4242, 1).payload(56).build();
  h.runTc(req, kT0);
  h.runXdp(rep, kT0 + kMs);
  auto f = h.flow(kClient, 4242, kPool, 4242, IPPROTO_ICMP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().bytes == 98u);
  BOOST_TEST(f->reverse().bytes == 98u);
  BOOST_TEST(h.flowCount() == 1u);
}

BOOST_AUTO_TEST_CASE(lru_table_recycles_and_every_creation_is_counted) {
  minewatch::datapath::SensorOptions options;
  options.max_flows = 64;
  TestRunHarness h(options);
  constexpr unsigned kFlows = 1000;
  for (unsigned i = 0; i < kFlows; ++i)
    h.runXdp(tcpToPool(kSyn, 0, static_cast<std::uint16_t>(10000 + i)), kT0 + i);
  auto live = h.flowCount();
  BOOST_TEST(live <= 64u);
  BOOST_TEST(live > 0u);
  auto s = h.stats();
  // Evictions are derived: created - live (nothing was deleted by user space).
  BOOST_TEST(s[MINEWATCH_STAT_FLOWS_CREATED] + s[MINEWATCH_STAT_FLOW_INSERT_FAILED] == kFlows);
  BOOST_TEST(s[MINEWATCH_STAT_FLOWS_CREATED] - live >= kFlows - 64 - s[MINEWATCH_STAT_FLOW_INSERT_FAILED]);
  // The newest flow is always present: LRU evicts the old ones.
  BOOST_TEST(h.flow(kClient, 10000 + kFlows - 1, kPool, 3333, IPPROTO_TCP).has_value());
}

BOOST_AUTO_TEST_CASE(kernel_clock_is_used_when_nothing_is_injected) {
  TestRunHarness h;
  h.runXdp(tcpToPool(kSyn), 0);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  auto now = minewatch::datapath::monotonicNs();
  BOOST_TEST(f->forward().first_seen_ns > 0u);
  BOOST_TEST(f->forward().first_seen_ns <= now);
  BOOST_TEST(now - f->forward().first_seen_ns < 60 * kSec);
}

BOOST_AUTO_TEST_SUITE_END()
