// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// When auto-block may act on a mining flow: only on the remote server of a
// flow this host opened, once that server answered, never on an own address.
#include "actions/autoblock_guard.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch;
using datapath::PacketSource;

namespace {
const auto kNode = *net::Address::parse("192.0.2.10");
const auto kPool = *net::Address::parse("198.51.100.7");

/// A flow with the node as the A side (dir 0 = node -> pool).
struct Shape {
  bool opened_outbound;
  unsigned opener_dir;
  std::uint64_t server_packets;
};

minewatch_flow_value valueOf(const Shape &s) {
  minewatch_flow_value v{};
  v.flags = MINEWATCH_FLOW_INITIATOR_FROM_SYN;
  if (s.opened_outbound)
    v.flags |= MINEWATCH_FLOW_OPENED_OUTBOUND;
  v.initiator = static_cast<std::uint8_t>(s.opener_dir);
  v.dir[0].packets = 5;
  v.dir[1].packets = s.server_packets;
  return v;
}

judge::FlowRoles roles(const net::Address &client, const net::Address &server, unsigned client_dir = 0) {
  judge::FlowRoles r;
  r.client = {client, 40000};
  r.server = {server, 3333};
  r.proto = 6;
  r.client_dir = client_dir;
  return r;
}
} // namespace

BOOST_AUTO_TEST_SUITE(autoblock_guard)

BOOST_AUTO_TEST_CASE(blocks_only_the_answering_server_of_a_flow_this_host_opened) {
  struct Case {
    const char *what;
    Shape shape;
    judge::FlowRoles roles;
    PacketSource source;
    std::set<net::Address> own;
    const char *refusal; // nullptr: may block
  };
  const Case cases[] = {
      {"a miner on this node, the pool answered",
       {true, 0, 3},
       roles(kNode, kPool),
       PacketSource::Live,
       {kNode},
       nullptr},
      {"a remote host connected in with a login",
       {false, 1, 3},
       roles(kPool, kNode, 1),
       PacketSource::Live,
       {kNode},
       "the flow was opened from outside: only servers this host connects to are auto-blocked"},
      {"one spoofed datagram in (first packet inbound)",
       {false, 1, 0},
       roles(kPool, kNode, 1),
       PacketSource::Live,
       {kNode},
       "the flow was opened from outside: only servers this host connects to are auto-blocked"},
      {"opened outbound, but the roles name the other side client",
       {true, 0, 3},
       roles(kPool, kNode, 1),
       PacketSource::Live,
       {},
       "the flow's client is not the side that opened it"},
      {"our SYN and login, no answer yet",
       {true, 0, 0},
       roles(kNode, kPool),
       PacketSource::Live,
       {kNode},
       "the server has not answered"},
      {"the server is an own address (hairpin)",
       {true, 0, 3},
       roles(kNode, kNode),
       PacketSource::Live,
       {kNode},
       "the server is one of this host's own addresses"},
      {"a capture: no hooks, the client opened it",
       {false, 0, 3},
       roles(kNode, kPool),
       PacketSource::Capture,
       {},
       nullptr},
      {"a capture: the server never answered",
       {false, 0, 0},
       roles(kNode, kPool),
       PacketSource::Capture,
       {},
       "the server has not answered"},
  };
  for (const auto &c : cases) {
    auto refusal = actions::autoBlockRefusal(c.roles, valueOf(c.shape), c.source, c.own);
    if (c.refusal)
      BOOST_TEST((refusal && *refusal == c.refusal), c.what << ": " << refusal.value_or("(may block)"));
    else
      BOOST_TEST(!refusal, c.what << ": " << refusal.value_or(""));
  }
}

BOOST_AUTO_TEST_SUITE_END()
