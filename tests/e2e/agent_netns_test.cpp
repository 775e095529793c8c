// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// minewatch-agent end to end: the real agent on a veth in a namespace, a
// Stratum pool across it, a client speaking XMRig's protocol in plain text.
// The agent must detect the session, block the pool, drop the next SYN and
// count it, and keep the block across a restart. Needs root; never skips.
#define BOOST_TEST_MODULE minewatch_agent_netns
#include <boost/test/unit_test.hpp>

#include "control/control_client.hpp"
#include "netns_harness.hpp"
#include "process_util.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace minewatch;
using namespace minewatch::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
const std::string kLab = MINEWATCH_LAB_DIR;
const std::string kAgent = MINEWATCH_AGENT_BIN;
const std::string kCli = MINEWATCH_CLI_BIN;

/// One agent run in the node namespace (network only: the pins stay on the
/// host's bpffs so a restart finds them).
struct AgentRun {
  std::string socket;
  std::unique_ptr<ChildProcess> process;

  AgentRun(const VethLab &lab, const std::string &config, const std::string &socket_path) : socket(socket_path) {
    process = std::make_unique<ChildProcess>(std::vector<std::string>{
        "nsenter", "--net=/var/run/netns/" + lab.node, kAgent, "--iface", lab.nodeIf, "--config", config});
    bool up = waitFor(
        [&] {
          try {
            control::request(socket, {{"cmd", "status"}}, 500);
            return true;
          } catch (const control::ControlError &) {
            return false;
          }
        },
        15s);
    BOOST_REQUIRE_MESSAGE(up, "the agent did not come up on " << socket);
  }
  json ask(const json &req) const { return control::request(socket, req); }
  std::uint64_t counter(const char *name) const {
    return ask({{"cmd", "status"}})["counters"][name].get<std::uint64_t>();
  }
};

std::string readFile(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
} // namespace

BOOST_AUTO_TEST_CASE(plaintext_stratum_is_detected_blocked_and_stays_blocked) {
  VethLab lab;
  auto tag = std::to_string(::getpid());
  auto pins = "/sys/fs/bpf/minewatch-test-" + tag;
  auto socket = "/tmp/minewatch-test-" + tag + ".sock";
  auto events = "/tmp/minewatch-test-" + tag + "-events.jsonl";
  auto config = "/tmp/minewatch-test-" + tag + ".yaml";
  auto state = "/tmp/minewatch-test-" + tag + "-state";
  RemovedAtEnd cleanup{{pins, socket, events, config, state}};
  std::ofstream(config) << "pin_root: " << pins << "\nstate_dir: " << state << "\nsocket: " << socket
                        << "\nevents: " << events << "\nagent:\n  tick_ms: 100\n"
                        << "actions:\n  autoblock: on\n  block_ttl_s: 600\n";

  ChildProcess pool({"ip", "netns", "exec", lab.peer, "python3", kLab + "/stratum_pool.py", "--listen",
                     VethLab::kPeerAddr, "--port", "3333", "--job-interval", "0.5"});
  BOOST_REQUIRE(waitFor([&] { return lab.listening(lab.peer, 3333); }, 10s));

  auto miner = lab.in(lab.node) + "python3 " + kLab + "/fake_miner.py " + VethLab::kPeerAddr +
               " 3333 --submits 4 --interval 0.3 --timeout 2";
  {
    AgentRun agent(lab, config, socket);
    // The session itself may or may not finish before the block lands.
    int rc = std::system((miner + " >/dev/null 2>&1").c_str());
    (void)rc;

    json detection;
    bool detected = waitFor(
        [&] {
          for (const auto &d : agent.ask({{"cmd", "detections"}})) {
            if (d["verdict"] == "mining" && d["flow"]["dst"] == VethLab::kPeerAddr && d["flow"]["dport"] == 3333) {
              detection = d;
              return true;
            }
          }
          return false;
        },
        10s);
    BOOST_REQUIRE_MESSAGE(detected, "no mining detection; detections: " << agent.ask({{"cmd", "detections"}}).dump());
    BOOST_TEST(detection["flow"]["src"] == VethLab::kNodeAddr);
    BOOST_TEST(detection["action"] == "blocked");
    BOOST_TEST(detection["confidence"].get<double>() >= 0.8);
    BOOST_TEST(!detection["reasons"].empty());

    auto rules = agent.ask({{"cmd", "block_list"}});
    BOOST_REQUIRE(rules.size() == 1u);
    BOOST_TEST(rules[0]["target"] == std::string(VethLab::kPeerAddr) + ":3333/tcp");
    BOOST_TEST(rules[0]["source"] == "auto");

    // The next connection's SYN never leaves the node, and is counted.
    auto before = agent.counter("blocked_tc");
    BOOST_TEST(WEXITSTATUS(std::system((miner + " >/dev/null 2>&1").c_str())) == 3);
    BOOST_TEST(agent.counter("blocked_tc") > before);

    // The operator's view of the same, through the real `minewatch` binary.
    auto table = sh(kCli + " --socket " + socket + " detections");
    BOOST_TEST(table.find("mining") != std::string::npos, table);
    BOOST_TEST(table.find(std::string(VethLab::kPeerAddr) + ":3333") != std::string::npos, table);
    auto explained = sh(kCli + " --socket " + socket + " explain " + detection["id"].get<std::string>());
    BOOST_TEST(explained.find("monero-stratum") != std::string::npos, explained);
    auto status = json::parse(sh(kCli + " --socket " + socket + " status --json"));
    BOOST_TEST(status["counters"]["blocked_tc"].get<std::uint64_t>() > 0u);
    BOOST_TEST(sh(kCli + " --socket " + socket + " block list").find("auto") != std::string::npos);

    auto log = readFile(events);
    BOOST_TEST(log.find(R"("event":"detection")") != std::string::npos);
    BOOST_TEST(log.find(R"("event":"block_added")") != std::string::npos);
    // SIGTERM: a clean exit that detaches and keeps the pins.
    BOOST_TEST(agent.process->stop(5000) == 0);
  }
  BOOST_TEST(sh("ip -n " + lab.node + " link show " + lab.nodeIf).find("xdp") == std::string::npos);

  // A restarted agent finds the rule in the pinned map and keeps enforcing
  // it, still the detector's, for the reason it gave (the saved rule book).
  AgentRun again(lab, config, socket);
  auto rules = again.ask({{"cmd", "block_list"}});
  BOOST_REQUIRE(rules.size() == 1u);
  BOOST_TEST(rules[0]["target"] == std::string(VethLab::kPeerAddr) + ":3333/tcp");
  BOOST_TEST(rules[0]["source"] == "auto");
  BOOST_TEST(rules[0]["reason"] != "kept in the pinned blocklist across an agent restart");
  BOOST_TEST(WEXITSTATUS(std::system((miner + " >/dev/null 2>&1").c_str())) == 3);
  BOOST_TEST(again.counter("blocked_tc") >= 1u);

  // Killed outright, the agent leaves its programs attached; the next start
  // must take them over rather than fail.
  again.process.reset();
  AgentRun third(lab, config, socket);
  BOOST_TEST(third.ask({{"cmd", "block_list"}}).size() == 1u);
}

