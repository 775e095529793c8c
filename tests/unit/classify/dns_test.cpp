// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/dns_message.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch;
using namespace minewatch::test;

namespace {
constexpr std::uint16_t kA = 1, kCname = 5, kAaaa = 28;

/// Writes DNS messages byte by byte (RFC 1035 section 4.1).
class DnsWriter {
public:
  DnsWriter(std::uint16_t flags, std::uint16_t qdcount, std::uint16_t ancount) {
    u16(0x1234);
    u16(flags);
    u16(qdcount);
    u16(ancount);
    u16(0);
    u16(0);
  }
  std::size_t offset() const { return bytes_.size(); }
  DnsWriter &name(std::string_view dotted) {
    while (!dotted.empty()) {
      auto dot = dotted.find('.');
      auto label = dotted.substr(0, dot);
      bytes_.push_back(static_cast<std::uint8_t>(label.size()));
      bytes_.insert(bytes_.end(), label.begin(), label.end());
      dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
    }
    bytes_.push_back(0);
    return *this;
  }
  DnsWriter &pointer(std::size_t to) { return u16(static_cast<std::uint16_t>(0xc000 | to)); }
  DnsWriter &question(std::uint16_t qtype) { return u16(qtype).u16(1); }
  /// Type, class IN, TTL and rdata after an owner name written before.
  DnsWriter &record(std::uint16_t type, std::uint32_t ttl, const ByteVector &rdata) {
    u16(type).u16(1).u16(static_cast<std::uint16_t>(ttl >> 16)).u16(static_cast<std::uint16_t>(ttl));
    u16(static_cast<std::uint16_t>(rdata.size()));
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    return *this;
  }
  /// A CNAME whose target is written by the caller next (length patched).
  DnsWriter &cnameTo(std::uint32_t ttl, std::string_view target) {
    u16(kCname).u16(1).u16(0).u16(static_cast<std::uint16_t>(ttl));
    std::size_t len_at = bytes_.size();
    u16(0);
    name(target);
    std::size_t len = bytes_.size() - len_at - 2;
    bytes_[len_at] = static_cast<std::uint8_t>(len >> 8);
    bytes_[len_at + 1] = static_cast<std::uint8_t>(len);
    return *this;
  }
  DnsWriter &u16(std::uint16_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
    bytes_.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  const ByteVector &bytes() const { return bytes_; }

private:
  ByteVector bytes_;
};

// The pcap's answer for coinhive.com: two A records behind pointers.
ByteVector coinhiveAnswer() {
  DnsWriter w(0x8180, 1, 2);
  w.name("CoinHive.com").question(kA);
  w.pointer(12).record(kA, 177, {104, 20, 208, 59});
  w.pointer(12).record(kA, 177, {104, 20, 209, 59});
  return w.bytes();
}

// query -> edge.cdn.example -> x1.cdn.example -> A + AAAA, and a stray A.
ByteVector chainAnswer() {
  DnsWriter w(0x8180, 1, 5);
  w.name("xmr.pool.example").question(kA);
  w.pointer(12).cnameTo(300, "edge.cdn.example");
  std::size_t edge = w.offset() - 18; // "edge.cdn.example" as written above
  w.pointer(edge).cnameTo(60, "x1.cdn.example");
  std::size_t x1 = w.offset() - 16;
  w.pointer(x1).record(kA, 30, {192, 0, 2, 7});
  w.pointer(x1).record(kAaaa, 30, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7});
  w.name("evil.example").record(kA, 30, {198, 51, 100, 1});
  return w.bytes();
}

std::vector<std::string> addresses(const classify::DnsFacts &dns) {
  std::vector<std::string> out;
  for (const auto &a : dns.addresses)
    out.push_back(a.address.toString());
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(dns)

BOOST_AUTO_TEST_CASE(answers_behind_compression_pointers) {
  auto dns = classify::parseDns(coinhiveAnswer());
  BOOST_TEST_REQUIRE(dns.has_value());
  BOOST_TEST(dns->response);
  BOOST_TEST(dns->id == 0x1234);
  BOOST_TEST(dns->query == "coinhive.com"); // lower-cased
  BOOST_TEST(dns->qtype == kA);
  BOOST_TEST(!dns->truncated);
  BOOST_TEST((addresses(*dns) == std::vector<std::string>{"104.20.208.59", "104.20.209.59"}));
  BOOST_TEST(dns->addresses[0].ttl_s == 177u);
}

BOOST_AUTO_TEST_CASE(cname_chains_resolve_to_the_query_and_strays_are_dropped) {
  auto dns = classify::parseDns(chainAnswer());
  BOOST_TEST_REQUIRE(dns.has_value());
  BOOST_TEST((dns->cnames == std::vector<std::string>{"edge.cdn.example", "x1.cdn.example"}));
  BOOST_TEST((addresses(*dns) == std::vector<std::string>{"192.0.2.7", "2001:db8::7"}));
}

BOOST_AUTO_TEST_CASE(cname_loops_end) {
  DnsWriter w(0x8180, 1, 3);
  w.name("a.example").question(kA);
  w.pointer(12).cnameTo(60, "b.example");
  w.name("b.example").cnameTo(60, "a.example");
  w.pointer(12).record(kA, 60, {192, 0, 2, 1});
  auto dns = classify::parseDns(w.bytes());
  BOOST_TEST_REQUIRE(dns.has_value());
  BOOST_TEST((dns->cnames == std::vector<std::string>{"b.example"}));
  BOOST_TEST(dns->addresses.size() == 1u);
}

BOOST_AUTO_TEST_CASE(pointer_loops_are_refused) {
  DnsWriter w(0x8180, 1, 1);
  w.name("a.example").question(kA);
  std::size_t self = w.offset();
  w.pointer(self).record(kA, 60, {192, 0, 2, 1}); // owner points at itself
  auto dns = classify::parseDns(w.bytes());
  BOOST_TEST_REQUIRE(dns.has_value());
  BOOST_TEST(dns->truncated);
  BOOST_TEST(dns->addresses.empty());
  DnsWriter forward(0x8180, 1, 0);
  forward.pointer(14).pointer(12); // the question name loops too
  BOOST_TEST(!classify::parseDns(forward.bytes()));
}

BOOST_AUTO_TEST_CASE(every_truncation_keeps_the_answers_before_it) {
  auto whole = chainAnswer();
  for (std::size_t len = 0; len <= whole.size(); ++len) {
    BOOST_TEST_CONTEXT("first " << len << " bytes") {
      auto dns = classify::parseDns(std::span(whole).first(len));
      if (len < 12 + 18) { // header and the question's name
        BOOST_TEST(!dns.has_value());
        continue;
      }
      BOOST_TEST_REQUIRE(dns.has_value());
      BOOST_TEST(dns->query == "xmr.pool.example");
      BOOST_TEST(dns->truncated == (len < whole.size()));
      BOOST_TEST(dns->addresses.size() <= 2u);
    }
  }
}

BOOST_AUTO_TEST_CASE(odd_records_and_headers) {
  DnsWriter w(0x8180, 1, 3);
  w.name("q.example").question(kA);
  w.pointer(12).record(kA, 0x80000001u, {192, 0, 2, 1}); // TTL with the top bit: zero
  w.pointer(12).record(kA, 60, {192, 0, 2});             // bad A length: ignored
  w.pointer(12).record(16, 60, {3, 'a', 'b', 'c'});      // TXT: ignored
  auto dns = classify::parseDns(w.bytes());
  BOOST_TEST_REQUIRE(dns.has_value());
  BOOST_TEST_REQUIRE(dns->addresses.size() == 1u);
  BOOST_TEST(dns->addresses[0].ttl_s == 0u);

  DnsWriter query(0x0100, 1, 0);
  query.name("pool.minexmr.com").question(kA);
  auto q = classify::parseDns(query.bytes());
  BOOST_TEST_REQUIRE(q.has_value());
  BOOST_TEST(!q->response);
  BOOST_TEST(!classify::parseDns(DnsWriter(0x8180, 2, 0).bytes())); // two questions
  BOOST_TEST(!classify::parseDns(DnsWriter(0x2980, 1, 0).bytes())); // opcode UPDATE
}

BOOST_AUTO_TEST_CASE(classify_by_port_and_sample_kind) {
  auto answer = coinhiveAnswer();
  classify::PayloadContext udp{classify::Transport::Udp, 53, 39394, classify::Direction::ServerToClient, true};
  auto facts = classify::classifyPayload(answer, udp);
  BOOST_TEST(facts.protocol == classify::Protocol::Dns);
  BOOST_TEST_REQUIRE(facts.dns.has_value());
  BOOST_TEST(facts.dns->addresses.size() == 2u);
  BOOST_TEST(classify::describe(facts) == "dns: response; coinhive.com -> 2 address(es)");

  ByteVector tcp{0, static_cast<std::uint8_t>(answer.size())};
  tcp.insert(tcp.end(), answer.begin(), answer.end());
  BOOST_TEST(classify::classifyPayload(tcp, toServer(53)).protocol == classify::Protocol::Dns);

  auto junk = bytesOf("not dns at all");
  BOOST_TEST(classify::classifyPayload(junk, udp).protocol == classify::Protocol::Unknown);
}

BOOST_AUTO_TEST_SUITE_END()
