// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The exporting process on 127.0.0.1: records reach a UDP and a TCP
// collector whole and in order, templates come first (and again on the
// refresh timer over UDP, and on every new TCP connection); a port nobody
// listens on and a TCP collector that never reads cost counted records,
// never a blocked call (a blocking send would hang this test, not slow it).
#include "export/ipfix_exporter.hpp"
#include "ipfix_decode.hpp"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace minewatch::ipfix;
using minewatch::test::IpfixReader;

namespace {
constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t kT0 = 1'700'000'000ull * kSec;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// A socket bound to 127.0.0.1 on a free port; listening when TCP.
std::pair<int, std::uint16_t> bound(int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&sin), sizeof sin) == 0);
  socklen_t len = sizeof sin;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&sin), &len);
  if (type == SOCK_STREAM)
    BOOST_REQUIRE(::listen(fd, 4) == 0);
  return {fd, ntohs(sin.sin_port)};
}

/// A port with nothing bound to it (bound, noted, closed).
std::uint16_t deadPort(int type) {
  auto [fd, port] = bound(type);
  ::close(fd);
  return port;
}

FlowRecord record(std::uint64_t packets) {
  FlowRecord r;
  r.src = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
  r.dst = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2};
  r.src_port = 1000;
  r.dst_port = 2000;
  r.proto = 17;
  r.forward.packets = packets;
  r.forward.octets = packets * 100;
  return r;
}

ExporterOptions options(std::uint16_t port, bool tcp) {
  ExporterOptions o;
  o.target = {"127.0.0.1", port, tcp};
  o.domain_id = 42;
  return o;
}

/// Datagrams waiting on fd, as decoded messages.
std::vector<minewatch::test::DecodedMessage> receiveAll(int fd, IpfixReader &reader) {
  std::vector<minewatch::test::DecodedMessage> out;
  std::vector<std::uint8_t> buf(65536);
  for (;;) {
    auto n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n <= 0)
      return out;
    out.push_back(reader.read(std::span(buf.data(), static_cast<std::size_t>(n))));
  }
}

/// Polls the exporter until `done` or 5 s: a bounded wait for the kernel,
/// not an assertion on time.
template <typename F> bool pumpUntil(Exporter &e, std::uint64_t &now, F done) {
  for (int i = 0; i < 500; ++i) {
    e.pump(now);
    if (done())
      return true;
    ::poll(nullptr, 0, 10);
    now += kSec / 100;
  }
  return false;
}
} // namespace

BOOST_AUTO_TEST_SUITE(ipfix_exporter)

BOOST_AUTO_TEST_CASE(targets_parse) {
  auto t = parseTarget("10.0.0.5:4739");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->host == "10.0.0.5");
  BOOST_TEST(t->port == 4739);
  BOOST_TEST(!t->tcp);
  t = parseTarget("[2001:db8::5]:4739/tcp");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->host == "2001:db8::5");
  BOOST_TEST(t->tcp);
  BOOST_TEST(toString(*t) == "[2001:db8::5]:4739/tcp");
  BOOST_TEST(parseTarget("127.0.0.1:9995/udp").has_value());
  std::string why;
  BOOST_TEST(!parseTarget("collector.example:4739", &why));
  BOOST_TEST(why.find("names are not resolved") != std::string::npos);
  BOOST_TEST(!parseTarget("10.0.0.5:4739/sctp"));
  BOOST_TEST(!parseTarget("10.0.0.5"));
  BOOST_TEST(!parseTarget("10.0.0.5:0"));
  BOOST_TEST(!parseTarget("10.0.0.5:65536"));
  BOOST_TEST(!parseTarget("2001:db8::5:4739"));
}

