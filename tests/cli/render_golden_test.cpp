// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Golden tests for the CLI's tables: each renderer on a fixed agent answer
// must print exactly the checked-in text. To accept a deliberate change:
//   MINEWATCH_UPDATE_GOLDEN=1 ./build/tests/cli_render_tests
#define BOOST_TEST_MODULE minewatch_cli_render
#include <boost/test/unit_test.hpp>

#include "render.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace minewatch::cli;

namespace {
const std::string kDir = MINEWATCH_CLI_TEST_DIR;

std::string read(const std::string &path) {
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in, "missing " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void golden(const std::string &name, const std::string &actual) {
  auto path = kDir + "/golden/" + name + ".txt";
  if (std::getenv("MINEWATCH_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    return;
  }
  BOOST_TEST(actual == read(path), name << " differs from " << path << "; got:\n" << actual);
}

nlohmann::json fixture(const std::string &name) {
  return nlohmann::json::parse(read(kDir + "/fixtures/" + name + ".json"));
}
} // namespace

BOOST_AUTO_TEST_CASE(status_table) { golden("status", renderStatus(fixture("status"), Style{false})); }
BOOST_AUTO_TEST_CASE(status_table_with_ingress_on_tc) {
  auto status = fixture("status");
  for (auto &i : status["interfaces"]) {
    i["ingress_hook"] = "tc";
    i["tc_ingress_prog_id"] = 88;
    i["xdp_mode"] = "none";
    i["xdp_prog_id"] = 0;
  }
  auto first = renderStatus(status, Style{false});
  first = first.substr(0, first.find('\n'));
  BOOST_TEST(first.find("TC ingress (prog 88), TC egress") != std::string::npos, first);
  BOOST_TEST(first.find("XDP") == std::string::npos, first);
}
BOOST_AUTO_TEST_CASE(status_table_while_detached) {
  auto status = fixture("status");
  for (auto &i : status["interfaces"]) {
    i["attached"] = false;
    i["detached_reason"] = "no interface named eth0 any more";
  }
  auto first = renderStatus(status, Style{false});
  first = first.substr(0, first.find('\n'));
  BOOST_TEST(first.find("eth0: detached: no interface named eth0 any more") != std::string::npos, first);
  BOOST_TEST(first.find("prog") == std::string::npos, first);
}
BOOST_AUTO_TEST_CASE(flows_table) { golden("flows", renderFlows(fixture("flows"), Style{false})); }
BOOST_AUTO_TEST_CASE(detections_table) { golden("detections", renderDetections(fixture("detections"), Style{false})); }
BOOST_AUTO_TEST_CASE(explain_view) { golden("explain", renderExplain(fixture("explain"), Style{false})); }
BOOST_AUTO_TEST_CASE(explain_tls_view) { golden("explain_tls", renderExplain(fixture("explain_tls"), Style{false})); }

// A hello cut short says how much was seen, in words apart (the old view
// ran "no sni seen" and "ClientHello (cut short)" together).
BOOST_AUTO_TEST_CASE(explain_a_cut_hello) {
  auto e = fixture("explain_tls");
  e["tls_hello"] = {{"sni", ""},          {"alpn", nlohmann::json::array()},
                    {"ja3", ""},          {"ja4", ""},
                    {"complete", false},  {"bytes_seen", 256},
                    {"bytes_total", 1800}};
  auto text = renderExplain(e, Style{false});
  BOOST_TEST(text.find("\ntls hello: no sni seen, cut short (256 of 1800 bytes seen)\n") != std::string::npos);
}
BOOST_AUTO_TEST_CASE(confirmations_table) {
  golden("confirmations", renderConfirmations(fixture("confirmations"), Style{false}));
  BOOST_TEST(renderConfirmations(nlohmann::json(), Style{false}) == "the confirmer is off (confirm.mode)\n");
  BOOST_TEST(renderConfirmations(nlohmann::json::array(), Style{false}) == "no server probed yet\n");
}

BOOST_AUTO_TEST_CASE(block_list) { golden("blocks", renderBlocks(fixture("blocks"), Style{false})); }
BOOST_AUTO_TEST_CASE(allow_list) { golden("allows", renderAllows(fixture("allows"), Style{false})); }

BOOST_AUTO_TEST_CASE(empty_answers_say_so) {
  BOOST_TEST(renderFlows(nlohmann::json::array(), Style{false}) == "no flows\n");
  BOOST_TEST(renderDetections(nlohmann::json::array(), Style{false}) == "no detections\n");
  BOOST_TEST(renderBlocks(nlohmann::json::array(), Style{false}) == "no block rules\n");
}

BOOST_AUTO_TEST_CASE(colour_only_when_asked_and_columns_still_align) {
  auto plain = renderDetections(fixture("detections"), Style{false});
  auto colour = renderDetections(fixture("detections"), Style{true});
  BOOST_TEST(plain.find('\033') == std::string::npos);
  BOOST_TEST(colour.find("\033[1;31mmining\033[0m") != std::string::npos);
  // same visible layout: strip the escapes and compare
  std::string stripped;
  for (std::size_t i = 0; i < colour.size(); ++i) {
    if (colour[i] == '\033') {
      while (colour[i] != 'm')
        ++i;
      continue;
    }
    stripped += colour[i];
  }
  BOOST_TEST(stripped == plain);
}

BOOST_AUTO_TEST_CASE(units_and_durations) {
  BOOST_TEST(humanBytes(0) == "0 B");
  BOOST_TEST(humanBytes(1023) == "1023 B");
  BOOST_TEST(humanBytes(1536) == "1.5 KiB");
  BOOST_TEST(humanBytes(5800000) == "5.5 MiB");
  BOOST_TEST(humanDuration(59) == "59s");
  BOOST_TEST(humanDuration(192) == "3m12s");
  BOOST_TEST(humanDuration(7500) == "2h05m");
  BOOST_TEST(humanCount(123456) == "123.5k");
  BOOST_TEST(parseDuration("90").value() == 90u);
  BOOST_TEST(parseDuration("15m").value() == 900u);
  BOOST_TEST(parseDuration("2d").value() == 172800u);
  std::string why;
  BOOST_TEST(!parseDuration("5x", &why));
  BOOST_TEST(!parseDuration("m", &why));
  BOOST_TEST(!parseDuration("-5s", &why));
  BOOST_TEST(!parseDuration("999999999999d", &why));
  // Too big is not "not a number": within uint64 and beyond it.
  BOOST_TEST(!parseDuration("99999999999h", &why));
  BOOST_TEST(why.find("too large") != std::string::npos, why);
  BOOST_TEST(!parseDuration("99999999999999999999999999h", &why));
  BOOST_TEST(why.find("too large") != std::string::npos, why);
  BOOST_TEST(parseDuration("3650d").value() == 3650u * 86400u);
  BOOST_TEST(!parseDuration("5x", &why));
  BOOST_TEST(why.find("must be a number") != std::string::npos, why);
  BOOST_TEST(sizeBucketLabel(0) == "0 B");
  BOOST_TEST(sizeBucketLabel(8) == "128-255 B");
  BOOST_TEST(gapBucketLabel(0) == "< 2µs");
  BOOST_TEST(gapBucketLabel(24) == "17.2s-34.4s");
}
