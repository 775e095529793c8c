// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The loader on a real interface: both programs attached to a veth inside a
// namespace this test makes, real ping and TCP across it, and the flow table
// compared packet-for-packet and byte-for-byte with an AF_PACKET capture of
// the same interface. Needs root; fails (never skips) without it.
#define BOOST_TEST_MODULE minewatch_netns_loader
#include <boost/test/unit_test.hpp>

#include "datapath/blocklist.hpp"
#include "datapath/libbpf_log.hpp"
#include "datapath/sensor_object.hpp"
#include "datapath/tc_attachment.hpp"
#include "datapath/xdp_attachment.hpp"
#include "netns_harness.hpp"
#include "process_util.hpp"
#include "packet_capture.hpp"
#include "test_run_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

using namespace minewatch;
using namespace minewatch::test;
using namespace std::chrono_literals;

namespace {
constexpr std::uint16_t kEchoPort = 7777;
constexpr int kMessages = 5;
constexpr std::size_t kMessageBytes = 100;

/// Connects with a deadline; returns the socket or -1.
int connectWithin(const char *address, std::uint16_t port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, address, &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, 0); // blocking from here on
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/// Request/response messages over TCP to the echo server, then an orderly close.
void echoExchange(int fd) {
  std::string msg(kMessageBytes, 'm');
  for (int i = 0; i < kMessages; ++i) {
    BOOST_REQUIRE(::send(fd, msg.data(), msg.size(), 0) == static_cast<ssize_t>(msg.size()));
    std::size_t got = 0;
    char buf[kMessageBytes];
    while (got < kMessageBytes) {
      ssize_t n = ::recv(fd, buf, sizeof buf - got, 0);
      BOOST_REQUIRE_MESSAGE(n > 0, "echo server stopped answering");
      got += static_cast<std::size_t>(n);
    }
  }
  ::shutdown(fd, SHUT_WR);
  char c;
  BOOST_REQUIRE(::recv(fd, &c, 1, 0) == 0); // the server's FIN
  ::close(fd);
}

std::string mismatch(const CapturedFlows &seen, const datapath::FlowMaps &map) {
  std::ostringstream out;
  auto entries = map.entries();
  if (entries.size() != seen.size())
    out << "flow count: map " << entries.size() << ", capture " << seen.size() << "\n";
  for (const auto &[key, value] : entries) {
    auto it = seen.find(key);
    if (it == seen.end()) {
      out << datapath::describe(key) << ": in the map, not on the wire\n";
      continue;
    }
    for (int d = 0; d < MINEWATCH_DIRS; ++d) {
      if (value.dir[d].packets != it->second.packets[d] || value.dir[d].bytes != it->second.bytes[d])
        out << datapath::describe(key) << " dir " << d << ": map " << value.dir[d].packets << " pkts/"
            << value.dir[d].bytes << " B, wire " << it->second.packets[d] << " pkts/" << it->second.bytes[d] << " B\n";
    }
  }
  return out.str();
}
} // namespace

