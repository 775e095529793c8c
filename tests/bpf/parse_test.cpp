// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Every header the parser walks, well-formed and broken.
#include "common.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;

BOOST_AUTO_TEST_SUITE(parser)

BOOST_AUTO_TEST_CASE(ipv4_tcp_is_tracked_with_ports_and_flags) {
  TestRunHarness h;
  BOOST_TEST(h.runXdp(tcpToPool(kSyn), kT0) == XDP_PASS);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().packets == 1u);
  BOOST_TEST(f->forward().tcp_flags == MINEWATCH_TCP_SYN);
  BOOST_TEST(f->reverse().packets == 0u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_XDP_PACKETS) == 1u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_FLOWS_CREATED) == 1u);
}

BOOST_AUTO_TEST_CASE(one_and_two_vlan_tags_are_walked) {
  TestRunHarness h;
  auto one = PacketBuilder().vlan(0x8100, 7).ipv4(kClient, kPool).udp(5000, 3333).payload(10).build();
  auto two = PacketBuilder().vlan(0x88a8, 100).vlan(0x8100, 7).ipv4(kClient, kPool).udp(5001, 3333).build();
  BOOST_TEST(h.runXdp(one, kT0) == XDP_PASS);
  BOOST_TEST(h.runTc(two, kT0) == kTcOk);
  BOOST_REQUIRE(h.flow(kClient, 5000, kPool, 3333, IPPROTO_UDP));
  BOOST_REQUIRE(h.flow(kClient, 5001, kPool, 3333, IPPROTO_UDP));
  BOOST_TEST(h.flow(kClient, 5000, kPool, 3333, IPPROTO_UDP)->forward().bytes == one.size());
}

BOOST_AUTO_TEST_CASE(three_vlan_tags_are_counted_not_followed) {
  TestRunHarness h;
  auto three = PacketBuilder().vlan(0x88a8, 1).vlan(0x8100, 2).vlan(0x8100, 3).ipv4(kClient, kPool).udp(1, 2).build();
  BOOST_TEST(h.runXdp(three, kT0) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_VLAN_TOO_DEEP) == 1u);
  BOOST_TEST(h.flowCount() == 0u);
}

BOOST_AUTO_TEST_CASE(ipv4_options_shift_the_transport_header) {
  TestRunHarness h;
  auto frame = PacketBuilder().ipv4(kClient, kPool).ipv4Options(40).tcp(41000, 3333, kAck | kPsh).payload(77).build();
  h.runXdp(frame, kT0);
  auto f = h.flow(kClient, 41000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().payload_bytes == 77u);
  BOOST_TEST(f->forward().psh_packets == 1u);
}

BOOST_AUTO_TEST_CASE(ipv4_first_fragment_keeps_ports_later_ones_go_by_address_pair) {
  TestRunHarness h;
  auto first = PacketBuilder().ipv4(kClient, kPool).fragment(0, true).udp(6000, 3333).payload(1000).build();
  auto second = PacketBuilder().ipv4(kClient, kPool).fragment(1008, false).l4(IPPROTO_UDP).payload(500).build();
  h.runXdp(first, kT0);
  h.runXdp(second, kT0 + kMs);
  auto ported = h.flow(kClient, 6000, kPool, 3333, IPPROTO_UDP);
  BOOST_REQUIRE(ported);
  BOOST_TEST(ported->forward().packets == 1u);
  auto pair = h.flow(kClient, 0, kPool, 0, IPPROTO_UDP);
  BOOST_REQUIRE(pair);
  BOOST_TEST(pair->forward().packets == 1u);
  BOOST_TEST(pair->forward().payload_bytes == 500u);
  BOOST_TEST((pair->value.flags & MINEWATCH_FLOW_FRAGMENTS) != 0u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_FRAGMENTS) == 1u);
}

BOOST_AUTO_TEST_CASE(ipv6_tcp_and_icmpv6_echo) {
  TestRunHarness h;
  h.runXdp(PacketBuilder().ipv6(kClient6, kPool6).tcp(42000, 443, kSyn).build(), kT0);
  h.runXdp(PacketBuilder().ipv6(kClient6, kPool6).icmpEcho(128, 77, 1).payload(56).build(), kT0);
  h.runTc(PacketBuilder().ipv6(kPool6, kClient6).icmpEcho(129, 77, 1).payload(56).build(), kT0);
  BOOST_REQUIRE(h.flow(kClient6, 42000, kPool6, 443, IPPROTO_TCP));
  auto echo = h.flow(kClient6, 77, kPool6, 77, IPPROTO_ICMPV6);
  BOOST_REQUIRE(echo);
  BOOST_TEST(echo->forward().packets == 1u);
  BOOST_TEST(echo->reverse().packets == 1u);
}

