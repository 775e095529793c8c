// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Payload samples: first payload packets per direction, DNS under a rate
// limit, payload past the linear area, ring-buffer overflow counted.
#include "common.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace minewatch::test;
using namespace minewatch::test::tcp_flags;

namespace {
const std::string kLogin =
    R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"wallet","pass":"x","agent":"XMRig/6.16.4"}})"
    "\n";

std::string sampleText(const minewatch_sample &s) {
  return std::string(reinterpret_cast<const char *>(s.data), s.captured_len);
}
std::string helloText(const minewatch_hello_sample &s) {
  return std::string(reinterpret_cast<const char *>(s.data), s.captured_len);
}

// A TLS 1.0 record holding a ClientHello that claims `record` bytes; the
// body is filler: the data path reads only the first six bytes.
std::string helloRecord(std::size_t record) {
  std::string r = {0x16, 0x03, 0x01, static_cast<char>(record >> 8), static_cast<char>(record & 0xff), 0x01};
  for (std::size_t i = 0; r.size() < record + 5; ++i)
    r.push_back(static_cast<char>('a' + i % 26));
  return r;
}

struct LongSampleCase {
  const char *name;
  std::string payload;
  std::vector<std::size_t> segments;     // payload bytes per packet, client to pool
  std::vector<std::uint8_t> hello_kinds; // long records expected, in order
  std::size_t short_samples;             // minewatch_sample records expected
};
} // namespace

BOOST_AUTO_TEST_SUITE(samples)

BOOST_AUTO_TEST_CASE(first_payload_packets_of_each_direction_are_sampled) {
  minewatch::datapath::SensorOptions options;
  options.samples_per_direction = 3;
  TestRunHarness h(options);
  h.runTc(tcpToPool(kSyn), kT0); // no payload: never sampled
  auto login = PacketBuilder().ipv4(kClient, kPool).tcp(40000, 3333, kAck | kPsh).payload(kLogin).build();
  for (int i = 0; i < 5; ++i) {
    h.runTc(login, kT0 + static_cast<std::uint64_t>(i + 1) * kSec);
    h.runXdp(tcpFromPool(kAck | kPsh, 300), kT0 + static_cast<std::uint64_t>(i + 1) * kSec + kMs);
  }
  auto samples = h.drainSamples();
  BOOST_TEST(samples.size() == 6u);
  auto [key, dir] = minewatch::datapath::canonicalFlowKey({addr(kClient), 40000}, {addr(kPool), 3333}, IPPROTO_TCP);
  auto up = std::count_if(samples.begin(), samples.end(), [&](auto &s) { return s.direction == dir; });
  BOOST_TEST(up == 3);
  const auto &first = samples.front();
  BOOST_TEST(std::memcmp(&first.key, &key, sizeof key) == 0);
  BOOST_TEST(first.kind == MINEWATCH_SAMPLE_FLOW_START);
  BOOST_TEST(first.hook == MINEWATCH_HOOK_TC);
  BOOST_TEST(first.payload_len == kLogin.size());
  BOOST_TEST(first.captured_len == kLogin.size());
  BOOST_TEST(sampleText(first) == kLogin);
  BOOST_TEST(first.ts_ns == kT0 + kSec);
  BOOST_TEST(first.tcp_flags == (kAck | kPsh));
  BOOST_TEST(h.stat(MINEWATCH_STAT_SAMPLES) == 6u);
  auto f = h.flow(kClient, 40000, kPool, 3333, IPPROTO_TCP);
  BOOST_TEST(f->forward().samples == 3u);
}

BOOST_AUTO_TEST_CASE(long_payload_is_cut_at_the_sample_size) {
  minewatch::datapath::SensorOptions options;
  options.sample_bytes = 100;
  TestRunHarness h(options);
  h.runXdp(tcpFromPool(kAck | kPsh, 1000), kT0);
  auto samples = h.drainSamples();
  BOOST_REQUIRE(samples.size() == 1u);
  BOOST_TEST(samples[0].payload_len == 1000u);
  BOOST_TEST(samples[0].captured_len == 100u);
  BOOST_TEST(samples[0].hook == MINEWATCH_HOOK_XDP);
}

BOOST_AUTO_TEST_CASE(payload_outside_the_linear_area_is_still_read) {
  TestRunHarness h;
  std::string body(1500, 'a');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>('a' + i % 26);
  auto frame = PacketBuilder().ipv4(kPool, kClient).tcp(3333, 40000, kAck | kPsh).payload(body).build();
  // Linear part holds only the headers (54 bytes) plus 10 payload bytes.
  BOOST_TEST(h.runXdpFragmented(frame, 64, kT0) == XDP_PASS);
  auto samples = h.drainSamples();
  BOOST_REQUIRE(samples.size() == 1u);
  BOOST_TEST(samples[0].captured_len == 256u);
  BOOST_TEST(sampleText(samples[0]) == body.substr(0, 256));
  auto f = h.flow(kPool, 3333, kClient, 40000, IPPROTO_TCP);
  BOOST_REQUIRE(f);
  BOOST_TEST(f->forward().bytes == frame.size());
}