BOOST_AUTO_TEST_CASE(flow_table_matches_the_wire_and_blocks_take_effect) {
  datapath::installLibbpfLogger(false);
  VethLab lab;
  ChildProcess server({"ip", "netns", "exec", lab.peer, "socat",
                       "TCP-LISTEN:" + std::to_string(kEchoPort) + ",reuseaddr,fork", "EXEC:cat"});
  // Ready when the socket listens (no probe connection: it would add a flow
  // the comparison would have to explain).
  BOOST_REQUIRE(waitFor([&] { return lab.listening(lab.peer, kEchoPort); }, 5s));

  NetnsScope inNode(lab.node);
  int ifindex = static_cast<int>(::if_nametoindex(lab.nodeIf.c_str()));
  BOOST_REQUIRE(ifindex > 0);

  datapath::SensorObject sensor{datapath::SensorOptions{}};
  datapath::XdpAttachment xdp(sensor.skel()->obj, "minewatch_xdp", ifindex, datapath::XdpMode::Auto);
  datapath::TcAttachment tc(bpf_program__fd(sensor.tcProgram()), ifindex, datapath::TcDirection::Egress);
  BOOST_TEST_MESSAGE("XDP attached in " << xdp.modeName() << " mode, "
                                        << (xdp.viaDispatcher() ? "through libxdp's dispatcher" : "directly"));
  PacketCapture capture(ifindex);

  sh(std::string("ping -c 3 -i 0.2 -W 2 ") + VethLab::kPeerAddr);
  int fd = connectWithin(VethLab::kPeerAddr, kEchoPort, 3000);
  BOOST_REQUIRE_MESSAGE(fd >= 0, "could not reach the echo server across the veth");
  echoExchange(fd);

  // Everything on the wire must be in the map, exactly: wait (bounded) for
  // the last in-flight segments, then compare.
  auto flows = sensor.flows();
  bool agreed = waitFor(
      [&] {
        capture.drain();
        return mismatch(capture.flows(), flows).empty();
      },
      5s);
  BOOST_TEST(agreed, "flow table differs from the capture:\n" << mismatch(capture.flows(), flows));

  // And independently of the capture, what we know we sent:
  auto node = net::Address::parse(VethLab::kNodeAddr).value();
  auto peer = net::Address::parse(VethLab::kPeerAddr).value();
  int pings = 0;
  for (const auto &[key, value] : flows.entries()) {
    if (key.proto == IPPROTO_ICMP) {
      ++pings;
      for (const auto &d : value.dir) {
        BOOST_TEST(d.packets == 3u);
        BOOST_TEST(d.bytes == 3u * 98u); // 56 data + 8 ICMP + 20 IP + 14 Ethernet
      }
    }
  }
  BOOST_TEST(pings == 1);
  std::uint64_t tcp_payload[2] = {0, 0};
  for (const auto &[key, value] : flows.entries()) {
    if (key.proto != IPPROTO_TCP || ntohs(key.port_b) != kEchoPort)
      continue;
    auto [k, dir] = datapath::canonicalFlowKey({node, ntohs(key.port_a)}, {peer, kEchoPort}, IPPROTO_TCP);
    tcp_payload[0] += value.dir[dir].payload_bytes;
    tcp_payload[1] += value.dir[dir ^ 1].payload_bytes;
    BOOST_TEST(value.initiator == dir);
    BOOST_TEST((value.flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN) != 0u);
  }
  BOOST_TEST(tcp_payload[0] == kMessages * kMessageBytes);
  BOOST_TEST(tcp_payload[1] == kMessages * kMessageBytes);

  auto stats = sensor.stats();
  BOOST_TEST(stats[MINEWATCH_STAT_XDP_PACKETS] > 0u);
  BOOST_TEST(stats[MINEWATCH_STAT_TC_PACKETS] > 0u);
  BOOST_TEST(stats[MINEWATCH_STAT_SAMPLES] >= 4u); // first payload packets of the TCP flow

  // Block the echo server: the next SYN never leaves (TC egress)...
  datapath::Blocklist blocklist(sensor);
  blocklist.addEndpoint(peer, kEchoPort, IPPROTO_TCP, {1, 0});
  BOOST_TEST(connectWithin(VethLab::kPeerAddr, kEchoPort, 1500) < 0);
  BOOST_TEST(sensor.stats()[MINEWATCH_STAT_BLOCKED_TC] >= 1u);
  // ...and the peer's pings never arrive (XDP ingress).
  blocklist.addCidr(net::Cidr::parse(std::string(VethLab::kPeerAddr) + "/32").value(), {2, 0});
  auto before = sensor.stats()[MINEWATCH_STAT_BLOCKED_XDP];
  BOOST_CHECK_THROW(sh(lab.in(lab.peer) + "ping -c 2 -i 0.2 -W 1 " + VethLab::kNodeAddr), std::runtime_error);
  BOOST_TEST(sensor.stats()[MINEWATCH_STAT_BLOCKED_XDP] - before == 2u);
}
