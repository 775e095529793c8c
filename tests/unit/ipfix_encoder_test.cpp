// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The IPFIX encoder against hand-written bytes: the RFC 7011 header, the
// template set (IANA element numbers, RFC 5103 reverse elements, our own
// enterprise elements) and data records, field by field.
#include "export/ipfix_encoder.hpp"
#include "ipfix_decode.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace minewatch::ipfix;
using minewatch::test::IpfixReader;

namespace {
/// "00 0a ff" -> bytes; '|' and newlines are ignored (they group the fixtures).
std::vector<std::uint8_t> hex(const std::string &text) {
  std::vector<std::uint8_t> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word)
    if (word != "|")
      out.push_back(static_cast<std::uint8_t>(std::stoul(word, nullptr, 16)));
  return out;
}

/// Big-endian bytes of v in n bytes: data-record fixtures as (value, width) rows.
struct Bytes {
  std::vector<std::uint8_t> b;
  Bytes &be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes &raw(const std::vector<std::uint8_t> &v) {
    b.insert(b.end(), v.begin(), v.end());
    return *this;
  }
  Bytes &str(const std::string &s) {
    b.push_back(static_cast<std::uint8_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
};

// One template's field specifiers after the 2-byte address elements.
const std::string kCommonFields = R"(
  00 07 00 02 | 00 0b 00 02 | 00 04 00 01 | 00 06 00 02
  80 06 00 02 00 00 72 79
  00 01 00 08 | 00 02 00 08
  80 01 00 08 00 00 72 79 | 80 02 00 08 00 00 72 79
  00 98 00 08 | 00 99 00 08 | 00 88 00 01
  80 01 00 01 00 00 7e d9 | 80 02 00 04 00 00 7e d9
  80 03 ff ff 00 00 7e d9 | 80 04 ff ff 00 00 7e d9 | 80 05 ff ff 00 00 7e d9
  80 06 00 40 00 00 7e d9 | c0 06 00 40 00 00 7e d9
  80 07 00 70 00 00 7e d9 | c0 07 00 70 00 00 7e d9
  80 08 ff ff 00 00 7e d9
)";

FlowRecord sampleV4() {
  FlowRecord r;
  r.src = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  r.dst = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 7};
  r.src_port = 40000;
  r.dst_port = 3333;
  r.proto = 6;
  r.forward.octets = 1234;
  r.forward.packets = 10;
  r.forward.tcp_flags = 0x1b;
  r.forward.size_hist[0] = 1;
  r.forward.size_hist[5] = 3;
  r.reverse.octets = 5678;
  r.reverse.packets = 9;
  r.reverse.tcp_flags = 0x12;
  r.reverse.gap_hist[27] = 7;
  r.start_ms = 1700000000000;
  r.end_ms = 1700000001500;
  r.end_reason = EndReason::EndOfFlow;
  r.verdict = 2;
  r.confidence = 0.5f;
  r.server_name = "pool.example";
  r.detectors = "intel,signature";
  r.ja4 = "t13d1516h2_8daaf6152771_d8a2da3f94cd";
  return r;
}

/// The data record of sampleV4, written from the template's order by hand.
std::vector<std::uint8_t> sampleV4Bytes() {
  Bytes b;
  b.raw({192, 0, 2, 1}).raw({198, 51, 100, 7}).be(40000, 2).be(3333, 2).be(6, 1);
  b.be(0x1b, 2).be(0x12, 2);
  b.be(1234, 8).be(10, 8).be(5678, 8).be(9, 8);
  b.be(1700000000000, 8).be(1700000001500, 8).be(3, 1);
  b.be(2, 1).be(0x3f000000, 4).str("pool.example").str("").str("intel,signature");
  for (int i = 0; i < 16; ++i) // forward sizes
    b.be(i == 0 ? 1 : i == 5 ? 3 : 0, 4);
  for (int i = 0; i < 16; ++i) // reverse sizes
    b.be(0, 4);
  for (int i = 0; i < 28; ++i) // forward gaps
    b.be(0, 4);
  for (int i = 0; i < 28; ++i) // reverse gaps
    b.be(i == 27 ? 7 : 0, 4);
  b.str("t13d1516h2_8daaf6152771_d8a2da3f94cd"); // JA4
  return b.b;
}
} // namespace

BOOST_AUTO_TEST_SUITE(ipfix_encoder)

