// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/ja3.hpp"
#include "classify/ja4.hpp"
#include "classify/tls_hello.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

#include <utility>

using namespace minewatch;
using namespace minewatch::test;

namespace {
void put16(ByteVector &b, std::size_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v & 0xff));
}

ByteVector u16List(const std::vector<std::uint16_t> &values) {
  ByteVector out;
  put16(out, values.size() * 2);
  for (auto v : values)
    put16(out, v);
  return out;
}

ByteVector sni(std::string_view host) {
  ByteVector out;
  put16(out, host.size() + 3);
  out.push_back(0);
  put16(out, host.size());
  out.insert(out.end(), host.begin(), host.end());
  return out;
}

ByteVector alpn(const std::vector<std::string> &names) {
  ByteVector list;
  for (const auto &n : names) {
    list.push_back(static_cast<std::uint8_t>(n.size()));
    list.insert(list.end(), n.begin(), n.end());
  }
  ByteVector out;
  put16(out, list.size());
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

using Extension = std::pair<std::uint16_t, ByteVector>;

/// A ClientHello record: RFC 8446 section 4.1.2 inside a handshake record.
ByteVector clientHello(std::uint16_t version, const std::vector<std::uint16_t> &ciphers,
                       const std::vector<Extension> &extensions) {
  ByteVector body;
  put16(body, version);
  body.insert(body.end(), 32, 0x5a); // random
  body.push_back(32);                // session id
  body.insert(body.end(), 32, 0x11);
  auto c = u16List(ciphers);
  body.insert(body.end(), c.begin(), c.end());
  body.push_back(1); // compression: null
  body.push_back(0);
  ByteVector ext;
  for (const auto &[type, data] : extensions) {
    put16(ext, type);
    put16(ext, data.size());
    ext.insert(ext.end(), data.begin(), data.end());
  }
  put16(body, ext.size());
  body.insert(body.end(), ext.begin(), ext.end());

  ByteVector handshake{1, 0};
  put16(handshake, body.size());
  handshake.insert(handshake.end(), body.begin(), body.end());
  ByteVector record{22, 3, 1};
  put16(record, handshake.size());
  record.insert(record.end(), handshake.begin(), handshake.end());
  return record;
}

// The example of the JA3 README: "769,47-53-5-...,0-10-11,23-24-25,0".
ByteVector ja3ReadmeHello(std::string_view host) {
  return clientHello(0x0301, {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
                     {{0, sni(host)}, {10, u16List({23, 24, 25})}, {11, {1, 0}}});
}
// A Chrome 143 hello with a post-quantum key share (X25519MLKEM768: 1216
// bytes) and ECH, ~1.8 KB: ciphers and extensions in the wire order
// browserleaks.com reported for it (ja4_ro), GREASE added where Chrome puts
// it. Its JA3 and JA4 come from that second implementation, not from ours.
constexpr const char *kChromeJa3 = "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
                                   "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0";
constexpr const char *kChromeJa3Md5 = "98487aa16281980e7d1120d399efb6a4";
constexpr const char *kChromeJa4 = "t13d1516h2_8daaf6152771_d8a2da3f94cd";

ByteVector keyShare() {
  ByteVector shares;
  put16(shares, 0x11ec); // X25519MLKEM768
  put16(shares, 1216);
  shares.insert(shares.end(), 1216, 0x42);
  put16(shares, 0x001d); // x25519
  put16(shares, 32);
  shares.insert(shares.end(), 32, 0x43);
  ByteVector out;
  put16(out, shares.size());
  out.insert(out.end(), shares.begin(), shares.end());
  return out;
}

ByteVector chromeHello(std::string_view host) {
  std::vector<Extension> ext = {{0x3a3a, {}},
                                {0x002d, {1, 1}},
                                {0x0033, keyShare()},
                                {0x0010, alpn({"h2", "http/1.1"})},
                                {0xfe0d, ByteVector(250, 0x07)}, // ECH: opaque here
                                {0x0017, {}},
                                {0x44cd, {0, 3, 2, 'h', '2'}}};
  if (!host.empty())
    ext.push_back({0x0000, sni(host)});
  std::vector<Extension> rest = {{0x000b, {1, 0}},
                                 {0x000a, u16List({0x5a5a, 4588, 29, 23, 24})},
                                 {0x002b, {6, 0x7a, 0x7a, 3, 4, 3, 3}},
                                 {0xff01, {0}},
                                 {0x0023, {}},
                                 {0x0012, {}},
                                 {0x0005, {1, 0, 0, 0, 0}},
                                 {0x000d, u16List({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601})},
                                 {0x001b, {2, 0, 2}},
                                 {0x9a9a, {0}}};
  ext.insert(ext.end(), rest.begin(), rest.end());
  return clientHello(0x0303,
                     {0x8a8a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                      0x009c, 0x009d, 0x002f, 0x0035},
                     ext);
}
} // namespace

BOOST_AUTO_TEST_SUITE(tls_client_hello)

BOOST_AUTO_TEST_CASE(a_post_quantum_browser_hello_whole_cut_and_in_two_segments) {
  const auto bytes = chromeHello("tls.example");
  BOOST_TEST_REQUIRE(bytes.size() > 1700u);  // the size that outgrew the old sample
  BOOST_TEST_REQUIRE(bytes.size() <= 2048u); // MINEWATCH_HELLO_MAX: the data path takes it whole
  struct Case {
    const char *name;
    ByteVector payload;
    bool complete;
  };
  // Two segments as the agent joins them: the first part, then the rest.
  ByteVector joined(bytes.begin(), bytes.begin() + 1200);
  joined.insert(joined.end(), bytes.begin() + 1200, bytes.end());
  const Case cases[] = {
      {"whole", bytes, true},
      {"two segments joined", joined, true},
      {"cut at the old 256-byte sample", ByteVector(bytes.begin(), bytes.begin() + 256), false},
      {"first segment only", ByteVector(bytes.begin(), bytes.begin() + 1200), false},
  };
  for (const auto &c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto hello = classify::parseClientHello(c.payload);
      BOOST_TEST_REQUIRE(hello.has_value());
      BOOST_TEST(hello->truncated == !c.complete);
      BOOST_TEST(hello->bytes_total == bytes.size());
      BOOST_TEST(hello->bytes_seen == c.payload.size());
      BOOST_TEST(hello->ja3 == (c.complete ? kChromeJa3 : ""));
      BOOST_TEST(hello->ja3_md5 == (c.complete ? kChromeJa3Md5 : ""));
      BOOST_TEST(hello->ja4 == (c.complete ? kChromeJa4 : ""));
      BOOST_TEST(hello->sni == (c.complete ? "tls.example" : "")); // SNI sits past the key share
      BOOST_TEST(!hello->definitelyNoSni());
      auto text = classify::describeHello(*hello);
      BOOST_TEST(text == (c.complete
                              ? "ClientHello: sni tls.example, alpn h2 http/1.1, ja3 " + std::string(kChromeJa3Md5) +
                                    ", ja4 " + kChromeJa4 + ", whole (" + std::to_string(bytes.size()) + " bytes)"
                              : "ClientHello: no sni seen, cut short (" + std::to_string(c.payload.size()) + " of " +
                                    std::to_string(bytes.size()) + " bytes seen)"));
    }
  }
}

