// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Blocklist: CIDR and exact endpoint rules, both hooks, expiry in BPF, hit
// counters, rules added to live flows, tap mode.
#include "common.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;
using minewatch::datapath::RuleSpec;
using minewatch::net::Cidr;

namespace {
Cidr cidr(const char *text) {
  auto c = Cidr::parse(text);
  if (!c)
    throw std::invalid_argument(text);
  return *c;
}
} // namespace

BOOST_AUTO_TEST_SUITE(blocklist)

BOOST_AUTO_TEST_CASE(cidr_rule_drops_at_both_hooks_and_counts_hits) {
  TestRunHarness h;
  h.blocklist().addCidr(cidr("198.51.100.0/24"), RuleSpec{7, 0});
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0) == kTcShot);
  BOOST_TEST(h.runXdp(tcpFromPool(kSyn | kAck), kT0 + kMs) == XDP_DROP);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCKED_TC) == 1u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCKED_XDP) == 1u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCKED_TC_BYTES) == tcpToPool(kSyn).size());
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCKED_XDP_BYTES) == tcpFromPool(kSyn | kAck).size());
  BOOST_TEST(h.flowCount() == 0u); // dropped packets create no state
  auto rule = h.sensor().cidrRules().lookup(minewatch::datapath::Blocklist::cidrKey(cidr("198.51.100.0/24")));
  BOOST_REQUIRE(rule);
  BOOST_TEST(rule->hits == 2u);
  BOOST_TEST(rule->first_hit_ns == kT0);
  BOOST_TEST(rule->last_hit_ns == kT0 + kMs);
  BOOST_TEST(rule->rule_id == 7u);
  // a neighbouring network is untouched
  BOOST_TEST(h.runXdp(PacketBuilder().ipv4("198.51.101.1", kClient).tcp(1, 2, kAck).build(), kT0) == XDP_PASS);
}

BOOST_AUTO_TEST_CASE(endpoint_rule_matches_only_its_port_and_protocol) {
  TestRunHarness h;
  h.blocklist().addEndpoint(addr(kPool), 3333, IPPROTO_TCP, RuleSpec{1, 0});
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0) == kTcShot);
  auto https = PacketBuilder().ipv4(kClient, kPool).tcp(40001, 443, kSyn).build();
  BOOST_TEST(h.runTc(https, kT0) == kTcOk);
  auto udp = PacketBuilder().ipv4(kClient, kPool).udp(40002, 3333).build();
  BOOST_TEST(h.runTc(udp, kT0) == kTcOk);
}

BOOST_AUTO_TEST_CASE(ipv6_prefix_rule) {
  TestRunHarness h;
  h.blocklist().addCidr(cidr("2001:db8:1::/48"), RuleSpec{2, 0});
  BOOST_TEST(h.runXdp(PacketBuilder().ipv6(kPool6, kClient6).tcp(443, 5000, kAck).build(), kT0) == XDP_DROP);
  BOOST_TEST(h.runXdp(PacketBuilder().ipv6("2001:db8:2::1", kClient6).tcp(443, 5000, kAck).build(), kT0) == XDP_PASS);
}

BOOST_AUTO_TEST_CASE(expiry_is_enforced_in_bpf) {
  TestRunHarness h;
  h.blocklist().addCidr(cidr("198.51.100.7/32"), RuleSpec{3, kT0 + 10 * kSec});
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0 + 10 * kSec - 1) == kTcShot);
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0 + 10 * kSec) == kTcOk);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCK_EXPIRED) == 1u);
  BOOST_TEST(h.flowCount() == 1u);
  auto rule = h.sensor().cidrRules().lookup(minewatch::datapath::Blocklist::cidrKey(cidr("198.51.100.7/32")));
  BOOST_TEST(rule->hits == 1u); // expired matches are not hits
}

BOOST_AUTO_TEST_CASE(an_expired_rule_hides_no_shorter_live_one) {
  // The trie answers only with the longest match, and the agent deletes
  // expired rules only at its next tick: until then the packet must look
  // past them. Live /16, expired /24 and /32 over it, an expired endpoint.
  TestRunHarness h;
  h.blocklist().addCidr(cidr("198.51.0.0/16"), RuleSpec{1, kT0 + 100 * kSec});
  h.blocklist().addCidr(cidr("198.51.100.0/24"), RuleSpec{2, kT0 + 10 * kSec});
  h.blocklist().addCidr(cidr("198.51.100.7/32"), RuleSpec{3, kT0 + 10 * kSec});
  h.blocklist().addEndpoint(addr(kPool), 3333, IPPROTO_TCP, RuleSpec{4, kT0 + 10 * kSec});
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0 + 20 * kSec) == kTcShot);
  auto wide = h.sensor().cidrRules().lookup(minewatch::datapath::Blocklist::cidrKey(cidr("198.51.0.0/16")));
  BOOST_REQUIRE(wide);
  BOOST_TEST(wide->hits == 1u);
  BOOST_TEST(wide->prefixlen == 96u + 16u); // IPv4 in the v4-mapped space
  // all of them expired: the packet passes, counted as an expired match
  BOOST_TEST(h.runTc(tcpToPool(kSyn), kT0 + 100 * kSec) == kTcOk);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCK_EXPIRED) == 1u);
}

BOOST_AUTO_TEST_CASE(rule_added_to_a_live_flow_takes_effect_on_the_next_packet) {
  TestRunHarness h;
  BOOST_TEST(h.runTc(tcpToPool(kAck, 100), kT0) == kTcOk);
  BOOST_TEST(h.runTc(tcpToPool(kAck, 100), kT0 + kMs) == kTcOk);
  h.blocklist().addEndpoint(addr(kPool), 3333, IPPROTO_TCP, RuleSpec{4, 0});
  BOOST_TEST(h.runTc(tcpToPool(kAck, 100), kT0 + 2 * kMs) == kTcShot);
  BOOST_TEST(h.runXdp(tcpFromPool(kAck, 100), kT0 + 3 * kMs) == XDP_DROP);
  h.blocklist().removeEndpoint(addr(kPool), 3333, IPPROTO_TCP);
  BOOST_TEST(h.runTc(tcpToPool(kAck, 100), kT0 + 4 * kMs) == kTcOk);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_TEST(f->forward().packets == 3u); // blocked packets are not accounted
}

BOOST_AUTO_TEST_CASE(tap_mode_counts_would_drops_and_passes) {
  minewatch::datapath::SensorOptions options;
  options.enforce = false;
  TestRunHarness h(options);
  h.blocklist().addCidr(cidr("198.51.100.0/24"), RuleSpec{5, 0});
  BOOST_TEST(h.runXdp(tcpFromPool(kAck), kT0) == XDP_PASS);
  BOOST_TEST(h.runXdp(tcpFromPool(kAck), kT0 + 1) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCK_WOULD_DROP) == 2u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_BLOCKED_XDP) == 0u);
  BOOST_TEST(h.flow(kPool, 3333, kClient, 40000, IPPROTO_TCP)->forward().packets == 2u);
}

BOOST_AUTO_TEST_CASE(malformed_packets_are_never_dropped_even_from_blocked_sources) {
  TestRunHarness h;
  h.blocklist().addCidr(cidr("198.51.100.0/24"), RuleSpec{6, 0});
  auto frame = tcpFromPool(kAck);
  frame[14] = 0x44; // bad IHL: we cannot trust the addresses we would match
  BOOST_TEST(h.runXdp(frame, kT0) == XDP_PASS);
}

BOOST_AUTO_TEST_SUITE_END()