BOOST_AUTO_TEST_CASE(udp_records_arrive_after_their_templates_and_templates_come_again) {
  auto [fd, port] = bound(SOCK_DGRAM);
  Fd collector(fd);
  auto o = options(port, false);
  o.template_refresh_s = 60;
  Exporter e(o);
  for (std::uint64_t i = 1; i <= 10; ++i)
    e.submit(record(i));
  e.pump(kT0);
  IpfixReader reader;
  auto got = receiveAll(fd, reader);
  BOOST_REQUIRE(!got.empty());
  BOOST_TEST(got.front().set_ids.front() == 2); // templates first
  std::uint64_t packets = 0, records = 0;
  std::uint32_t sequence = 0;
  for (const auto &m : got) {
    BOOST_TEST(m.domain == 42u);
    BOOST_TEST(m.export_time == kT0 / kSec);
    BOOST_TEST(m.sequence == sequence); // no gap
    sequence += static_cast<std::uint32_t>(m.records.size());
    for (const auto &[id, fields] : m.records) {
      ++records;
      packets += minewatch::test::fieldValue(fields, 2);
    }
    BOOST_TEST(m.length <= 1400);
  }
  BOOST_TEST(records == 10u);
  BOOST_TEST(packets == 55u);
  BOOST_TEST(e.counters().records == 10u);
  BOOST_TEST(e.counters().droppedTotal() == 0u);

  // Within the refresh interval: data only. After it: templates again.
  e.submit(record(1));
  e.pump(kT0 + 30 * kSec);
  got = receiveAll(fd, reader);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].set_ids == (std::vector<std::uint16_t>{256}), boost::test_tools::per_element());
  e.pump(kT0 + 61 * kSec); // nothing queued, still refreshed
  got = receiveAll(fd, reader);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].set_ids == (std::vector<std::uint16_t>{2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(udp_to_a_dead_port_counts_refused_records) {
  Exporter e(options(deadPort(SOCK_DGRAM), false));
  std::uint64_t now = kT0;
  // Each send after the ICMP error of the one before reports it.
  bool refused = pumpUntil(e, now, [&] {
    e.submit(record(1));
    return e.counters().dropped.count(DropReason::Refused) != 0;
  });
  BOOST_TEST(refused);
  e.pump(now); // nothing waits on a dead UDP collector: sent or dropped
  BOOST_TEST(e.queued() == 0u);
}

BOOST_AUTO_TEST_CASE(tcp_stream_carries_templates_then_every_record) {
  auto [lfd, port] = bound(SOCK_STREAM);
  Fd listener(lfd);
  Exporter e(options(port, true));
  for (std::uint64_t i = 1; i <= 200; ++i)
    e.submit(record(i));
  std::uint64_t now = kT0;
  BOOST_REQUIRE(pumpUntil(e, now, [&] { return e.counters().records == 200u; }));
  BOOST_TEST(e.connected());
  BOOST_TEST(e.counters().connects == 1u);
  Fd conn(::accept(lfd, nullptr, nullptr));
  BOOST_REQUIRE(conn.fd >= 0);
  std::vector<std::uint8_t> stream, buf(65536);
  for (;;) {
    pollfd p{conn.fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0)
      break;
    auto n = ::recv(conn.fd, buf.data(), buf.size(), 0);
    if (n <= 0)
      break;
    stream.insert(stream.end(), buf.begin(), buf.begin() + n);
  }
  IpfixReader reader;
  std::size_t at = 0, records = 0;
  std::uint64_t packets = 0;
  bool first = true;
  while (at < stream.size()) {
    auto m = reader.read(std::span(stream).subspan(at));
    if (first)
      BOOST_TEST(m.set_ids.front() == 2);
    first = false;
    BOOST_TEST(m.sequence == records);
    for (const auto &[id, fields] : m.records) {
      ++records;
      packets += minewatch::test::fieldValue(fields, 2);
    }
    at += m.length;
  }
  BOOST_TEST(records == 200u);
  BOOST_TEST(packets == 200u * 201u / 2);
}

BOOST_AUTO_TEST_CASE(tcp_refused_backs_off_and_counts_nothing_sent) {
  Exporter e(options(deadPort(SOCK_STREAM), true));
  e.submit(record(1));
  std::uint64_t now = kT0;
  // The refusal arrives on a later pump; the record waits in the queue.
  BOOST_REQUIRE(pumpUntil(e, now, [&] { return !e.connected() && e.counters().connects == 0 && now > kT0; }));
  BOOST_TEST(e.counters().records == 0u);
  BOOST_TEST(e.queued() == 1u);
}

BOOST_AUTO_TEST_CASE(tcp_collector_that_never_reads_costs_counted_records) {
  auto [lfd, port] = bound(SOCK_STREAM);
  Fd listener(lfd);
  auto o = options(port, true);
  o.max_queue = 64;
  o.tcp_send_buffer = 16 * 1024;
  Exporter e(o);
  std::uint64_t now = kT0;
  // The kernel's buffers fill (the peer never reads), then the queue, then
  // every further record is dropped and counted; each pump returns.
  bool dropping = pumpUntil(e, now, [&] {
    for (int i = 0; i < 200; ++i)
      e.submit(record(1));
    return e.counters().dropped.count(DropReason::QueueFull) && e.queued() == o.max_queue;
  });
  BOOST_TEST(dropping);
  BOOST_TEST(e.connected());
  auto dropped = e.counters().droppedTotal();
  e.submit(record(1));
  e.pump(now);
  BOOST_TEST(e.counters().droppedTotal() == dropped + 1);
}

BOOST_AUTO_TEST_CASE(tcp_reconnects_with_templates_and_a_new_sequence) {
  auto [lfd, port] = bound(SOCK_STREAM);
  Fd listener(lfd);
  Exporter e(options(port, true));
  e.submit(record(1));
  std::uint64_t now = kT0;
  BOOST_REQUIRE(pumpUntil(e, now, [&] { return e.counters().records == 1u; }));
  {
    Fd conn(::accept(lfd, nullptr, nullptr));
    linger l{1, 0}; // reset: the exporter's next send fails at once
    ::setsockopt(conn.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  BOOST_REQUIRE(pumpUntil(e, now, [&] {
    e.submit(record(2));
    return !e.connected();
  }));
  e.submit(record(3));
  BOOST_REQUIRE(pumpUntil(e, now, [&] { return e.connected() && e.queued() == 0u; }));
  BOOST_TEST(e.counters().connects == 2u);
  Fd conn(::accept(lfd, nullptr, nullptr));
  std::vector<std::uint8_t> buf(65536);
  pollfd p{conn.fd, POLLIN, 0};
  BOOST_REQUIRE(::poll(&p, 1, 5000) == 1);
  auto n = ::recv(conn.fd, buf.data(), buf.size(), 0);
  BOOST_REQUIRE(n > 0);
  IpfixReader reader;
  auto m = reader.read(std::span(buf.data(), static_cast<std::size_t>(n)));
  BOOST_TEST(m.set_ids.front() == 2);
  BOOST_TEST(m.sequence == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
