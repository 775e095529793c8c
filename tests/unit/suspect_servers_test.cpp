// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The fleet alert's input: distinct clients per suspect server endpoint,
// capped to the top N, and the page lines they become.
#include "api/metrics_text.hpp"
#include "judge/suspect_servers.hpp"
#include "config/agent_config.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using minewatch::judge::SuspectFlow;
using minewatch::judge::topSuspectServers;

namespace {
minewatch::net::Address ip(const char *text) { return *minewatch::net::Address::parse(text); }

SuspectFlow flow(const char *client, const char *server, std::uint16_t port, const char *name = "",
                 std::uint8_t proto = 6) {
  return {ip(client), ip(server), port, proto, name};
}

/// "server:port/proto name=clients", one per endpoint, as selected.
std::vector<std::string> describe(const minewatch::judge::SuspectServers &s) {
  std::vector<std::string> out;
  for (const auto &e : s.top)
    out.push_back(e.server.toString() + ":" + std::to_string(e.port) + "/" + std::to_string(e.proto) + " " +
                  e.server_name + "=" + std::to_string(e.clients));
  return out;
}

struct Case {
  const char *description;
  std::vector<SuspectFlow> flows;
  std::size_t top;
  std::vector<std::string> expected;
  std::size_t dropped;
};
} // namespace

BOOST_AUTO_TEST_SUITE(suspect_servers)

BOOST_AUTO_TEST_CASE(selection_table) {
  const std::vector<Case> cases = {
      {"nothing suspect: nothing listed", {}, 20, {}, 0},
      {"one client's two flows to one pool count once",
       {flow("10.0.0.1", "198.51.100.7", 3333), flow("10.0.0.1", "198.51.100.7", 3333)},
       20,
       {"198.51.100.7:3333/6 =1"},
       0},
      {"distinct clients add up; another port is another endpoint",
       {flow("10.0.0.1", "198.51.100.7", 3333), flow("10.0.0.2", "198.51.100.7", 3333),
        flow("10.0.0.3", "198.51.100.7", 3333), flow("10.0.0.1", "198.51.100.7", 443)},
       20,
       {"198.51.100.7:3333/6 =3", "198.51.100.7:443/6 =1"},
       0},
      {"most clients first, ties by address then port; the cap cuts the rest and counts them",
       {flow("10.0.0.1", "203.0.113.9", 443), flow("10.0.0.1", "198.51.100.8", 4444),
        flow("10.0.0.2", "198.51.100.8", 4444), flow("10.0.0.1", "198.51.100.7", 5555),
        flow("10.0.0.1", "198.51.100.7", 14444)},
       2,
       {"198.51.100.8:4444/6 =2", "198.51.100.7:5555/6 =1"},
       2},
      {"a cap of 0 lists nothing, all dropped",
       {flow("10.0.0.1", "198.51.100.7", 3333), flow("10.0.0.2", "198.51.100.8", 3333)},
       0,
       {},
       2},
      {"named by some clients: the name is kept; named two ways: the smallest",
       {flow("10.0.0.1", "198.51.100.7", 443), flow("10.0.0.2", "198.51.100.7", 443, "pool.example"),
        flow("10.0.0.3", "198.51.100.7", 443, "eu.pool.example")},
       20,
       {"198.51.100.7:443/6 eu.pool.example=3"},
       0},
      {"udp and tcp on one port are two endpoints; IPv6 clients count",
       {flow("2001:db8::1", "2001:db8::7", 3333), flow("2001:db8::2", "2001:db8::7", 3333),
        flow("2001:db8::1", "2001:db8::7", 3333, "", 17)},
       20,
       {"2001:db8::7:3333/6 =2", "2001:db8::7:3333/17 =1"},
       0},
  };
  for (const auto &c : cases) {
    BOOST_TEST_CONTEXT(c.description) {
      auto got = topSuspectServers(c.flows, c.top);
      auto lines = describe(got);
      BOOST_TEST(lines == c.expected, boost::test_tools::per_element());
      BOOST_TEST(got.dropped == c.dropped);
    }
  }
}

BOOST_AUTO_TEST_CASE(page_lines_carry_server_port_proto_and_a_printable_sni) {
  std::vector<SuspectFlow> flows = {flow("10.0.0.1", "198.51.100.7", 443, "pool\"x\n\xff.example"),
                                    flow("10.0.0.2", "198.51.100.7", 443), flow("10.0.0.1", "198.51.100.8", 3333)};
  minewatch::api::MetricsText page;
  renderSuspectServers(page, topSuspectServers(flows, 1));
  BOOST_TEST(page.text() ==
             "# HELP minewatch_suspect_server_clients Distinct clients on this node with suspicious or mining flows "
             "to a server endpoint; only the metrics.suspect_servers_top endpoints with the most clients\n"
             "# TYPE minewatch_suspect_server_clients gauge\n"
             "minewatch_suspect_server_clients{server=\"198.51.100.7\",port=\"443\",proto=\"tcp\","
             "sni=\"pool\\\"x??.example\"} 2\n"
             "# HELP minewatch_suspect_servers_dropped Server endpoints with suspicious or mining flows left off "
             "minewatch_suspect_server_clients by its cap\n"
             "# TYPE minewatch_suspect_servers_dropped gauge\n"
             "minewatch_suspect_servers_dropped 1\n");
}

BOOST_AUTO_TEST_CASE(config_sets_and_caps_the_series) {
  using minewatch::config::parseConfig;
  BOOST_TEST(parseConfig("", "a.yaml").suspect_servers_top == 20u);
  auto c = parseConfig("metrics:\n  suspect_servers_top: 5\n  suspect_servers_window_s: 60\n", "a.yaml");
  BOOST_TEST(c.suspect_servers_top == 5u);
  BOOST_TEST(c.suspect_servers_window_s == 60u);
  BOOST_CHECK_THROW(parseConfig("metrics:\n  suspect_servers_top: 1001\n", "a.yaml"), minewatch::config::ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