BOOST_AUTO_TEST_CASE(ipv6_extension_headers_up_to_the_walk_limit) {
  TestRunHarness h;
  PacketBuilder b;
  b.ipv6(kClient6, kPool6);
  for (int i = 0; i < MINEWATCH_IPV6_EXT_MAX; ++i)
    b.ipv6Ext(i == 0 ? IPPROTO_HOPOPTS : (i % 2 ? IPPROTO_DSTOPTS : IPPROTO_ROUTING), 16);
  h.runXdp(b.tcp(43000, 3333, kAck).payload(10).build(), kT0);
  auto f = h.flow(kClient6, 43000, kPool6, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().payload_bytes == 10u);

  PacketBuilder ah;
  ah.ipv6(kClient6, kPool6).ipv6Ext(IPPROTO_AH, 24);
  h.runXdp(ah.udp(5353, 3333).build(), kT0);
  BOOST_REQUIRE(h.flow(kClient6, 5353, kPool6, 3333, IPPROTO_UDP));
}

BOOST_AUTO_TEST_CASE(ipv6_extension_chain_longer_than_the_walk_is_counted) {
  TestRunHarness h;
  PacketBuilder b;
  b.ipv6(kClient6, kPool6);
  for (int i = 0; i < MINEWATCH_IPV6_EXT_MAX + 1; ++i)
    b.ipv6Ext(IPPROTO_DSTOPTS, 8);
  BOOST_TEST(h.runXdp(b.tcp(43000, 3333, kAck).build(), kT0) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_IPV6_EXT_TOO_DEEP) == 1u);
  BOOST_TEST(h.flowCount() == 0u);
}

BOOST_AUTO_TEST_CASE(ipv6_non_first_fragment_goes_by_address_pair) {
  TestRunHarness h;
  auto frag = PacketBuilder().ipv6(kClient6, kPool6).ipv6Fragment(1232, false).l4(IPPROTO_UDP).payload(300).build();
  h.runXdp(frag, kT0);
  auto f = h.flow(kClient6, 0, kPool6, 0, IPPROTO_UDP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().payload_bytes == 300u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_FRAGMENTS) == 1u);
}

BOOST_AUTO_TEST_CASE(non_ip_is_passed_and_counted) {
  TestRunHarness h;
  BOOST_TEST(h.runXdp(PacketBuilder().payload(28).build(), kT0) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_NON_IP) == 1u);
  BOOST_TEST(h.flowCount() == 0u);
}