// ingress_hook: tc. No XDP program at all: ingress is counted and dropped
// on TC. An agent switching to it takes the XDP copy a killed XDP agent
// left behind off the interface, and leaves no filter of its own on stop.
BOOST_AUTO_TEST_CASE(ingress_on_tc_counts_and_drops_without_xdp) {
  VethLab lab;
  auto tag = std::to_string(::getpid()) + "-tc";
  auto pins = "/sys/fs/bpf/minewatch-test-" + tag;
  auto socket = "/tmp/minewatch-test-" + tag + ".sock";
  auto xdp_config = "/tmp/minewatch-test-" + tag + "-xdp.yaml";
  auto tc_config = "/tmp/minewatch-test-" + tag + ".yaml";
  auto state = "/tmp/minewatch-test-" + tag + "-state";
  RemovedAtEnd cleanup{{pins, socket, xdp_config, tc_config, state}};
  auto common = "pin_root: " + pins + "\nstate_dir: " + state + "\nsocket: " + socket +
                "\nevents: /dev/null\nagent:\n  tick_ms: 100\n";
  std::ofstream(xdp_config) << common;
  std::ofstream(tc_config) << common << "ingress_hook: tc\n";
  auto link = [&] { return sh("ip -n " + lab.node + " link show " + lab.nodeIf); };
  auto filters = [&](const char *hook) {
    return sh(lab.in(lab.node) + "tc filter show dev " + lab.nodeIf + " " + hook);
  };
  auto ping = [&](int count) {
    return std::system((lab.in(lab.peer) + "ping -c " + std::to_string(count) + " -i 0.2 -W 1 -q " +
                        VethLab::kNodeAddr + " >/dev/null 2>&1")
                           .c_str());
  };

  {
    AgentRun xdp(lab, xdp_config, socket);
    BOOST_REQUIRE(link().find("xdp") != std::string::npos);
    xdp.process.reset(); // killed: its XDP program stays attached
  }
  BOOST_REQUIRE(link().find("xdp") != std::string::npos);

  {
    AgentRun agent(lab, tc_config, socket);
    BOOST_TEST(link().find("xdp") == std::string::npos, "the previous agent's XDP program is still there: " << link());
    auto status = agent.ask({{"cmd", "status"}});
    auto iface = status["interfaces"][0];
    BOOST_TEST(iface["ingress_hook"] == "tc");
    BOOST_TEST(iface["xdp_prog_id"] == 0);
    BOOST_TEST(iface["tc_ingress_prog_id"].get<unsigned>() > 0u);
    // (the kernel keeps 15 characters of a program's name)
    BOOST_TEST(filters("ingress").find("minewatch_tc_in") != std::string::npos, filters("ingress"));

    // The counters are pinned: the XDP agent's counts carry over.
    auto xdp_before = agent.counter("xdp_packets"), tc_before = agent.counter("tc_ingress_packets");
    BOOST_TEST(ping(3) == 0);
    auto counted = waitFor([&] { return agent.counter("tc_ingress_packets") >= tc_before + 3; }, 5s);
    BOOST_TEST(counted, "tc_ingress_packets: " << agent.counter("tc_ingress_packets"));
    BOOST_TEST(agent.counter("xdp_packets") == xdp_before);

    // Blocked, the peer's echo requests die at TC ingress, counted as such.
    auto added = agent.ask({{"cmd", "block_add"}, {"target", VethLab::kPeerAddr}, {"ttl", 600}});
    BOOST_TEST(!added.contains("error"), added.dump());
    auto before = agent.counter("blocked_tc_ingress");
    BOOST_TEST(ping(2) != 0);
    BOOST_TEST(agent.counter("blocked_tc_ingress") >= before + 2);
    BOOST_TEST(agent.process->stop(5000) == 0);
  }
  BOOST_TEST(filters("ingress").find("minewatch") == std::string::npos, filters("ingress"));
  BOOST_TEST(filters("egress").find("minewatch") == std::string::npos, filters("egress"));
  BOOST_TEST(link().find("xdp") == std::string::npos);
}

