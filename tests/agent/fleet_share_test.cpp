// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fleet_share against a stub API server (tests/agent/stub_apiserver.py:
// HTTPS on loopback, a certificate made here): the agent replays a capture
// with a mining pool, auto-blocks it (more than once: a short TTL), and the
// stub receives exactly the PATCH `minewatch fleet-patch` would print,
// once; a CA that does not sign
// the server's certificate is refused and counted; an API server that is
// down or never answers is counted and costs the agent nothing. Needs root
// (loads BPF).
#define BOOST_TEST_MODULE minewatch_fleet_share
#include <boost/test/unit_test.hpp>

#include "api/queries.hpp"
#include "app/agent.hpp"
#include "app/replay_runner.hpp"
#include "datapath/libbpf_log.hpp"
#include "fleet/fleet_patch.hpp"
#include "process_util.hpp"
#include "replay/pcap_reader.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace minewatch;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
const std::string kToken = "stub-token-7f3a";
const std::string kNamespace = "mw-test";
const std::string kPath = "/api/v1/namespaces/mw-test/configmaps/minewatch-blocklist";
const std::string kPool = "192.110.160.114:3333/tcp"; // coinhive-stratum.pcap's

std::string readAll(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<json> jsonLines(const std::string &path) {
  std::ifstream in(path);
  std::vector<json> out;
  for (std::string line; std::getline(in, line);)
    out.push_back(json::parse(line));
  return out;
}

/// A directory with a certificate for 127.0.0.1 (the server's), another
/// one no server uses (the wrong CA), and service-account files.
struct Credentials {
  std::string dir = "/tmp/minewatch-fleet-share-" + std::to_string(::getpid());
  test::RemovedAtEnd cleanup{{dir}};

  Credentials() {
    fs::create_directories(dir + "/sa");
    for (const char *name : {"server", "other"}) {
      auto made = test::runCommand("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=stub-apiserver -addext "
                                   "subjectAltName=IP:127.0.0.1 -keyout " +
                                       dir + "/" + name + ".key -out " + dir + "/" + name + ".crt",
                                   true);
      BOOST_REQUIRE_MESSAGE(made.status == 0, made.out);
    }
    std::ofstream(dir + "/sa/token") << kToken << "\n";
    std::ofstream(dir + "/sa/namespace") << kNamespace;
    fs::copy_file(dir + "/server.crt", dir + "/sa/ca.crt");
  }
  void trust(const char *name) {
    fs::copy_file(dir + "/" + name + ".crt", dir + "/sa/ca.crt", fs::copy_options::overwrite_existing);
  }
};

/// The stub, as a child process; killed at the end.
struct StubServer {
  pid_t pid = -1;
  std::string log, port_file;
  std::uint16_t port = 0;

  StubServer(const Credentials &c, bool hang = false) : log(c.dir + "/requests.jsonl"), port_file(c.dir + "/port") {
    fs::remove(log);
    fs::remove(port_file);
    pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      std::vector<std::string> args = {"python3",     MINEWATCH_STUB_APISERVER,
                                       "--cert",      c.dir + "/server.crt",
                                       "--key",       c.dir + "/server.key",
                                       "--port-file", port_file,
                                       "--log",       log,
                                       "--token",     kToken,
                                       "--path",      kPath};
      if (hang)
        args.push_back("--hang");
      std::vector<char *> argv;
      for (auto &a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    BOOST_REQUIRE_MESSAGE(test::waitFor([&] { return fs::exists(port_file); }, 10s), "the stub never listened");
    port = static_cast<std::uint16_t>(std::stoi(readAll(port_file)));
  }
  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
  }
  ~StubServer() { stop(); }
  std::vector<json> requests() const { return fs::exists(log) ? jsonLines(log) : std::vector<json>{}; }
};

/// The agent with auto-block and fleet_share on, after the whole capture.
struct SharingAgent {
  std::string events_path;
  datapath::SensorObject sensor{datapath::SensorOptions{}};
  std::unique_ptr<actions::EventLog> events;
  std::unique_ptr<app::Agent> agent;
  std::uint64_t last_ts = 0;

  SharingAgent(const Credentials &c, const std::string &api) : events_path(c.dir + "/events.jsonl") {
    datapath::installLibbpfLogger(false);
    fs::remove(events_path);
    sensor.load();
    config::AgentConfig config;
    config.autoblock = config::AutoBlockMode::On;
    config.fleet_share = true;
    config.fleet_share_api = api;
    config.fleet_share_credentials = c.dir + "/sa";
    // One second: the block lapses between the capture's flows to the pool
    // and each blocks it again, so the agent asks to share it more than once.
    config.block_ttl_s = 1;
    events = std::make_unique<actions::EventLog>(events_path);
    agent = std::make_unique<app::Agent>(config, sensor,
                                         datapath::DatapathInfo{.interface = "replay",
                                                                .xdp_mode = datapath::XdpAttach::Replay,
                                                                .packets = datapath::PacketSource::Capture},
                                         util::TimeBase::identity(), *events);
    replay::PcapReader reader(std::string(MINEWATCH_PCAP_DIR) + "/coinhive-stratum.pcap");
    app::feedCapture(reader, sensor, *agent, config.tick_ms);
    last_ts = sensor.skel()->bss->minewatch_globals.clock_override_ns;
  }

  /// A metric's value from the agent's page (-1 when absent).
  double metric(const std::string &series) const {
    auto text = api::metricsText(agent->view(), 0);
    auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
  }
  double shares(const std::string &result) const {
    return metric("minewatch_fleet_share_total{result=\"" + result + "\"}");
  }
  /// Ticks (collecting the patcher's outcomes) until `done` or 20 s.
  template <typename Pred> bool tickUntil(Pred done) {
    return test::waitFor(
        [&] {
          agent->tick(last_ts);
          return done();
        },
        20s);
  }
  std::vector<json> eventsOf(const std::string &kind) const {
    std::vector<json> out;
    for (const auto &e : jsonLines(events_path))
      if (e["event"] == kind)
        out.push_back(e);
    return out;
  }
};

std::string hostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}
} // namespace

