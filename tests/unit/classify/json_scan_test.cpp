// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/json_scan.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace minewatch::classify;

BOOST_TEST_DONT_PRINT_LOG_VALUE(JsonField::Kind)

BOOST_AUTO_TEST_SUITE(json_scan)

BOOST_AUTO_TEST_CASE(paths_name_nested_values) {
  auto scan = scanJson(R"({"id":7,"params":{"agent":"a","algo":["rx/0",{"x":null}]},"ok":true,"f":1.5})");
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  const auto &m = scan.messages[0];
  BOOST_TEST(m.complete);
  BOOST_TEST(!scan.truncated);
  BOOST_TEST(m.find("id")->value == "7");
  BOOST_TEST(m.string("params.agent").value() == "a");
  BOOST_TEST(m.string("params.algo[0]").value() == "rx/0");
  BOOST_TEST(m.find("params.algo[1].x")->kind == JsonField::Kind::Null);
  BOOST_TEST(m.find("params.algo")->kind == JsonField::Kind::Array);
  BOOST_TEST(m.find("ok")->value == "true");
  BOOST_TEST(m.find("f")->value == "1.5");
  BOOST_TEST(!m.string("id")); // a number, not a string
  BOOST_TEST(m.stringsUnder("params").size() == 2u);
  BOOST_TEST(m.stringsUnder("param").empty()); // whole path segments only
}

BOOST_AUTO_TEST_CASE(newline_delimited_and_concatenated_messages) {
  auto scan = scanJson("{\"a\":1}\n{\"b\":2}\r\n  {\"c\":3}{\"d\":4}\n");
  BOOST_TEST_REQUIRE(scan.messages.size() == 4u);
  BOOST_TEST(scan.messages[3].has("d"));
  for (const auto &m : scan.messages)
    BOOST_TEST(m.complete);
}

BOOST_AUTO_TEST_CASE(spaced_and_pretty_printed) {
  auto scan = scanJson("{\n  \"method\" :  \"mining.subscribe\",\n  \"params\" : [ \"x\" ]\n}\n");
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  BOOST_TEST(scan.messages[0].string("method").value() == "mining.subscribe");
}

BOOST_AUTO_TEST_CASE(a_string_cut_by_the_sample_is_kept_as_partial) {
  auto scan = scanJson(R"({"id":1,"params":{"login":"w","agent":"XMRig/6.1)");
  BOOST_TEST(scan.truncated);
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  const auto &m = scan.messages[0];
  BOOST_TEST(!m.complete);
  BOOST_TEST(!m.malformed);
  const auto *agent = m.find("params.agent");
  BOOST_TEST_REQUIRE(agent);
  BOOST_TEST(agent->partial);
  BOOST_TEST(agent->value == "XMRig/6.1");
}

BOOST_AUTO_TEST_CASE(a_partial_string_is_plain_ascii) {
  // Cut inside a two-byte UTF-8 sequence: the half character must not leak.
  auto scan = scanJson("{\"method\":\"mining.subscribe\",\"params\":[\"EthereumStratum/1.0\xc3");
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  BOOST_TEST(scan.messages[0].string("params[0]").value() == "EthereumStratum/1.0?");
}

BOOST_AUTO_TEST_CASE(a_key_cut_by_the_sample_is_not_a_value) {
  auto scan = scanJson(R"({"id":1,"agen)");
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  BOOST_TEST(scan.messages[0].fields.size() == 1u);
}

BOOST_AUTO_TEST_CASE(batches_are_split_into_messages) {
  auto scan = scanJson(R"([{"jsonrpc":"2.0","method":"a","id":1},7,{"jsonrpc":"2.0","method":"b","id":2}])");
  BOOST_TEST_REQUIRE(scan.messages.size() == 2u);
  BOOST_TEST(scan.messages[1].string("method").value() == "b");
}

BOOST_AUTO_TEST_CASE(bad_syntax_skips_to_the_next_line) {
  auto scan = scanJson("{\"a\":1,,}\n{\"method\":\"ok\"}\n");
  BOOST_TEST_REQUIRE(scan.messages.size() == 2u);
  BOOST_TEST(scan.messages[0].malformed);
  BOOST_TEST(scan.messages[1].string("method").value() == "ok");
  BOOST_TEST(!scan.truncated);
}

BOOST_AUTO_TEST_CASE(text_before_json_on_other_lines_is_ignored) {
  auto scan = scanJson("Content-Length: 20\r\n\r\n{\"jsonrpc\":\"2.0\"}");
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  BOOST_TEST(scan.messages[0].has("jsonrpc"));
  BOOST_TEST(scanJson("xx {\"a\":1}").messages.empty()); // not at a line start
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_bounded) {
  std::string deep(200000, '[');
  auto scan = scanJson(deep);
  BOOST_TEST(scan.messages.empty());
  std::string objects;
  for (int i = 0; i < 50000; ++i)
    objects += "{\"k\":";
  auto scan2 = scanJson(objects);
  BOOST_TEST_REQUIRE(scan2.messages.size() == 1u);
  BOOST_TEST(scan2.messages[0].fields.size() <= 128u);
}

BOOST_AUTO_TEST_CASE(many_fields_and_messages_are_bounded) {
  std::string wide = "{";
  for (int i = 0; i < 1000; ++i)
    wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  wide += "\"end\":0}";
  auto scan = scanJson(wide);
  BOOST_TEST_REQUIRE(scan.messages.size() == 1u);
  BOOST_TEST(scan.messages[0].fields.size() == 128u);
  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "{}\n";
  BOOST_TEST(scanJson(many).messages.size() == 32u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_and_nul_do_not_escape) {
  std::string bad = "{\"method\":\"a\xff\"}\n{\"method\":\"b\"}";
  auto scan = scanJson(bad);
  BOOST_TEST_REQUIRE(scan.messages.size() == 2u);
  BOOST_TEST(!scan.messages[0].has("method"));
  std::string nul("{\"a\":\0\"x\"}", 10);
  BOOST_TEST(!scanJson(nul).truncated);
}

BOOST_AUTO_TEST_SUITE_END()