// A ClientHello is sampled whole (up to 2 KB), across two segments when its
// record goes on, and so is a JSON message longer than the short sample;
// other payload keeps the short sample.
BOOST_AUTO_TEST_CASE(a_client_hello_and_a_long_json_message_are_sampled_whole) {
  const std::string hello = helloRecord(1795); // 1800 bytes: a post-quantum browser's
  const LongSampleCase cases[] = {
      {"hello in one frame", hello, {1800, 40}, {MINEWATCH_SAMPLE_TLS_HELLO}, 1},
      {"hello over two segments",
       hello,
       {1200, 600, 40},
       {MINEWATCH_SAMPLE_TLS_HELLO, MINEWATCH_SAMPLE_TLS_HELLO_CONT},
       1},
      {"not TLS", std::string(1800, 'x'), {1800}, {}, 1},
      {"handshake but not a hello",
       std::string{0x16, 0x03, 0x03, 0x07, 0x00, 0x02} + std::string(1794, 'x'),
       {1800},
       {},
       1},
      {"JSON longer than the short sample", "{" + std::string(899, 'j'), {900}, {MINEWATCH_SAMPLE_JSON_LONG}, 0},
      {"JSON the short sample holds", "{" + std::string(199, 'j'), {200}, {}, 1},
  };
  for (const auto &c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      TestRunHarness h;
      std::size_t off = 0;
      std::string sent;
      for (std::size_t i = 0; i < c.segments.size(); ++i) {
        auto part = off < c.payload.size() ? c.payload.substr(off, c.segments[i]) : std::string(c.segments[i], 'z');
        off += c.segments[i];
        sent += part;
        auto frame = PacketBuilder().ipv4(kClient, kPool).tcp(40000, 443, kAck | kPsh).payload(part).build();
        h.runTc(frame, kT0 + i * kMs);
      }
      auto samples = h.drainSamples();
      const auto &hellos = h.helloSamples();
      BOOST_TEST(samples.size() == c.short_samples);
      BOOST_REQUIRE(hellos.size() == c.hello_kinds.size());
      std::string seen;
      for (std::size_t i = 0; i < hellos.size(); ++i) {
        BOOST_TEST(hellos[i].kind == c.hello_kinds[i]);
        BOOST_TEST(hellos[i].captured_len == c.segments[i]);
        BOOST_TEST(hellos[i].payload_len == c.segments[i]);
        seen += helloText(hellos[i]);
      }
      if (!hellos.empty())
        BOOST_TEST(seen == c.payload);
      for (const auto &s : samples)
        BOOST_TEST(s.captured_len == std::min<std::size_t>(s.payload_len, MINEWATCH_SAMPLE_MAX));
      BOOST_TEST(h.stat(MINEWATCH_STAT_SAMPLES) == samples.size() + hellos.size());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_client_hello_outside_the_linear_area_is_read_whole) {
  TestRunHarness h;
  const std::string hello = helloRecord(1795);
  auto frame = PacketBuilder().ipv4(kClient, kPool).tcp(40000, 443, kAck | kPsh).payload(hello).build();
  BOOST_TEST(h.runXdpFragmented(frame, 64, kT0) == XDP_PASS);
  BOOST_TEST(h.drainSamples().empty());
  BOOST_REQUIRE(h.helloSamples().size() == 1u);
  BOOST_TEST(helloText(h.helloSamples()[0]) == hello);
}

BOOST_AUTO_TEST_CASE(dns_responses_are_all_sampled_up_to_the_rate_limit) {
  minewatch::datapath::SensorOptions options;
  options.dns_samples_per_sec = 3;
  options.samples_per_direction = 1;
  TestRunHarness h(options);
  auto answer = PacketBuilder().ipv4("192.0.2.53", kClient).udp(53, 50000).payload(120).build();
  for (int i = 0; i < 5; ++i)
    h.runXdp(answer, kT0 + static_cast<std::uint64_t>(i) * kMs);
  h.runXdp(answer, kT0 + 2 * kSec); // a new one-second window
  auto samples = h.drainSamples();
  BOOST_TEST(samples.size() == 4u);
  BOOST_TEST(std::all_of(samples.begin(), samples.end(), [](auto &s) { return s.kind == MINEWATCH_SAMPLE_DNS; }));
  BOOST_TEST(h.stat(MINEWATCH_STAT_DNS_RATE_LIMITED) == 2u);
}

BOOST_AUTO_TEST_CASE(a_full_ring_buffer_counts_its_drops) {
  minewatch::datapath::SensorOptions options;
  options.ring_buffer_bytes = 4096;
  TestRunHarness h(options);
  constexpr unsigned kFlows = 40;
  for (unsigned i = 0; i < kFlows; ++i)
    h.runXdp(tcpFromPool(kAck | kPsh, 100, static_cast<std::uint16_t>(20000 + i)), kT0 + i);
  auto samples = h.drainSamples();
  auto drops = h.stat(MINEWATCH_STAT_RINGBUF_DROPS);
  BOOST_TEST(samples.size() < kFlows);
  BOOST_TEST(drops > 0u);
  BOOST_TEST(samples.size() + drops == kFlows); // nothing lost silently
  BOOST_TEST(h.stat(MINEWATCH_STAT_SAMPLES) == samples.size());
}

BOOST_AUTO_TEST_SUITE_END()