BOOST_AUTO_TEST_CASE(jumbo_frame_in_fragments_counts_every_byte) {
  TestRunHarness h;
  auto jumbo = PacketBuilder().ipv4(kClient, kPool).tcp(44000, 3333, kAck).payload(8946).build();
  BOOST_REQUIRE(jumbo.size() == 9000u);
  BOOST_TEST(h.runXdp(jumbo, kT0) == XDP_PASS);
  auto f = h.flow(kClient, 44000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().bytes == 9000u);
  BOOST_TEST(f->forward().payload_bytes == 8946u);
  BOOST_TEST(f->forward().size_hist[14] == 1u); // 8192..16383 bytes
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(empty_and_sub_ethernet_frames_never_reach_the_program) {
  TestRunHarness h;
  BOOST_TEST(h.tryRunXdp({}) == -EINVAL);
  BOOST_TEST(h.tryRunXdp(Bytes(13, 0)) == -EINVAL);
  BOOST_TEST(h.stat(MINEWATCH_STAT_XDP_PACKETS) == 0u);
}

BOOST_AUTO_TEST_CASE(truncation_at_every_byte_is_passed_and_counted) {
  // Cut a VLAN-tagged TCP packet at every length: each cut must pass, create
  // no flow and land in exactly one malformed counter of the right layer.
  auto full = PacketBuilder().vlan(0x8100, 5).ipv4(kClient, kPool).tcp(45000, 3333, kAck).build();
  const std::size_t eth = 14, vlan = 18, ip = 38;
  for (std::size_t cut = eth; cut < full.size(); ++cut) {
    TestRunHarness h;
    Bytes frame(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    BOOST_TEST_CONTEXT("cut at " << cut) {
      BOOST_TEST(h.runXdp(frame, kT0) == XDP_PASS);
      BOOST_TEST(h.flowCount() == 0u);
      auto s = h.stats();
      minewatch_stat expected = cut < vlan ? MINEWATCH_STAT_MALFORMED_VLAN
                                : cut < ip ? MINEWATCH_STAT_MALFORMED_IPV4
                                           : MINEWATCH_STAT_MALFORMED_IPV4; // IP length now lies
      BOOST_TEST(s[expected] == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(transport_cut_short_with_consistent_ip_length) {
  // The IP header agrees with the short packet: the transport layer is to blame.
  struct Case {
    const char *name;
    Bytes frame;
    minewatch_stat expected;
  };
  auto cut = [](Bytes frame, std::size_t l4_bytes, std::size_t ip_off, std::size_t ip_hdr) {
    frame.resize(ip_off + ip_hdr + l4_bytes);
    auto tot = static_cast<std::uint16_t>(ip_hdr + l4_bytes);
    frame[ip_off + 2] = static_cast<std::uint8_t>(tot >> 8);
    frame[ip_off + 3] = static_cast<std::uint8_t>(tot & 0xff);
    return frame;
  };
  auto tcp = PacketBuilder().ipv4(kClient, kPool).tcp(1, 2, kAck).build();
  auto udp = PacketBuilder().ipv4(kClient, kPool).udp(1, 2).build();
  auto icmp = PacketBuilder().ipv4(kClient, kPool).icmpEcho(8, 1, 1).build();
  std::vector<Case> cases = {
      {"tcp 12 bytes", cut(tcp, 12, 14, 20), MINEWATCH_STAT_MALFORMED_TCP},
      {"udp 4 bytes", cut(udp, 4, 14, 20), MINEWATCH_STAT_MALFORMED_UDP},
      {"icmp 4 bytes", cut(icmp, 4, 14, 20), MINEWATCH_STAT_MALFORMED_ICMP},
  };
  for (auto &c : cases) {
    TestRunHarness h;
    BOOST_TEST_CONTEXT(c.name) {
      BOOST_TEST(h.runXdp(c.frame, kT0) == XDP_PASS);
      BOOST_TEST(h.stat(c.expected) == 1u);
      BOOST_TEST(h.flowCount() == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_ihl_values) {
  for (int ihl : {0, 1, 4, 15}) {
    TestRunHarness h;
    auto frame = tcpToPool(kAck);
    frame[14] = static_cast<std::uint8_t>(0x40 | ihl); // 15 words = 60 bytes > what follows
    frame.resize(14 + 40);                             // IP + TCP only, no room for 60
    frame[16] = 0;
    frame[17] = 40;
    BOOST_TEST_CONTEXT("ihl " << int(ihl)) {
      BOOST_TEST(h.runXdp(frame, kT0) == XDP_PASS);
      BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV4_IHL) == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_version_and_lying_lengths) {
  TestRunHarness h;
  auto v5 = tcpToPool(kAck);
  v5[14] = 0x55;
  h.runXdp(v5, kT0);
  auto shortTot = tcpToPool(kAck);
  shortTot[16] = 0;
  shortTot[17] = 10; // total length below the header
  h.runXdp(shortTot, kT0);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV4) == 2u);

  auto badDoff = tcpToPool(kAck);
  badDoff[14 + 20 + 12] = 0x40; // data offset 4 words
  h.runXdp(badDoff, kT0);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_TCP) == 1u);

  auto badUdpLen = PacketBuilder().ipv4(kClient, kPool).udp(1, 2).payload(20).build();
  badUdpLen[14 + 20 + 4] = 0;
  badUdpLen[14 + 20 + 5] = 3; // UDP length below its header
  h.runXdp(badUdpLen, kT0);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_UDP) == 1u);

  auto v6Long = PacketBuilder().ipv6(kClient6, kPool6).udp(1, 2).build();
  v6Long[14 + 4] = 0x10; // payload length past the frame
  h.runXdp(v6Long, kT0);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV6) == 1u);
  BOOST_TEST(h.flowCount() == 0u);
}

BOOST_AUTO_TEST_CASE(ipv6_extension_header_cut_short) {
  TestRunHarness h;
  auto frame = PacketBuilder().ipv6(kClient6, kPool6).ipv6Ext(IPPROTO_HOPOPTS, 8).build();
  frame.resize(14 + 40 + 4); // half an extension header
  frame[14 + 4] = 0;
  frame[14 + 5] = 4;
  BOOST_TEST(h.runXdp(frame, kT0) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV6) == 1u);

  auto big = PacketBuilder().ipv6(kClient6, kPool6).ipv6Ext(IPPROTO_DSTOPTS, 8).udp(1, 2).build();
  big[14 + 40 + 1] = 200; // claims 1608 bytes
  BOOST_TEST(h.runXdp(big, kT0) == XDP_PASS);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV6) == 2u);
}

BOOST_AUTO_TEST_CASE(tc_egress_handles_the_same_garbage) {
  TestRunHarness h;
  auto frame = tcpToPool(kAck);
  frame[14] = 0x43;
  BOOST_TEST(h.runTc(frame, kT0) == kTcOk);
  BOOST_TEST(h.stat(MINEWATCH_STAT_MALFORMED_IPV4_IHL) == 1u);
  BOOST_TEST(h.stat(MINEWATCH_STAT_TC_PACKETS) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