BOOST_AUTO_TEST_CASE(the_auto_block_reaches_the_api_server_as_fleet_patch_writes_it_once) {
  Credentials c;
  StubServer stub(c);
  SharingAgent a(c, "https://127.0.0.1:" + std::to_string(stub.port));
  BOOST_REQUIRE(api::detections(a.agent->view()).at(0)["action"] == "blocked");
  BOOST_REQUIRE(a.tickUntil([&] { return a.shares("ok") == 1 && a.metric("minewatch_fleet_share_pending") == 0; }));

  auto blocks = a.eventsOf("block_added");
  BOOST_REQUIRE_MESSAGE(blocks.size() >= 2u, json(blocks).dump()); // blocked again and again...
  for (const auto &b : blocks)
    BOOST_TEST(b["target"] == kPool);
  // ...and shared once.
  auto expected =
      fleet::fleetPatch(kPool, "mining, auto-blocked on " + hostName() + ": " + blocks[0]["reason"].get<std::string>(),
                        {kNamespace, "minewatch-blocklist"});
  auto requests = stub.requests();
  BOOST_REQUIRE_MESSAGE(requests.size() == 1u, json(requests).dump());
  const auto &r = requests[0];
  BOOST_TEST(r["method"] == "PATCH");
  BOOST_TEST(r["path"] == kPath);
  BOOST_TEST(r["authorization"] == "Bearer " + kToken); // the file's newline is not part of it
  BOOST_TEST(r["content_type"] == "application/merge-patch+json");
  BOOST_TEST(json::parse(r["body"].get<std::string>()) == expected["patch"], r["body"]);
  BOOST_TEST(expected["patch"]["data"].contains("192.110.160.114_3333_tcp"));

  auto shared = a.eventsOf("fleet_share");
  BOOST_REQUIRE(shared.size() == 1u);
  BOOST_TEST(shared[0]["result"] == "ok");
  BOOST_TEST(shared[0]["rule"] == kPool);
  BOOST_TEST(shared[0]["status"] == 200);
  for (const char *other : {"rejected", "tls_error", "unreachable", "no_answer", "queue_full"})
    BOOST_TEST(a.shares(other) == 0, other);
  // The new series are valid exposition text, as Prometheus reads it.
  std::ofstream(c.dir + "/metrics.txt") << api::metricsText(a.agent->view(), 0);
  auto lint = test::runCommand("promtool check metrics < " + c.dir + "/metrics.txt", true);
  BOOST_TEST(lint.status == 0, lint.out);
}