BOOST_AUTO_TEST_CASE(header_is_rfc7011) {
  MessageEncoder e(0x01020304, 1400);
  e.begin(0x5f5e1000);
  auto m = e.finish();
  BOOST_TEST(m == hex("00 0a 00 10  5f 5e 10 00  00 00 00 00  01 02 03 04"), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(template_set_byte_for_byte) {
  MessageEncoder e(7, 1400);
  e.begin(100);
  e.addTemplates();
  auto m = e.finish();
  auto expected = hex("00 0a 01 44  00 00 00 64  00 00 00 00  00 00 00 07" // header, 324 bytes
                      "  00 02 01 34"                                      // template set, 308 bytes
                      "  01 00 00 18  00 08 00 04  00 0c 00 04" +          // 256: 24 fields, IPv4 addresses
                      kCommonFields +
                      "  01 01 00 18  00 1b 00 10  00 1c 00 10" + // 257: IPv6 addresses
                      kCommonFields);
  BOOST_TEST(m == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(template_tables_name_the_standard_elements) {
  // (IE, enterprise, length) as RFC 7012 / 5103 number them.
  struct Row {
    std::uint16_t id;
    std::uint32_t pen;
    std::uint16_t length;
  };
  const Row v6[] = {{27, 0, 16}, {28, 0, 16}, {7, 0, 2},     {11, 0, 2},    {4, 0, 1},   {6, 0, 2},   {6, 29305, 2},
                    {1, 0, 8},   {2, 0, 8},   {1, 29305, 8}, {2, 29305, 8}, {152, 0, 8}, {153, 0, 8}, {136, 0, 1}};
  auto fields = templateFields(true);
  BOOST_REQUIRE(fields.size() == 24u);
  for (std::size_t i = 0; i < std::size(v6); ++i) {
    BOOST_TEST_CONTEXT("field " << i) {
      BOOST_TEST(fields[i].id == v6[i].id);
      BOOST_TEST(fields[i].pen == v6[i].pen);
      BOOST_TEST(fields[i].length == v6[i].length);
    }
  }
  BOOST_TEST(templateFields(false)[0].id == 8);
  BOOST_TEST(templateFields(false)[1].id == 12);
}

BOOST_AUTO_TEST_CASE(data_record_byte_for_byte) {
  MessageEncoder e(7, 1400);
  e.begin(100);
  BOOST_REQUIRE(e.addRecord(sampleV4()));
  auto m = e.finish();
  auto record = sampleV4Bytes();
  Bytes expected;
  expected.be(10, 2).be(16 + 4 + record.size(), 2).be(100, 4).be(0, 4).be(7, 4); // header
  expected.be(256, 2).be(4 + record.size(), 2).raw(record);                      // one data set
  BOOST_TEST(m == expected.b, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sequence_counts_records_before_the_message) {
  MessageEncoder e(1, 1400);
  e.begin(1);
  e.addTemplates();
  std::size_t first = 0;
  while (e.addRecord(sampleV4()))
    ++first;
  BOOST_TEST(first >= 1u);
  auto m1 = e.finish();
  BOOST_TEST(m1.size() <= 1400u);
  e.begin(2);
  BOOST_REQUIRE(e.addRecord(sampleV4()));
  auto m2 = e.finish();
  IpfixReader reader;
  auto d1 = reader.read(m1), d2 = reader.read(m2);
  BOOST_TEST(d1.sequence == 0u);
  BOOST_TEST(d1.records.size() == first);
  BOOST_TEST(d2.sequence == first);
  BOOST_TEST(e.sequence() == first + 1);
  e.resetSequence();
  e.begin(3);
  BOOST_TEST(reader.read(e.finish()).sequence == 0u);
}

BOOST_AUTO_TEST_CASE(families_go_to_their_own_sets) {
  MessageEncoder e(1, 1400);
  e.begin(1);
  e.addTemplates();
  auto v6 = sampleV4();
  v6.ipv6 = true;
  v6.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6.server_name.clear();
  v6.detectors.clear();
  BOOST_REQUIRE(e.addRecord(v6));
  BOOST_REQUIRE(e.addRecord(sampleV4()));
  IpfixReader reader;
  auto d = reader.read(e.finish());
  BOOST_TEST(d.set_ids == (std::vector<std::uint16_t>{2, 257, 256}), boost::test_tools::per_element());
  BOOST_REQUIRE(d.records.size() == 2u);
  BOOST_TEST(d.records[0].second[0].value == std::vector<std::uint8_t>(v6.src.begin(), v6.src.end()),
             boost::test_tools::per_element());
  BOOST_TEST(minewatch::test::fieldValue(d.records[1].second, 2, 29305) == 9u); // reverse packetDeltaCount
}

BOOST_AUTO_TEST_CASE(long_strings_are_cut_and_every_record_fits_a_udp_message) {
  auto r = sampleV4();
  r.ipv6 = true;
  r.server_name = std::string(300, 'a');
  r.ja3 = std::string(300, 'b');
  r.detectors = std::string(300, 'c');
  r.ja4 = std::string(300, 'd');
  // The largest record there is fits a UDP message beside the templates.
  MessageEncoder e(1, 1400);
  e.begin(1);
  e.addTemplates();
  BOOST_REQUIRE(e.addRecord(r));
  auto m = e.finish();
  BOOST_TEST(m.size() <= 1400u);
  IpfixReader reader;
  auto d = reader.read(m);
  BOOST_TEST(d.records.at(0).second.at(16).value.size() == kMaxString);
  BOOST_TEST(d.records.at(0).second.at(16).value.front() == 'a');
}

BOOST_AUTO_TEST_CASE(a_record_that_does_not_fit_leaves_the_message_as_it_was) {
  MessageEncoder e(1, 600);
  e.begin(1);
  BOOST_REQUIRE(e.addRecord(sampleV4()));
  auto size = e.size();
  BOOST_TEST(!e.addRecord(sampleV4()));
  BOOST_TEST(e.size() == size);
  BOOST_TEST(e.records() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