BOOST_AUTO_TEST_CASE(ja4_without_sni_alpn_or_signature_algorithms) {
  auto no_sni = classify::parseClientHello(chromeHello(""));
  BOOST_TEST_REQUIRE(no_sni.has_value());
  BOOST_TEST(no_sni->definitelyNoSni());
  // 'i' and one extension fewer; SNI is never in the hashed list anyway.
  BOOST_TEST(no_sni->ja4 == "t13i1515h2_8daaf6152771_d8a2da3f94cd");
  // The JA3 README hello: TLS 1.0, no ALPN, no signature_algorithms (so no
  // "_" in the extension part). The hashes are python hashlib's sha256 of
  // "0004,0005,000a,0013,002f,0032,0035,0038,c009,c00a,c013,c014" and of
  // "000a,000b", cut to 12 digits.
  auto old = classify::parseClientHello(ja3ReadmeHello("pool.example"));
  BOOST_TEST_REQUIRE(old.has_value());
  BOOST_TEST(old->ja4 == "t10d120300_d94e65cdb899_33a13ba74d1c");
  BOOST_TEST(classify::sha256Hex("", 12) == "e3b0c44298fc"); // SHA-256 of nothing
}

BOOST_AUTO_TEST_CASE(fields_and_ja3) {
  auto hello = classify::parseClientHello(ja3ReadmeHello("pool.example"));
  BOOST_TEST_REQUIRE(hello.has_value());
  BOOST_TEST(!hello->truncated);
  BOOST_TEST(hello->record_version == 0x0301);
  BOOST_TEST(hello->version == 769);
  BOOST_TEST(hello->sni == "pool.example");
  BOOST_TEST(hello->ja3 == "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  BOOST_TEST(hello->ja3_md5 == "ada70206e40642a3e4461f35503241d5");
}

BOOST_AUTO_TEST_CASE(grease_is_left_out_of_ja3_only) {
  auto bytes = clientHello(0x0303, {0x1a1a, 4865, 4866},
                           {{0xfafa, {}},
                            {16, alpn({"h2", "http/1.1"})},
                            {10, u16List({0x2a2a, 29, 23})},
                            {43, {4, 0x3a, 0x3a, 3, 4}},
                            {11, {1, 0}}});
  auto hello = classify::parseClientHello(bytes);
  BOOST_TEST_REQUIRE(hello.has_value());
  BOOST_TEST(hello->ciphers.size() == 3u);
  BOOST_TEST(hello->ja3 == "771,4865-4866,16-10-43-11,29-23,0");
  BOOST_TEST((hello->alpn == std::vector<std::string>{"h2", "http/1.1"}));
  BOOST_TEST((hello->supported_versions == std::vector<std::uint16_t>{0x3a3a, 0x0304}));
  BOOST_TEST(hello->sni.empty());
  BOOST_TEST(hello->definitelyNoSni());
  BOOST_TEST(classify::isGrease(0x0a0a));
  BOOST_TEST(!classify::isGrease(0x0a1a));
}

BOOST_AUTO_TEST_CASE(every_truncation_keeps_what_came_first) {
  auto bytes = ja3ReadmeHello("pool.example");
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    BOOST_TEST_CONTEXT("first " << len << " bytes") {
      auto hello = classify::parseClientHello(std::span(bytes).first(len));
      if (len < 6) {
        BOOST_TEST(!hello.has_value());
        continue;
      }
      BOOST_TEST_REQUIRE(hello.has_value());
      BOOST_TEST(hello->truncated);
      BOOST_TEST(hello->ja3.empty());
      BOOST_TEST(!hello->definitelyNoSni());
      BOOST_TEST(hello->ciphers.size() <= 12u);
      if (len >= bytes.size() - 10) // SNI, groups and formats: SNI is first
        BOOST_TEST(hello->sni == "pool.example");
    }
  }
}