BOOST_AUTO_TEST_CASE(a_ca_that_did_not_sign_the_server_is_refused_and_counted) {
  Credentials c;
  c.trust("other");
  StubServer stub(c);
  SharingAgent a(c, "https://127.0.0.1:" + std::to_string(stub.port));
  BOOST_REQUIRE(a.tickUntil([&] { return a.shares("tls_error") >= 1; }));
  BOOST_TEST(stub.requests().empty()); // the token never left the agent
  BOOST_TEST(a.shares("ok") == 0);
  auto shared = a.eventsOf("fleet_share");
  BOOST_REQUIRE(!shared.empty());
  BOOST_TEST(shared[0]["result"] == "tls_error");
  BOOST_TEST(shared[0]["final"] == false); // retried: a CA may be rotated in
}

BOOST_AUTO_TEST_CASE(a_wrong_token_is_rejected_and_not_retried) {
  Credentials c;
  std::ofstream(c.dir + "/sa/token") << "stale-token";
  StubServer stub(c);
  SharingAgent a(c, "https://127.0.0.1:" + std::to_string(stub.port));
  BOOST_REQUIRE(
      a.tickUntil([&] { return a.shares("rejected") == 1 && a.metric("minewatch_fleet_share_pending") == 0; }));
  BOOST_TEST(stub.requests().size() == 1u);
  auto shared = a.eventsOf("fleet_share");
  BOOST_REQUIRE(shared.size() == 1u);
  BOOST_TEST(shared[0]["status"] == 401);
  BOOST_TEST(shared[0]["final"] == true);
}

BOOST_AUTO_TEST_CASE(an_api_server_that_is_down_is_counted_and_the_agent_goes_on) {
  Credentials c;
  // A port bound but not listening: connections to it are refused, and no
  // one else can take it while the test runs.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  SharingAgent a(c, "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  BOOST_TEST(api::detections(a.agent->view()).at(0)["action"] == "blocked"); // the block itself is not held up
  BOOST_REQUIRE(a.tickUntil([&] { return a.shares("unreachable") >= 1; }));
  BOOST_TEST(a.eventsOf("block_added").size() >= 2u); // every block of the capture was made regardless
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(an_api_server_that_never_answers_never_holds_up_a_tick) {
  Credentials c;
  StubServer stub(c, /*hang=*/true);
  SharingAgent a(c, "https://127.0.0.1:" + std::to_string(stub.port));
  // The request is in flight (the stub has it) while the replay has ended
  // and the agent ticks: it waited for nothing.
  BOOST_REQUIRE(test::waitFor([&] { return stub.requests().size() == 1u; }, 10s));
  a.agent->tick(a.last_ts);
  BOOST_TEST(a.metric("minewatch_fleet_share_pending") == 1);
  for (const char *result : fleet::kShareResults)
    BOOST_TEST(a.shares(result) == 0, result);
  stub.stop(); // the connection drops: counted, retried later
  BOOST_REQUIRE(a.tickUntil([&] { return a.shares("no_answer") >= 1; }));
}
