// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The CLI against a real agent: the agent (real BPF programs, loaded, fed a
// public mining capture) serves its control socket; the `minewatch` binary
// is run as an operator would. Checks the JSON of every command against the
// contract in design.md, and that every bad input gets one line on stderr
// and a non-zero exit. Needs root (it loads BPF); never skips.
#define BOOST_TEST_MODULE minewatch_cli_contract
#include <boost/test/unit_test.hpp>

#include "app/agent.hpp"
#include "app/replay_runner.hpp"
#include "api/control_commands.hpp"
#include "control/control_client.hpp"
#include "control/unix_server.hpp"
#include "datapath/libbpf_log.hpp"
#include "process_util.hpp"
#include "replay/pcap_reader.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace minewatch;
using nlohmann::json;

namespace {
const std::string kCli = MINEWATCH_CLI_BIN;
const std::string kPcaps = MINEWATCH_PCAP_DIR;

using Run = test::CommandResult;

Run run(const std::string &args) { return test::runCommand(kCli + " " + args); }

/// The agent behind a socket, served from a thread for the test's duration.
struct ServedAgent {
  datapath::SensorObject sensor{datapath::SensorOptions{}};
  actions::EventLog events{"/dev/null"};
  config::AgentConfig config;
  std::unique_ptr<app::Agent> agent;
  std::string socket = "/tmp/minewatch-cli-test-" + std::to_string(::getpid()) + ".sock";
  std::unique_ptr<control::UnixServer> server;
  std::atomic<bool> stop{false};
  std::thread thread;

  ServedAgent() {
    datapath::installLibbpfLogger(false);
    sensor.load();
    config.autoblock = config::AutoBlockMode::Off;
    agent = std::make_unique<app::Agent>(config, sensor,
                                         datapath::DatapathInfo{.interface = "replay",
                                                                .xdp_mode = datapath::XdpAttach::Replay,
                                                                .packets = datapath::PacketSource::Capture,
                                                                .tap = true},
                                         util::TimeBase::identity(), events);
    replay::PcapReader reader(kPcaps + "/ndpi_mining.pcapng");
    app::feedCapture(reader, sensor, *agent, config.tick_ms);
    server = std::make_unique<control::UnixServer>(socket, [this](std::string_view line, const control::Peer &peer) {
      return api::handleRequest(agent->view(), agent->enforcer(), line, peer, 0);
    });
    thread = std::thread([this] { serve(); });
  }
  ~ServedAgent() {
    stop = true;
    thread.join();
  }

  void serve() {
    pollfd p{server->fd(), POLLIN, 0};
    while (!stop) {
      if (::poll(&p, 1, 50) > 0)
        server->poll();
      server->sweep();
    }
  }

