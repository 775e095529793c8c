// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/flow_key.hpp"
#include "net/address.hpp"

#include <boost/test/unit_test.hpp>

#include <netinet/in.h>

using minewatch::net::Address;
using minewatch::net::Cidr;

BOOST_AUTO_TEST_SUITE(address)

BOOST_AUTO_TEST_CASE(ipv4_is_stored_v4_mapped) {
  auto a = Address::parse("192.0.2.1");
  BOOST_REQUIRE(a);
  BOOST_TEST(a->isV4());
  BOOST_TEST(a->bytes[10] == 0xff);
  BOOST_TEST(a->bytes[15] == 1);
  BOOST_TEST(a->toString() == "192.0.2.1");
  auto b = Address::parse("2001:db8::1");
  BOOST_REQUIRE(b);
  BOOST_TEST(!b->isV4());
  BOOST_TEST(b->toString() == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(garbage_is_refused) {
  for (const char *bad : {"", "1.2.3", "1.2.3.256", "example.com", "::g", "1.2.3.4 "})
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!Address::parse(bad)); }
}

BOOST_AUTO_TEST_CASE(cidr_parsing_and_errors) {
  auto c = Cidr::parse("10.1.0.0/16");
  BOOST_REQUIRE(c);
  BOOST_TEST(c->prefix_len == 96u + 16u);
  BOOST_TEST(c->toString() == "10.1.0.0/16");
  BOOST_TEST(Cidr::parse("192.0.2.7")->prefix_len == 128u);
  BOOST_TEST(Cidr::parse("2001:db8::/32")->prefix_len == 32u);

  std::string why;
  BOOST_TEST(!Cidr::parse("10.1.0.0/33", &why));
  BOOST_TEST(why.find("0-32") != std::string::npos);
  BOOST_TEST(!Cidr::parse("10.1.0.1/16", &why));
  BOOST_TEST(why.find("host bits") != std::string::npos);
  BOOST_TEST(!Cidr::parse("10.1.0.0/", &why));
  BOOST_TEST(!Cidr::parse("10.1.0.0/1x", &why));
  BOOST_TEST(!Cidr::parse("nope/8", &why));
  BOOST_TEST(why.find("not an IPv4 or IPv6 address") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(flow_key_is_the_same_from_both_sides) {
  using minewatch::datapath::canonicalFlowKey;
  auto a = *Address::parse("192.0.2.10");
  auto b = *Address::parse("198.51.100.7");
  auto fwd = canonicalFlowKey({a, 40000}, {b, 3333}, IPPROTO_TCP);
  auto rev = canonicalFlowKey({b, 3333}, {a, 40000}, IPPROTO_TCP);
  BOOST_TEST(std::memcmp(&fwd.key, &rev.key, sizeof fwd.key) == 0);
  BOOST_TEST(fwd.direction != rev.direction);
  BOOST_TEST(fwd.direction == MINEWATCH_DIR_A_TO_B); // 192.0.2.10 sorts first
  BOOST_TEST(minewatch::datapath::describe(fwd.key) == "tcp 192.0.2.10:40000 <-> 198.51.100.7:3333");
  // same address: the port decides
  auto self = canonicalFlowKey({a, 5000}, {a, 80}, IPPROTO_TCP);
  BOOST_TEST(self.direction == MINEWATCH_DIR_B_TO_A);
}

BOOST_AUTO_TEST_SUITE_END()