// Remote self-block: a host that connects to a service on the node and
// speaks a miner's login, or sends one (spoofable) UDP datagram with it, is
// detected, but auto-block must never block the node's own endpoint.
BOOST_AUTO_TEST_CASE(a_remote_sender_never_makes_the_agent_block_its_own_node) {
  VethLab lab;
  auto tag = std::to_string(::getpid()) + "-in";
  auto pins = "/sys/fs/bpf/minewatch-test-" + tag;
  auto socket = "/tmp/minewatch-test-" + tag + ".sock";
  auto events = "/tmp/minewatch-test-" + tag + "-events.jsonl";
  auto config = "/tmp/minewatch-test-" + tag + ".yaml";
  RemovedAtEnd cleanup{{pins, socket, events, config}};
  std::ofstream(config) << "pin_root: " << pins << "\nsocket: " << socket << "\nevents: " << events
                        << "\nagent:\n  tick_ms: 100\nactions:\n  autoblock: on\n  block_ttl_s: 600\n";
  // A "pool" on the node itself: a service a remote client logs in to.
  ChildProcess service({"ip", "netns", "exec", lab.node, "python3", kLab + "/stratum_pool.py", "--listen",
                        VethLab::kNodeAddr, "--port", "3333", "--job-interval", "0.5"});
  BOOST_REQUIRE(waitFor([&] { return lab.listening(lab.node, 3333); }, 10s));
  AgentRun agent(lab, config, socket);

  auto login = std::string(
      R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"x","pass":"x","agent":"XMRig/6.16.0"}})");
  BOOST_TEST(std::system((lab.in(lab.peer) + "python3 " + kLab + "/fake_miner.py " + VethLab::kNodeAddr +
                          " 3333 --submits 2 --interval 0.2 --timeout 2 >/dev/null 2>&1")
                             .c_str()) == 0);
  BOOST_TEST(std::system((lab.in(lab.peer) + "sh -c \"printf '%s\\n' '" + login +
                          "' | socat -u - UDP-SENDTO:" + VethLab::kNodeAddr + ":4444\" >/dev/null 2>&1")
                             .c_str()) == 0);

  // Both are seen as mining: the signature is right, only the block is not.
  auto mining_from_peer = [&] {
    std::size_t n = 0;
    for (const auto &d : agent.ask({{"cmd", "detections"}}))
      n += d["verdict"] == "mining" && d["flow"]["src"] == VethLab::kPeerAddr;
    return n;
  };
  BOOST_TEST(waitFor([&] { return mining_from_peer() >= 1; }, 10s),
             "no detection of the inbound login: " << agent.ask({{"cmd", "detections"}}).dump());
  for (const auto &d : agent.ask({{"cmd", "detections"}}))
    BOOST_TEST(d["action"] != "blocked", d.dump());
  BOOST_TEST(agent.ask({{"cmd", "block_list"}}).empty(), agent.ask({{"cmd", "block_list"}}).dump());
  BOOST_TEST(agent.counter("blocked_xdp") == 0u);
  BOOST_TEST(readFile(events).find(R"("event":"block_skipped")") != std::string::npos, readFile(events));
  // The node still answers the peer.
  BOOST_TEST(std::system((lab.in(lab.peer) + "ping -c 1 -W 2 -q " + VethLab::kNodeAddr + " >/dev/null 2>&1").c_str()) ==
             0);
}