BOOST_AUTO_TEST_CASE(lengths_that_lie_are_truncation_not_overreads) {
  auto bytes = ja3ReadmeHello("pool.example");
  bytes[3] = 0xff; // record length beyond the buffer
  bytes[4] = 0xff;
  auto hello = classify::parseClientHello(bytes);
  BOOST_TEST_REQUIRE(hello.has_value());
  BOOST_TEST(hello->sni == "pool.example");
  BOOST_TEST(!hello->truncated); // the handshake itself is whole
  auto bad = ja3ReadmeHello("pool.example");
  bad[bad.size() - 2] = 0x40; // point formats list longer than its extension
  auto h2 = classify::parseClientHello(bad);
  BOOST_TEST_REQUIRE(h2.has_value());
  BOOST_TEST(h2->point_formats.empty());
}

BOOST_AUTO_TEST_CASE(other_records_are_not_hellos) {
  ByteVector server_hello{22, 3, 3, 0, 4, 2, 0, 0, 0};
  ByteVector app_data{23, 3, 3, 0, 2, 1, 2};
  ByteVector sslv2{0x80, 0x2e, 1, 3, 1};
  BOOST_TEST(!classify::parseClientHello(server_hello));
  BOOST_TEST(!classify::parseClientHello(app_data));
  BOOST_TEST(!classify::parseClientHello(sslv2));
}

BOOST_AUTO_TEST_CASE(classify_reports_tls) {
  auto bytes = ja3ReadmeHello("xmr.pool.example");
  auto facts = classify::classifyPayload(bytes, toServer(443));
  BOOST_TEST(facts.protocol == classify::Protocol::TlsClientHello);
  BOOST_TEST(!facts.mining); // TLS alone says nothing about mining
  BOOST_TEST_REQUIRE(facts.tls.has_value());
  BOOST_TEST(facts.tls->sni == "xmr.pool.example");
  BOOST_TEST(facts.detail == "sni xmr.pool.example");
}

BOOST_AUTO_TEST_CASE(md5_of_nothing) { BOOST_TEST(classify::md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e"); }

BOOST_AUTO_TEST_SUITE_END()
