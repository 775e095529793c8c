// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Garbage in, no undefined behaviour out: random bytes, JSON-ish noise,
// every prefix and bit flips of valid messages through every parser. Run
// under -fsanitize=address,undefined to make "no UB" mean something.
#include "classify/dns_message.hpp"
#include "classify/http_message.hpp"
#include "classify/json_scan.hpp"
#include "classify/tls_hello.hpp"
#include "classify/websocket.hpp"
#include "signature_samples.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <random>

using namespace minewatch;
using namespace minewatch::test;

namespace {
const std::vector<classify::PayloadContext> kContexts = {
    toServer(3333),
    fromServer(443),
    {classify::Transport::Udp, 53, 5353, classify::Direction::ServerToClient, true},
    {classify::Transport::Tcp, 40000, 53, classify::Direction::ClientToServer, false},
    {classify::Transport::Udp, 1000, 2000, classify::Direction::Unknown, false},
};

// Facts go to logs and JSON: every string must survive a JSON dump, which
// throws on invalid UTF-8.
void checkJsonSafe(const classify::PayloadFacts &f) {
  nlohmann::json j = {{"agent", f.agent}, {"detail", f.detail}, {"methods", f.methods}};
  if (f.tls)
    j["tls"] = {{"sni", f.tls->sni}, {"alpn", f.tls->alpn}, {"ja3", f.tls->ja3}};
  if (f.dns)
    j["dns"] = {{"query", f.dns->query}, {"cnames", f.dns->cnames}};
  BOOST_CHECK_NO_THROW((void)j.dump());
}

void everything(std::span<const std::uint8_t> bytes) {
  for (const auto &c : kContexts)
    checkJsonSafe(classify::classifyPayload(bytes, c));
  auto text = std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  (void)classify::scanJson(text);
  (void)classify::parseHttp(text);
  (void)classify::readWebSocketFrames(bytes);
  (void)classify::parseClientHello(bytes);
  (void)classify::parseDns(bytes);
}

std::vector<ByteVector> validMessages() {
  std::vector<ByteVector> out;
  for (const auto &s : miningSamples())
    out.push_back(bytesOf(s.text));
  for (const auto &s : benignSamples())
    out.push_back(bytesOf(s.text));
  out.push_back(bytesOf("POST / HTTP/1.1\r\nX-Mining-Extensions: midstate\r\nUser-Agent: bfgminer/5.2.0\r\n\r\n"
                        R"({"method": "getwork", "params": [], "id":0})"));
  // A minimal ClientHello, a DNS answer with a pointer, a masked WebSocket frame.
  out.push_back({0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, 1,    2,    3,    4,    5,   6,  7,
                 8,    9,    10,   11,   12,   13,   14,   15,   16,   17,   18,   19,   20,   21,   22,   23,  24, 25,
                 26,   27,   28,   29,   30,   31,   32,   0x00, 0x00, 0x02, 0xc0, 0x2b, 0x01, 0x00, 0x00, 0x00});
  out.push_back({0xa6, 0x65, 0x81, 0x80, 0,   1, 0,   1,    0,   0, 0,   0,  8,   'c', 'o',  'i',
                 'n',  'h',  'i',  'v',  'e', 3, 'c', 'o',  'm', 0, 0,   1,  0,   1,   0xc0, 0x0c,
                 0,    1,    0,    1,    0,   0, 0,   0xb1, 0,   4, 104, 20, 208, 59});
  out.push_back({0x81, 0x8a, 1, 2, 3, 4, '{' ^ 1, '"' ^ 2, 'a' ^ 3, '"' ^ 4, ':' ^ 1, '1' ^ 2, '}' ^ 3, '\n' ^ 4,
                 ' ' ^ 1, ' ' ^ 2});
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(random_bytes) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 320);
  for (int i = 0; i < 20000; ++i) {
    ByteVector b(length(rng));
    for (auto &x : b)
      x = static_cast<std::uint8_t>(byte(rng));
    // Give some buffers a plausible first byte so deeper code runs.
    constexpr std::uint8_t kStarts[] = {'{', '[', 0x16, 0x81, 'P', 'H', 0x00};
    if (!b.empty() && i % 2)
      b[0] = kStarts[static_cast<std::size_t>(i / 2) % sizeof kStarts];
    everything(b);
  }
}

BOOST_AUTO_TEST_CASE(json_like_noise) {
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,\\ \n0123456789abcdefmtuenlrsx.-+eE/";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 256);
  for (int i = 0; i < 20000; ++i) {
    std::string s = i % 3 ? "{\"method\":\"" : "{";
    for (std::size_t n = length(rng); n > 0; --n)
      s += alphabet[pick(rng)];
    everything(bytesOf(s));
  }
}

BOOST_AUTO_TEST_CASE(every_prefix_of_valid_messages) {
  for (const auto &m : validMessages())
    for (std::size_t len = 0; len <= m.size(); ++len)
      everything(std::span(m).first(len));
}

BOOST_AUTO_TEST_CASE(bit_flips_of_valid_messages) {
  std::mt19937 rng(99);
  for (const auto &m : validMessages()) {
    std::uniform_int_distribution<std::size_t> at(0, m.size() - 1);
    std::uniform_int_distribution<int> bit(0, 7);
    for (int i = 0; i < 300; ++i) {
      ByteVector b = m;
      for (int flips = 1 + i % 4; flips > 0; --flips)
        b[at(rng)] ^= static_cast<std::uint8_t>(1u << bit(rng));
      everything(b);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
