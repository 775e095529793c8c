// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The link watcher against the kernel, in a namespace this test makes: an
// interface added and deleted is announced by name and ifindex, others are
// filtered out, and a burst the watcher did not read in time is reported as
// an overrun (so the agent looks again by name). Needs root.
#include "datapath/link_watch.hpp"
#include "netns_harness.hpp"

#include <boost/test/unit_test.hpp>

#include <net/if.h>
#include <poll.h>

#include <algorithm>
#include <memory>

using namespace minewatch;
using namespace minewatch::test;

namespace {
/// Waits (bounded) for the watcher to have something, then drains it.
datapath::LinkNews next(datapath::LinkWatch &watch, const std::string &name, int ifindex) {
  pollfd p{watch.fd(), POLLIN, 0};
  BOOST_REQUIRE_MESSAGE(::poll(&p, 1, 5000) == 1, "no link announcement within 5 s");
  return watch.drain(name, ifindex);
}

int indexIn(const std::string &ns, const std::string &name) {
  NetnsScope in(ns);
  return static_cast<int>(::if_nametoindex(name.c_str()));
}
} // namespace

BOOST_AUTO_TEST_SUITE(link_watch_netns)

BOOST_AUTO_TEST_CASE(an_interface_added_and_deleted_is_announced) {
  VethLab lab;
  std::unique_ptr<datapath::LinkWatch> watch;
  {
    NetnsScope in(lab.node); // the socket hears the namespace it was made in
    watch = std::make_unique<datapath::LinkWatch>();
  }
  sh("ip -n " + lab.node + " link add lw0 type veth peer name lw1");
  int ifindex = indexIn(lab.node, "lw0");
  BOOST_REQUIRE(ifindex > 0);
  auto added = next(*watch, "lw0", 0);
  BOOST_TEST(!added.overrun);
  BOOST_REQUIRE(!added.events.empty());
  BOOST_TEST(std::all_of(added.events.begin(), added.events.end(),
                         [&](const auto &e) { return e.name == "lw0" && e.ifindex == ifindex; }),
             "only lw0 is reported, not its peer lw1");
  BOOST_TEST(!added.events.front().removed);

  sh("ip -n " + lab.node + " link del lw0");
  auto gone = next(*watch, "lw0", ifindex);
  BOOST_REQUIRE(!gone.events.empty());
  BOOST_TEST(gone.events.back().removed);
  BOOST_TEST(gone.events.back().ifindex == ifindex);
}

BOOST_AUTO_TEST_CASE(a_burst_not_read_in_time_is_an_overrun) {
  VethLab lab;
  std::unique_ptr<datapath::LinkWatch> watch;
  {
    NetnsScope in(lab.node);
    watch = std::make_unique<datapath::LinkWatch>();
  }
  sh("ip -n " + lab.node + " link add lw0 type veth peer name lw1");
  // Each MTU change is one announcement of about a kilobyte: thousands
  // of them overflow the socket's default receive buffer (212 KiB).
  sh("for i in $(seq 3000); do echo \"link set lw1 mtu $((1400 + i % 2))\"; done | ip -n " + lab.node + " -batch -");
  // A drain reads a bounded number of datagrams: drain until none is left.
  bool overrun = next(*watch, "lw0", 0).overrun;
  auto readable = [&] {
    pollfd p{watch->fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  };
  for (int i = 0; i < 1000 && readable(); ++i)
    overrun |= watch->drain("lw0", 0).overrun;
  BOOST_TEST(overrun);
  BOOST_TEST(!readable());
}

BOOST_AUTO_TEST_SUITE_END()
