// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Parsing the kernel's link announcements: RTM_NEWLINK and RTM_DELLINK
// with their names; other messages ignored; short, cut or lying messages
// skipped without reading past the datagram.
#include "datapath/link_watch.hpp"

#include <boost/test/unit_test.hpp>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <string>
#include <vector>

using namespace minewatch::datapath;

namespace {
using Bytes = std::vector<std::byte>;

void append(Bytes &out, const void *data, std::size_t size) {
  const auto *p = static_cast<const std::byte *>(data);
  out.insert(out.end(), p, p + size);
  out.resize((out.size() + 3) & ~std::size_t{3}); // NLMSG_ALIGN / RTA_ALIGN
}

void attribute(Bytes &out, std::uint16_t type, const void *data, std::size_t size) {
  rtattr attr{static_cast<unsigned short>(sizeof(rtattr) + size), type};
  auto at = out.size();
  out.resize(at + sizeof attr + size);
  std::memcpy(out.data() + at, &attr, sizeof attr);
  std::memcpy(out.data() + at + sizeof attr, data, size);
  out.resize((out.size() + 3) & ~std::size_t{3});
}

/// One link message as the kernel writes it: header, ifinfomsg, IFLA_MTU,
/// then IFLA_IFNAME (after another attribute, so the walk is exercised).
Bytes linkMessage(std::uint16_t type, int ifindex, const std::string &name) {
  Bytes body;
  ifinfomsg info{};
  info.ifi_index = ifindex;
  append(body, &info, sizeof info);
  std::uint32_t mtu = 1500;
  attribute(body, IFLA_MTU, &mtu, sizeof mtu);
  attribute(body, IFLA_IFNAME, name.c_str(), name.size() + 1);
  nlmsghdr header{};
  header.nlmsg_len = static_cast<std::uint32_t>(sizeof header + body.size());
  header.nlmsg_type = type;
  Bytes out;
  append(out, &header, sizeof header);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

template <typename T> void patch(Bytes &bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}
} // namespace

BOOST_AUTO_TEST_SUITE(link_watch)

BOOST_AUTO_TEST_CASE(new_and_deleted_links_with_their_names) {
  auto datagram = concat({linkMessage(RTM_NEWLINK, 7, "n0"), linkMessage(RTM_DELLINK, 5, "veth-old")});
  auto events = parseLinkMessages(datagram);
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(!events[0].removed);
  BOOST_TEST(events[0].ifindex == 7);
  BOOST_TEST(events[0].name == "n0");
  BOOST_TEST(events[1].removed);
  BOOST_TEST(events[1].ifindex == 5);
  BOOST_TEST(events[1].name == "veth-old");
}

BOOST_AUTO_TEST_CASE(other_messages_are_ignored) {
  auto other = linkMessage(RTM_NEWADDR, 7, "n0");
  auto datagram = concat({other, linkMessage(RTM_DELLINK, 7, "n0")});
  auto events = parseLinkMessages(datagram);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].removed);
}

BOOST_AUTO_TEST_CASE(every_cut_of_a_datagram_is_safe) {
  auto datagram = concat({linkMessage(RTM_NEWLINK, 7, "n0"), linkMessage(RTM_DELLINK, 9, "n1")});
  auto first = linkMessage(RTM_NEWLINK, 7, "n0").size();
  for (std::size_t n = 0; n <= datagram.size(); ++n) {
    auto events = parseLinkMessages(std::span(datagram).first(n));
    // A message is reported only when all of it arrived.
    std::size_t expect = n >= datagram.size() ? 2 : n >= first ? 1 : 0;
    BOOST_TEST_REQUIRE(events.size() == expect, "cut at " << n);
    if (expect >= 1)
      BOOST_TEST(events[0].name == "n0");
  }
}

BOOST_AUTO_TEST_CASE(lying_lengths_are_skipped) {
  auto good = linkMessage(RTM_DELLINK, 9, "n1");
  // nlmsg_len past the datagram, or under a header: nothing after it can
  // be framed, so nothing is reported.
  for (std::uint32_t len : {0u, 3u, 15u, 100000u}) {
    auto bad = concat({linkMessage(RTM_NEWLINK, 7, "n0"), good});
    patch(bad, 0, len);
    auto events = parseLinkMessages(bad);
    BOOST_TEST(events.empty(), "nlmsg_len " << len);
  }
  // A message too short for its ifinfomsg is skipped, the next one read.
  nlmsghdr tiny{};
  tiny.nlmsg_len = sizeof tiny + 4;
  tiny.nlmsg_type = RTM_NEWLINK;
  Bytes short_msg;
  append(short_msg, &tiny, sizeof tiny);
  short_msg.resize(sizeof tiny + 4);
  auto events = parseLinkMessages(concat({short_msg, good}));
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].ifindex == 9);
  // An attribute whose length is under its header or past the message: the
  // message is skipped, the next one read.
  auto attrs_at = sizeof(nlmsghdr) + sizeof(ifinfomsg);
  for (std::uint16_t rta_len : {std::uint16_t{0}, std::uint16_t{2}, std::uint16_t{4000}}) {
    auto bad = linkMessage(RTM_NEWLINK, 7, "n0");
    patch(bad, attrs_at, rta_len);
    auto got = parseLinkMessages(concat({bad, good}));
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].ifindex == 9, "rta_len " << rta_len);
  }
}

BOOST_AUTO_TEST_CASE(a_name_without_its_nul_stays_inside_the_attribute) {
  auto msg = linkMessage(RTM_NEWLINK, 7, "abc");
  // The attribute is "abc\0" exactly (no padding): the terminator is the
  // message's last byte. Without it the name ends with the attribute.
  msg.back() = std::byte{'x'};
  auto events = parseLinkMessages(msg);
  BOOST_REQUIRE_EQUAL(events.size(), 1u);
  BOOST_TEST(events[0].name == "abcx");
}

BOOST_AUTO_TEST_SUITE_END()
