// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The prober's requests: well-formed JSON-RPC lines with the throwaway
// login, one per request counted, and the escaping of what servers answer.
#include "confirm/dialect.hpp"
#include "confirm/printable.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using minewatch::confirm::Dialect;
using nlohmann::json;

BOOST_AUTO_TEST_SUITE(confirm_dialect)

BOOST_AUTO_TEST_CASE(requests_are_json_rpc_lines_naming_their_methods) {
  for (auto dialect : minewatch::confirm::kAllDialects) {
    BOOST_TEST_CONTEXT(toString(dialect)) {
      std::string bytes(requestBytes(dialect));
      BOOST_REQUIRE(!bytes.empty());
      BOOST_TEST(bytes.back() == '\n');
      std::vector<json> lines;
      for (std::size_t start = 0, end; (end = bytes.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(json::parse(bytes.substr(start, end - start), nullptr, false));
      BOOST_TEST(lines.size() == requestCount(dialect));
      for (std::size_t i = 0; i < lines.size(); ++i) {
        BOOST_REQUIRE(!lines[i].is_discarded());
        BOOST_TEST(lines[i]["id"] == i + 1);
        auto method = lines[i]["method"].get<std::string>();
        BOOST_TEST(std::string(sentMethods(dialect)).find(method) != std::string::npos, method);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(toString(Dialect::MoneroLogin) == "monero-login");
  BOOST_TEST(toString(Dialect::StratumV1) == "stratum-v1");
  BOOST_TEST(toString(Dialect::EthereumStratum) == "ethereum-stratum");
  BOOST_TEST(toString(Dialect::EthProxy) == "eth-proxy");
}

// The logins are throwaways of the right shape: a 95-character base58
// Monero address spelling text, and a 20-byte Ethereum address spelling text.
BOOST_AUTO_TEST_CASE(throwaway_logins_have_wallet_shape) {
  auto monero = json::parse(requestBytes(Dialect::MoneroLogin));
  auto login = monero["params"]["login"].get<std::string>();
  BOOST_TEST(login.size() == 95u);
  BOOST_TEST(login.front() == '4');
  BOOST_TEST(login.find_first_of("0OIl") == std::string::npos);
  BOOST_TEST(monero["params"]["agent"] == "minewatch-confirm/1");

  std::string eth(requestBytes(Dialect::EthProxy));
  auto wallet = json::parse(eth.substr(0, eth.find('\n')))["params"][0].get<std::string>();
  BOOST_TEST(wallet.size() == 42u);
  BOOST_TEST(wallet.substr(0, 2) == "0x");
}

BOOST_AUTO_TEST_CASE(printable_head_escapes_what_a_server_chose) {
  using minewatch::confirm::printableHead;
  BOOST_TEST(printableHead("ok {\"a\":1}\r\n", 200) == "ok {\"a\":1}\\r\\n");
  BOOST_TEST(printableHead(std::string("\x1b[31m\x00\\", 7), 200) == "\\x1b[31m\\x00\\\\");
  BOOST_TEST(printableHead(std::string(300, 'x'), 200).size() == 200u);
  BOOST_TEST(printableHead("\xff\xfe", 1) == "\\xff");
}

BOOST_AUTO_TEST_SUITE_END()
