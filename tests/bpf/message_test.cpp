// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Message sequence of TCP flows (struct minewatch_msg_state): segments of
// one burst merge, the other side speaking or a gap starts a new message,
// TLS record headers are read, pure ACKs and packets past the limit add
// nothing. Each table runs over IPv4 and IPv6; the client sends through TC
// egress and the pool answers through XDP, as on a host running a miner.
#include "common.hpp"

#include "bpf/ring_buffer.hpp"
#include "datapath/flow_key.hpp"
#include "datapath/message_records.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;
using minewatch::datapath::FlowMessage;

namespace {

enum Side { kFromClient, kFromPool };

struct Family {
  const char *name, *client, *pool;
};
const Family kFamilies[] = {{"IPv4", kClient, kPool}, {"IPv6", kClient6, kPool6}};

/// One segment: who sends it, when (ms after kT0), and its payload.
struct Segment {
  Side side;
  std::uint64_t at_ms;
  std::string payload; // empty: a pure ACK
};

/// A message as the test expects it.
struct Expected {
  Side side;
  std::uint32_t bytes;
  std::uint32_t gap_ms;
  std::uint8_t tls_type = 0;
  std::uint16_t tls_length = 0;
};

struct Case {
  const char *name;
  std::vector<Segment> segments;
  std::vector<Expected> finished; // on the ring, in order
  std::vector<Expected> pending;  // in the flow value: none or one
  std::uint32_t messages_per_flow = 64;
};

std::string bytes(std::size_t n) { return std::string(n, 'x'); }

/// A TLS record header (type, version 3.3, length) and `body` bytes of it.
std::string tlsRecord(std::uint8_t type, std::uint16_t length, std::size_t body) {
  std::string r = {static_cast<char>(type), 3, 3, static_cast<char>(length >> 8), static_cast<char>(length & 0xff)};
  return r + bytes(body);
}

constexpr std::uint16_t kPoolPort = 443;

struct Run {
  std::vector<FlowMessage> finished;
  std::optional<FlowMessage> pending;
  minewatch_direction client_dir;
  minewatch_flow_key key;
};

/// Plays the segments on the flow from client port `port`; what it left.
Run play(TestRunHarness &h, const Family &f, std::uint16_t port, const std::vector<Segment> &segments,
         std::uint32_t messages_per_flow) {
  for (const auto &s : segments) {
    auto flags = static_cast<std::uint8_t>(s.payload.empty() ? kAck : kAck | kPsh);
    auto now = kT0 + s.at_ms * kMs;
    PacketBuilder b;
    if (s.side == kFromClient) {
      (std::string_view(f.name) == "IPv4" ? b.ipv4(f.client, f.pool) : b.ipv6(f.client, f.pool))
          .tcp(port, kPoolPort, flags);
      h.runTc(b.payload(s.payload).build(), now);
    } else {
      (std::string_view(f.name) == "IPv4" ? b.ipv4(f.pool, f.client) : b.ipv6(f.pool, f.client))
          .tcp(kPoolPort, port, flags);
      h.runXdp(b.payload(s.payload).build(), now);
    }
  }
  Run out{};
  std::string error;
  minewatch::bpf::RingBuffer rb(h.sensor().messagesFd(), [&](std::span<const std::byte> record) {
    // no throwing through libbpf's C callback: record the failure and go on
    if (auto m = minewatch::datapath::decodeMessage(record, error))
      out.finished.push_back(*m);
    else
      BOOST_ERROR(error);
  });
  rb.consume();
  auto [key, dir] =
      minewatch::datapath::canonicalFlowKey({addr(f.client), port}, {addr(f.pool), kPoolPort}, IPPROTO_TCP);
  out.client_dir = dir;
  out.key = key;
  if (auto value = h.sensor().flows().lookup(key))
    out.pending = minewatch::datapath::pendingMessage(key, *value, messages_per_flow);
  return out;
}

void check(const FlowMessage &got, const Expected &want, minewatch_direction client_dir, const minewatch_flow_key &key,
           std::uint32_t index) {
  auto want_dir = want.side == kFromClient ? client_dir : static_cast<minewatch_direction>(client_dir ^ 1);
  BOOST_TEST(got.index == index);
  BOOST_TEST(got.direction == want_dir);
  BOOST_TEST(got.bytes == want.bytes);
  BOOST_TEST(got.gap_ms == want.gap_ms);
  BOOST_TEST(got.tls_type == want.tls_type);
  BOOST_TEST(got.tls_length == want.tls_length);
  BOOST_TEST(std::memcmp(&got.key, &key, sizeof key) == 0);
}

/// The silence that ends a message, as the cases below are timed.
constexpr std::uint32_t kGapMs = 100;

/// Each case on a flow of its own (client port), one loaded sensor per
/// family and limit: loading is most of the time a case takes.
void runTable(const std::vector<Case> &cases) {
  for (const auto &f : kFamilies) {
    std::map<std::uint32_t, std::unique_ptr<TestRunHarness>> sensors;
    std::uint16_t port = 40000;
    for (const auto &c : cases) {
      BOOST_TEST_CONTEXT(f.name << ": " << c.name) {
        auto &h = sensors[c.messages_per_flow];
        if (!h) {
          minewatch::datapath::SensorOptions options;
          options.messages_per_flow = c.messages_per_flow;
          options.message_gap_ms = kGapMs; // the cases' times are around it
          h = std::make_unique<TestRunHarness>(options);
        }
        auto emitted_before = h->stat(MINEWATCH_STAT_MESSAGES);
        auto run = play(*h, f, ++port, c.segments, c.messages_per_flow);
        BOOST_REQUIRE(run.finished.size() == c.finished.size());
        for (std::size_t i = 0; i < c.finished.size(); ++i) {
          BOOST_TEST_CONTEXT("message " << i) {
            check(run.finished[i], c.finished[i], run.client_dir, run.key, static_cast<std::uint32_t>(i));
            BOOST_TEST(run.finished[i].start_ns >= kT0);
          }
        }
        BOOST_REQUIRE(run.pending.has_value() == !c.pending.empty());
        if (run.pending)
          check(*run.pending, c.pending.front(), run.client_dir, run.key,
                static_cast<std::uint32_t>(c.finished.size()));
        BOOST_TEST(h->stat(MINEWATCH_STAT_MESSAGES) - emitted_before == c.finished.size());
        BOOST_TEST(h->stat(MINEWATCH_STAT_MESSAGE_DROPS) == 0u);
      }
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(messages)

BOOST_AUTO_TEST_CASE(bursts_directions_and_gaps_make_messages) {
  runTable({
      {"a client message split over two segments is one message",
       {{kFromClient, 0, bytes(1000)}, {kFromClient, 1, bytes(500)}, {kFromPool, 30, bytes(200)}},
       {{kFromClient, 1500, 0}},
       {{kFromPool, 200, 29}}},
      {"the server's answer flips direction and starts a new message",
       {{kFromClient, 0, bytes(120)},
        {kFromPool, 20, bytes(300)},
        {kFromPool, 21, bytes(40)},
        {kFromClient, 1000, bytes(80)}},
       {{kFromClient, 120, 0}, {kFromPool, 340, 20}},
       {{kFromClient, 80, 979}}},
      {"a gap above the threshold starts a new message in the same direction",
       {{kFromClient, 0, bytes(100)}, {kFromClient, 101, bytes(100)}, {kFromClient, 30101, bytes(100)}},
       {{kFromClient, 100, 0}, {kFromClient, 100, 101}},
       {{kFromClient, 100, 30000}}},
      {"a gap of exactly the threshold does not",
       {{kFromClient, 0, bytes(100)}, {kFromClient, 100, bytes(100)}},
       {},
       {{kFromClient, 200, 0}}},
      {"pure ACKs add nothing, not even a change of direction",
       {{kFromClient, 0, ""},
        {kFromPool, 1, ""},
        {kFromClient, 2, bytes(60)},
        {kFromPool, 3, ""},
        {kFromClient, 4, bytes(60)}},
       {},
       {{kFromClient, 120, 0}}},
      {"only ACKs: no message at all", {{kFromClient, 0, ""}, {kFromPool, 1, ""}}, {}, {}},
  });
}

// TLS gives message lengths: the record header a message begins with.
BOOST_AUTO_TEST_CASE(tls_record_headers_give_type_and_length) {
  runTable({
      {"application data record",
       {{kFromClient, 0, tlsRecord(23, 64, 64)}, {kFromPool, 40, tlsRecord(23, 1200, 1200)}},
       {{kFromClient, 69, 0, 23, 64}},
       {{kFromPool, 1205, 40, 23, 1200}}},
      {"a record over two segments: the header is read once, the message has both",
       {{kFromPool, 0, tlsRecord(23, 3000, 1395)}, {kFromPool, 1, bytes(1605)}},
       {},
       {{kFromPool, 3000 + 5, 0, 23, 3000}}},
      {"handshake, then not TLS",
       {{kFromClient, 0, tlsRecord(22, 512, 512)}, {kFromPool, 10, bytes(100)}},
       {{kFromClient, 517, 0, 22, 512}},
       {{kFromPool, 100, 10}}},
      {"no TLS: type outside 20-24, or version not 3.x",
       {{kFromClient, 0, std::string{0x19, 3, 3, 0, 10} + bytes(10)},
        {kFromPool, 10, std::string{0x17, 2, 0, 0, 10} + bytes(10)}},
       {{kFromClient, 15, 0}},
       {{kFromPool, 15, 10}}},
  });
}

BOOST_AUTO_TEST_CASE(nothing_past_the_first_n_messages) {
  std::vector<Segment> ping_pong;
  for (std::uint64_t i = 0; i < 8; ++i)
    ping_pong.push_back({i % 2 ? kFromPool : kFromClient, i * 10, bytes(10 + i)});
  runTable({
      {"N = 3: three messages out, then silence",
       ping_pong,
       {{kFromClient, 10, 0}, {kFromPool, 11, 10}, {kFromClient, 12, 10}},
       {},
       3},
      {"N = 0: off", ping_pong, {}, {}, 0},
  });
}

BOOST_AUTO_TEST_CASE(off_leaves_the_flow_value_zero_and_udp_has_none) {
  minewatch::datapath::SensorOptions off;
  off.messages_per_flow = 0;
  TestRunHarness h(off);
  h.runTc(tcpToPool(kAck | kPsh, 100), kT0);
  h.runXdp(tcpFromPool(kAck | kPsh, 100), kT0 + kMs);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  minewatch_msg_state zero{};
  BOOST_TEST(std::memcmp(&f->value.msg, &zero, sizeof zero) == 0);

  TestRunHarness on;
  auto dns = PacketBuilder().ipv4(kClient, "192.0.2.53").udp(50000, 53).payload(40).build();
  on.runTc(dns, kT0);
  auto u = on.flow(kClient, 50000, "192.0.2.53", 53, IPPROTO_UDP);
  BOOST_REQUIRE(u);
  BOOST_TEST(u->value.msg.count == 0u);
}

// The decoder refuses what the data path never writes, in one line.
BOOST_AUTO_TEST_CASE(malformed_records_are_refused) {
  minewatch_message m{};
  m.key.family = MINEWATCH_FAMILY_IPV4;
  m.bytes = 10;
  m.tls_type = 23;
  std::string error;
  auto as_bytes = [](const minewatch_message &r) {
    std::vector<std::byte> b(sizeof r);
    std::memcpy(b.data(), &r, sizeof r);
    return b;
  };
  auto good = as_bytes(m);
  BOOST_TEST(minewatch::datapath::decodeMessage(good, error).has_value());
  BOOST_TEST(minewatch::datapath::decodeMessages(std::span(good).first(63), error).empty());
  BOOST_TEST(error == "63 bytes of message records: not a whole number of 64-byte records");
  BOOST_TEST(!minewatch::datapath::decodeMessage(std::span(good).first(63), error));
  BOOST_TEST(error == "message record of 63 bytes, expected 64");
  auto bad = m;
  bad.direction = 2;
  BOOST_TEST(!minewatch::datapath::decodeMessage(as_bytes(bad), error));
  BOOST_TEST(error.find("malformed message record (direction 2") == 0u);
  bad = m;
  bad.tls_type = 99;
  BOOST_TEST(!minewatch::datapath::decodeMessage(as_bytes(bad), error));
  auto two = good;
  two.insert(two.end(), good.begin(), good.end());
  BOOST_TEST(minewatch::datapath::decodeMessages(two, error).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