  Run cli(const std::string &args) { return run("--socket " + socket + " " + args); }
};

std::set<std::string> keys(const json &object) {
  std::set<std::string> out;
  for (const auto &[k, v] : object.items())
    out.insert(k);
  return out;
}

bool rfc3339(const json &value) {
  static const std::regex re(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  return value.is_string() && std::regex_match(value.get<std::string>(), re);
}

void checkFlow(const json &flow) {
  BOOST_TEST((keys(flow) == std::set<std::string>{"src", "dst", "sport", "dport", "proto"}));
  BOOST_TEST(flow["src"].is_string());
  BOOST_TEST(flow["dst"].is_string());
  BOOST_TEST(flow["sport"].is_number_unsigned());
  BOOST_TEST(flow["dport"].is_number_unsigned());
  BOOST_TEST(
      (std::set<std::string>{"tcp", "udp", "icmp", "icmpv6", "other"}.count(flow["proto"].get<std::string>()) == 1));
}

/// A failed command: non-zero, nothing on stdout, exactly one line on stderr.
void checkRefusal(const Run &r, int status, const std::string &words) {
  BOOST_TEST(r.status == status);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.rfind("minewatch: ", 0) == 0u, "stderr: " << r.err);
  BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "stderr: " << r.err);
  BOOST_TEST(r.err.find(words) != std::string::npos, "stderr: " << r.err);
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(cli_contract, ServedAgent)

BOOST_AUTO_TEST_CASE(status_json) {
  auto r = cli("status --json");
  BOOST_REQUIRE(r.status == 0);
  auto s = json::parse(r.out);
  const auto &i = s["interfaces"].at(0);
  for (const char *k : {"name", "xdp_mode", "via_dispatcher", "tc_egress", "tap", "xdp_prog_id", "tc_prog_id"})
    BOOST_TEST(i.contains(k), k);
  for (int c = 0; c < MINEWATCH_STAT_MAX; ++c)
    BOOST_TEST(s["counters"][datapath::statName(static_cast<minewatch_stat>(c))].is_number_unsigned());
  BOOST_TEST(s["counters"]["xdp_packets"].get<std::uint64_t>() == 673u);
  BOOST_TEST(s["maps"]["flows"]["max"].is_number_unsigned());
  BOOST_TEST(s["uptime_s"].is_number_unsigned());
}

BOOST_AUTO_TEST_CASE(flows_json_sorted_and_cut) {
  auto r = cli("flows --top 3 --sort packets --json");
  BOOST_REQUIRE(r.status == 0);
  auto flows = json::parse(r.out);
  BOOST_REQUIRE(flows.size() == 3u);
  std::uint64_t previous = UINT64_MAX;
  for (const auto &f : flows) {
    checkFlow(f["flow"]);
    BOOST_TEST(f["id"].get<std::string>().size() == 12u);
    BOOST_TEST(rfc3339(f["first_seen"]));
    auto packets = f["packets_up"].get<std::uint64_t>() + f["packets_down"].get<std::uint64_t>();
    BOOST_TEST(packets <= previous);
    previous = packets;
  }
}

BOOST_AUTO_TEST_CASE(detections_json_is_the_contract_exactly) {
  auto r = cli("detections --json");
  BOOST_REQUIRE(r.status == 0);
  auto detections = json::parse(r.out);
  BOOST_REQUIRE(!detections.empty());
  for (const auto &d : detections) {
    BOOST_TEST((keys(d) == std::set<std::string>{"id", "flow", "verdict", "confidence", "reasons", "first_seen",
                                                 "detected_at", "action"}));
    checkFlow(d["flow"]);
    BOOST_TEST((d["verdict"] == "suspicious" || d["verdict"] == "mining"));
    BOOST_TEST(d["confidence"].get<double>() >= 0.0);
    BOOST_TEST(d["confidence"].get<double>() <= 1.0);
    BOOST_TEST(d["reasons"].is_array());
    for (const auto &reason : d["reasons"])
      BOOST_TEST(reason.is_string());
    BOOST_TEST(rfc3339(d["first_seen"]));
    BOOST_TEST(rfc3339(d["detected_at"]));
    BOOST_TEST(d["action"].is_string());
  }
}

BOOST_AUTO_TEST_CASE(explain_json_and_table) {
  auto id = json::parse(cli("detections --json").out).at(0)["id"].get<std::string>();
  auto r = cli("explain " + id + " --json");
  BOOST_REQUIRE(r.status == 0);
  auto e = json::parse(r.out);
  checkFlow(e["flow"]);
  BOOST_TEST(!e["evidence"].empty());
  for (const auto &ev : e["evidence"])
    BOOST_TEST((keys(ev) == std::set<std::string>{"detector", "weight", "reason"}));
  BOOST_TEST(e["features"]["client"]["size_hist"].size() == std::size_t{MINEWATCH_SIZE_BUCKETS});
  BOOST_TEST(e["features"]["server"]["iat_hist"].size() == std::size_t{MINEWATCH_IAT_BUCKETS});
  auto table = cli("explain " + id);
  BOOST_TEST(table.status == 0);
  BOOST_TEST(table.out.find("payload sizes") != std::string::npos);
  BOOST_TEST(table.out.find("█") != std::string::npos); // the histograms are drawn
}

// The served agent replays a capture: it makes no confirmer, and says so.
BOOST_AUTO_TEST_CASE(confirmations_of_an_agent_without_a_confirmer) {
  auto r = cli("confirmations --json");
  BOOST_REQUIRE(r.status == 0);
  BOOST_TEST(json::parse(r.out).is_null());
  auto table = cli("confirmations");
  BOOST_TEST(table.status == 0);
  BOOST_TEST(table.out == "the confirmer is off (confirm.mode)\n");
  BOOST_TEST(!json::parse(cli("status --json").out).contains("confirm"));
}

BOOST_AUTO_TEST_CASE(rules_round_trip) {
  auto add = cli("block add 203.0.113.0/24 --ttl 1h --json");
  BOOST_REQUIRE(add.status == 0);
  BOOST_TEST(json::parse(add.out)["added"] == "203.0.113.0/24");
  auto list = json::parse(cli("block list --json").out);
  BOOST_REQUIRE(list.size() == 1u);
  BOOST_TEST((keys(list[0]) == std::set<std::string>{"id", "target", "source", "reason", "created", "hits", "first_hit",
                                                     "ttl_remaining_s"}));
  BOOST_TEST(list[0]["first_hit"].is_null());
  BOOST_TEST(list[0]["ttl_remaining_s"].get<std::uint64_t>() <= 3600u);
  BOOST_TEST(rfc3339(list[0]["created"]));
  BOOST_TEST(cli("block list").out.find("203.0.113.0/24") != std::string::npos);

  // allow wins: allowing a host inside the blocked /24 lifts the block
  auto allow = json::parse(cli("allow add 203.0.113.9:443 --json").out);
  BOOST_TEST(allow["lifted_blocks"].size() == 1u);
  BOOST_TEST(json::parse(cli("block list --json").out).empty());
  checkRefusal(cli("block add 203.0.113.0/24"), 1, "overlaps allowlisted 203.0.113.9:443/tcp");
  BOOST_TEST(cli("allow del 203.0.113.9:443").status == 0);
  BOOST_TEST(json::parse(cli("allow list --json").out).empty());
}

BOOST_AUTO_TEST_CASE(watch_once) {
  auto r = cli("watch --count 1 --json");
  BOOST_REQUIRE(r.status == 0);
  auto w = json::parse(r.out);
  BOOST_TEST(w.contains("status"));
  BOOST_TEST(w["flows"].is_array());
  auto table = cli("watch --count 2 --interval 0.1");
  BOOST_TEST(table.status == 0);
  BOOST_TEST(table.out.find("top flows") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_one_line_and_a_status) {
  checkRefusal(cli("explain 000000000000"), 1, "unknown flow '000000000000'");
  checkRefusal(cli("block add 10.0.0.0/33"), 2, "prefix length '33' must be 0-32");
  checkRefusal(cli("block add 10.0.0.1/8"), 2, "host bits set");
  checkRefusal(cli("block add 198.51.100.7:70000"), 2, "port '70000' must be 0-65535");
  checkRefusal(cli("block add 198.51.100.7:3333/sctp"), 2, "must be tcp or udp");
  checkRefusal(cli("block add 198.51.100.7:3333 --ttl soon"), 2, "duration 'soon'");
  checkRefusal(cli("block del 198.51.100.8:1"), 1, "no block rule for 198.51.100.8:1/tcp");
  checkRefusal(cli("flows --sort size"), 2, "--sort");
  checkRefusal(cli("flows --top -1"), 2, "--top");
  checkRefusal(cli("explain"), 2, "FLOW is required");
  checkRefusal(cli("frobnicate"), 2, "frobnicate");
  checkRefusal(cli(""), 2, "command");
  checkRefusal(run("--socket /tmp/minewatch-no-such.sock status"), 1, "the agent is not running");
  // Bytes that are not UTF-8: the agent's one line, not the JSON library's exception.
  checkRefusal(cli("explain \"$(printf '\\377')\""), 1, "unknown flow");
  checkRefusal(cli("block add 198.51.100.7:3333 --ttl 99999999999h"), 2, "too large");
  checkRefusal(cli("block list --limit 0"), 2, "--limit");
}

// Every rule that can be made can be deleted (port 0 included); a rule over
// all of IPv4 needs --everything, from the CLI and over the socket alike.
BOOST_AUTO_TEST_CASE(port_zero_and_everything) {
  BOOST_TEST(cli("block add 198.51.100.7:0").status == 0);
  BOOST_TEST(cli("block del 198.51.100.7:0/tcp").status == 0);
  for (const char *all : {"0.0.0.0/0", "::/0"}) {
    checkRefusal(cli(std::string("block add ") + all), 2, "covers every IPv4 address");
    checkRefusal(cli(std::string("allow add ") + all), 2, "covers every IPv4 address");
  }
  BOOST_CHECK_EXCEPTION(control::request(socket, {{"cmd", "block_add"}, {"target", "::/0"}}), control::ControlError,
                        [](const control::ControlError &e) {
                          return std::string(e.what()).find("covers every IPv4 address") != std::string::npos;
                        });
  BOOST_TEST(cli("block add ::/0 --everything --ttl 60s").status == 0);
  BOOST_TEST(cli("block list").out.find("::/0") != std::string::npos);
  BOOST_TEST(cli("block del ::/0").status == 0); // deleting never needs asking
  BOOST_TEST(json::parse(cli("block list --json").out).empty());
}

BOOST_AUTO_TEST_CASE(rule_lists_page) {
  for (int i = 1; i <= 5; ++i)
    BOOST_REQUIRE(cli("block add 198.51.100." + std::to_string(i) + ":3333").status == 0);
  for (int i = 1; i <= 3; ++i)
    BOOST_REQUIRE(cli("allow add 192.0." + std::to_string(i) + ".0/24").status == 0);
  auto targets = [](const json &list) {
    std::vector<std::string> out;
    for (const auto &rule : list)
      out.push_back(rule.at("target").get<std::string>());
    return out;
  };
  auto blocks = targets(json::parse(cli("block list --json").out));
  BOOST_REQUIRE(blocks.size() == 5u);
  auto page = json::parse(cli("block list --json --limit 2 --offset 1").out);
  BOOST_TEST((targets(page) == std::vector<std::string>{blocks[1], blocks[2]}));
  BOOST_TEST((keys(page.at(0)) == keys(json::parse(cli("block list --json").out).at(0)))); // same rows, fewer
  BOOST_TEST(targets(json::parse(cli("block list --json --limit 10 --offset 3").out)).size() == 2u);
  BOOST_TEST(json::parse(cli("block list --json --limit 2 --offset 99").out).empty());
  BOOST_TEST(cli("block list --limit 1").out.find(blocks[0]) != std::string::npos);
  auto allows = targets(json::parse(cli("allow list --json").out));
  BOOST_REQUIRE(allows.size() == 3u);
  BOOST_TEST(
      (targets(json::parse(cli("allow list --json --limit 1 --offset 2").out)) == std::vector<std::string>{allows[2]}));
}

BOOST_AUTO_TEST_CASE(socket_permission_denied) {
  // The socket is root's (0660); an unprivileged user must get a clear no.
  auto r = run("--socket " + socket + " status 2>&1 | true; setpriv --reuid=65534 --regid=65534 --clear-groups " +
               kCli + " --socket " + socket + " status");
  checkRefusal(r, 1, "permission denied");
}

BOOST_AUTO_TEST_SUITE_END()
