// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The confirmer's prober end to end: servers in the peer namespace of a
// VethLab, the prober on a thread moved into the node namespace, traffic
// only on the lab's veth (10.77.0.x, and fd77::x for the IPv6 case). The
// test pool (tests/lab/stratum_pool.py) plain and over TLS in each dialect
// must be confirmed in that dialect; HTTPS, a TLS line echo, a JSON event
// stream, silence, garbage, a 1 MB line and resets refuted within the
// limits, every socket closed; the client's SNI sent; nothing listening and
// an unreachable address failed. Needs root; never skips.
#define BOOST_TEST_MODULE minewatch_prober_netns
#include <boost/test/unit_test.hpp>

#include "confirm/prober.hpp"
#include "netns_harness.hpp"
#include "process_util.hpp"

#include <unistd.h>

#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <ostream>
#include <thread>

using namespace minewatch;
using namespace minewatch::confirm;
using namespace minewatch::test;
using namespace std::chrono_literals;

namespace minewatch::confirm {
// Boost.Test prints both sides of a failed comparison.
inline std::ostream &operator<<(std::ostream &os, Outcome o) { return os << toString(o); }
inline std::ostream &operator<<(std::ostream &os, Dialect d) { return os << toString(d); }
inline std::ostream &operator<<(std::ostream &os, SessionEnd e) { return os << toString(e); }
inline std::ostream &operator<<(std::ostream &os, AnswerShape s) { return os << toString(s); }
} // namespace minewatch::confirm

namespace {
const std::string kLab = MINEWATCH_LAB_DIR;
const std::string kE2e = MINEWATCH_E2E_DIR;

// Short limits keep the suite quick; the defaults are only longer.
const ProbeLimits kLimits{1000ms, 1000ms, 16 * 1024};

/// A VethLab with a self-signed certificate (made as tests/lab/lab.py makes
/// its own) and servers started in the peer namespace.
struct ProbeLab {
  VethLab lab;
  std::string dir;
  RemovedAtEnd cleanup;
  std::vector<std::unique_ptr<ChildProcess>> servers;

  ProbeLab() : dir("/tmp/minewatch-prober-test-" + std::to_string(::getpid())), cleanup{{dir}} {
    std::filesystem::create_directories(dir);
    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lab -keyout " + dir + "/key.pem -out " + dir +
       "/cert.pem");
  }

  std::vector<std::string> tls() const { return {"--cert", dir + "/cert.pem", "--key", dir + "/key.pem"}; }

  /// Starts `argv` in the peer namespace and waits until `port` listens.
  void serve(std::vector<std::string> argv, int port) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", lab.peer, "python3"});
    servers.push_back(std::make_unique<ChildProcess>(argv));
    BOOST_REQUIRE_MESSAGE(waitFor([&] { return lab.listening(lab.peer, port); }, 10s),
                          argv[5] << " did not listen on " << port);
  }

  /// The test pool answering only `dialect`, plain on `port`, TLS on `tls_port`.
  void pool(const char *dialect, int port, int tls_port, const char *listen = VethLab::kPeerAddr) {
    auto argv = std::vector<std::string>{
        kLab + "/stratum_pool.py", "--listen",  listen, "--port", std::to_string(port), "--tls-port",
        std::to_string(tls_port),  "--dialect", dialect};
    for (const auto &a : tls())
      argv.push_back(a);
    serve(argv, tls_port);
    BOOST_REQUIRE(waitFor([&] { return lab.listening(lab.peer, port); }, 10s));
  }

  /// A tests/e2e/probe_servers.py server of `kind`.
  void server(const char *kind, int port, bool with_tls) {
    auto argv = std::vector<std::string>{kE2e + "/probe_servers.py", kind,     "--listen",
                                         VethLab::kPeerAddr,         "--port", std::to_string(port)};
    if (with_tls)
      for (const auto &a : tls())
        argv.push_back(a);
    serve(argv, port);
  }

  /// Probes from the node namespace (a thread moved there for the probe).
  ProbeResult probeFromNode(const ProbeTarget &target, const ProbeLimits &limits = kLimits) const {
    ProbeResult result;
    std::exception_ptr error;
    std::thread prober([&] {
      try {
        NetnsScope in_node(lab.node);
        result = probe(target, limits);
      } catch (...) {
        error = std::current_exception();
      }
    });
    prober.join();
    if (error)
      std::rethrow_exception(error);
    return result;
  }
};

ProbeTarget target(const char *address, std::uint16_t port, bool tls) {
  ProbeTarget t;
  t.address = *net::Address::parse(address);
  t.port = port;
  t.tls = tls;
  if (tls)
    t.sni = "pool.example.test";
  return t;
}

/// Open file descriptors of this process: every probe must close its own.
std::size_t openFds() {
  auto entries = std::filesystem::directory_iterator("/proc/self/fd");
  return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

std::string describe(const ProbeResult &r) {
  std::string out = std::string(toString(r.outcome)) + ": " + r.summary;
  for (const auto &e : r.exchanges)
    out += "\n  " + std::string(toString(e.dialect)) + " -> " + std::string(toString(e.shape)) + " (" + e.reason +
           "; " + e.end_reason + ") " + e.answer_head.substr(0, 80);
  return out;
}

/// Checks that hold for every probe: within the cap per exchange, one line
/// of summary, an answer head within 200 printable bytes.
void checkBounds(const ProbeResult &r, const ProbeLimits &limits) {
  std::size_t total = 0;
  for (const auto &e : r.exchanges) {
    BOOST_TEST(e.bytes_read <= limits.read_cap);
    BOOST_TEST(e.answer_head.find('\n') == std::string::npos);
    total += e.bytes_read;
  }
  BOOST_TEST(r.bytes_read == total);
  BOOST_TEST(r.summary.find('\n') == std::string::npos);
}

struct PoolCase {
  const char *dialect;
  Dialect expected;
  std::size_t exchanges; // the dialects tried before it answered "Method not found"
};
const std::vector<PoolCase> kPools = {
    {"monero-login", Dialect::MoneroLogin, 1},
    {"stratum-v1", Dialect::StratumV1, 2},
    {"ethereum-stratum", Dialect::EthereumStratum, 3},
    {"eth-proxy", Dialect::EthProxy, 4},
};
} // namespace

BOOST_AUTO_TEST_CASE(the_test_pool_is_confirmed_in_each_dialect_plain_and_tls) {
  ProbeLab lab;
  for (std::size_t i = 0; i < kPools.size(); ++i)
    lab.pool(kPools[i].dialect, static_cast<int>(3301 + i), static_cast<int>(4301 + i));

  for (std::size_t i = 0; i < kPools.size(); ++i) {
    for (bool tls : {false, true}) {
      const auto &c = kPools[i];
      auto port = static_cast<std::uint16_t>((tls ? 4301 : 3301) + i);
      BOOST_TEST_CONTEXT(c.dialect << (tls ? " over TLS" : " plain") << " :" << port) {
        auto r = lab.probeFromNode(target(VethLab::kPeerAddr, port, tls));
        BOOST_TEST_MESSAGE(describe(r));
        BOOST_TEST_CONTEXT(describe(r)) {
          BOOST_TEST(r.outcome == Outcome::Confirmed);
          BOOST_REQUIRE(r.exchanges.size() == c.exchanges);
          BOOST_TEST(r.exchanges.back().dialect == c.expected);
          BOOST_TEST(isPoolShaped(r.exchanges.back().shape));
          for (std::size_t k = 0; k + 1 < r.exchanges.size(); ++k) {
            BOOST_TEST(r.exchanges[k].shape == AnswerShape::OtherRpc);
            BOOST_TEST(r.exchanges[k].reason.find("Method not found") != std::string::npos);
          }
          BOOST_TEST(r.summary.find(std::string(VethLab::kPeerAddr) + ":" + std::to_string(port)) == 0u);
          // Settled on the answer: the last exchange did not wait for its
          // read deadline (a state, not a timing).
          BOOST_TEST(r.exchanges.back().ended == SessionEnd::Settled);
          checkBounds(r, kLimits);
        }
      }
    }
  }
}

// IPv6: the same pool on the lab's veth with IPv6 turned on for this test.
BOOST_AUTO_TEST_CASE(the_test_pool_is_confirmed_over_ipv6) {
  ProbeLab lab;
  for (const auto &[ns, dev, address] :
       {std::tuple{lab.lab.node, lab.lab.nodeIf, "fd77::1"}, std::tuple{lab.lab.peer, lab.lab.peerIf, "fd77::2"}}) {
    sh(lab.lab.in(ns) + "sysctl -qw net.ipv6.conf." + dev + ".disable_ipv6=0");
    sh("ip -n " + ns + " addr add " + address + "/64 dev " + dev + " nodad");
  }
  lab.pool("monero-login", 3311, 4311, "fd77::2");
  for (bool tls : {false, true}) {
    BOOST_TEST_CONTEXT((tls ? "TLS" : "plain")) {
      auto r = lab.probeFromNode(target("fd77::2", tls ? 4311 : 3311, tls));
      BOOST_TEST_MESSAGE(describe(r));
      BOOST_TEST_CONTEXT(describe(r)) {
        BOOST_TEST(r.outcome == Outcome::Confirmed);
        BOOST_TEST(r.summary.find("[fd77::2]:") == 0u);
      }
    }
  }
}

struct RefuteCase {
  const char *description;
  const char *kind; // probe_servers.py kind, or "https", or "plain-pool"/"tls-pool" for a mismatched pool port
  bool server_tls;
  bool probe_tls;
  std::size_t exchanges; // 0: any number
  const char *reason_has;
};
const std::vector<RefuteCase> kRefuted = {
    {"HTTPS web server (tests/lab/web_server.py)", "https", true, true, 1, "HTML"},
    {"TLS line echo", "echo", true, true, 1, "echoed"},
    {"TLS JSON event stream", "events", true, true, 1, "not JSON-RPC"},
    {"1 MB of random bytes", "garbage", false, false, 1, "not JSON"}, // "binary bytes", or a first line of high bytes
    {"1 MB line that never ends", "flood", false, false, 1, "read cap 16384 B reached"},
    {"plain text to the pool's TLS port", "tls-pool", true, false, 0, ""},
    // Resets: every dialect tried (a pool may reset a foreign dialect),
    // then refuted, not failed: the server is up and refuses to talk in
    // any dialect, which a retry with backoff would not change.
    {"resets after accepting", "reset", false, false, 4, "reset"},
    {"resets after the TLS handshake", "reset", true, true, 4, ""},
};

BOOST_AUTO_TEST_CASE(servers_that_are_not_pools_are_refuted_within_the_limits) {
  ProbeLab lab;
  lab.pool("monero-login", 3321, 4321);
  lab.serve({kLab + "/web_server.py", "--listen", VethLab::kPeerAddr, "--port", "4400", "--cert", lab.dir + "/cert.pem",
             "--key", lab.dir + "/key.pem"},
            4400);
  std::vector<int> ports;
  for (std::size_t i = 0; i < kRefuted.size(); ++i) {
    const auto &c = kRefuted[i];
    int port = static_cast<int>(4401 + i);
    std::string kind = c.kind;
    if (kind == "https")
      port = 4400;
    else if (kind == "plain-pool")
      port = 3321;
    else if (kind == "tls-pool")
      port = 4321;
    else
      lab.server(c.kind, port, c.server_tls);
    ports.push_back(port);
  }

  auto fds = openFds();
  for (std::size_t i = 0; i < kRefuted.size(); ++i) {
    const auto &c = kRefuted[i];
    BOOST_TEST_CONTEXT(c.description << " :" << ports[i]) {
      auto r = lab.probeFromNode(target(VethLab::kPeerAddr, static_cast<std::uint16_t>(ports[i]), c.probe_tls));
      BOOST_TEST_MESSAGE(describe(r));
      BOOST_TEST_CONTEXT(describe(r)) {
        BOOST_TEST(r.outcome == Outcome::Refuted);
        if (c.exchanges)
          BOOST_TEST(r.exchanges.size() == c.exchanges);
        BOOST_TEST(r.summary.find(c.reason_has) != std::string::npos);
        checkBounds(r, kLimits);
      }
    }
  }
  BOOST_TEST(openFds() == fds); // sockets closed however the exchange ended
}

// TLS with the SNI the client sent, and none when it sent none.
BOOST_AUTO_TEST_CASE(the_clients_sni_is_sent) {
  ProbeLab lab;
  lab.server("sni", 4470, true);
  auto with = target(VethLab::kPeerAddr, 4470, true);
  auto without = with;
  without.sni.clear();
  for (const auto &[t, expected] :
       {std::pair{with, R"("name": "pool.example.test")"}, std::pair{without, R"("name": null)"}}) {
    auto r = lab.probeFromNode(t);
    BOOST_TEST_MESSAGE(describe(r));
    BOOST_TEST(r.outcome == Outcome::Refuted);
    BOOST_REQUIRE(r.exchanges.size() == 1u);
    BOOST_TEST(r.exchanges[0].answer_head.find(expected) != std::string::npos, r.exchanges[0].answer_head);
  }
}

// Silence: each dialect waits out its read deadline (all four are tried: a
// pool may ignore a foreign dialect), and no longer.
BOOST_AUTO_TEST_CASE(a_server_that_never_answers_is_refuted_after_the_read_timeouts) {
  ProbeLab lab;
  lab.server("silent", 4450, true);
  auto r = lab.probeFromNode(target(VethLab::kPeerAddr, 4450, true));
  BOOST_TEST_MESSAGE(describe(r));
  BOOST_TEST_CONTEXT(describe(r)) {
    BOOST_TEST(r.outcome == Outcome::Refuted);
    BOOST_REQUIRE(r.exchanges.size() == 4u);
    for (const auto &e : r.exchanges) {
      BOOST_TEST(e.ended == SessionEnd::TimedOut);
      BOOST_TEST(e.end_reason == "read: timed out after 1000 ms");
      BOOST_TEST(e.shape == AnswerShape::Empty);
      BOOST_TEST(e.elapsed >= 1000ms);
    }
    BOOST_TEST(r.elapsed >= 4000ms);
    BOOST_TEST(r.bytes_read == 0u);
  }
}

// The cap holds whatever the cap is.
BOOST_AUTO_TEST_CASE(the_read_cap_bounds_every_exchange) {
  ProbeLab lab;
  lab.server("flood", 4460, false);
  ProbeLimits small = kLimits;
  small.read_cap = 5000;
  auto r = lab.probeFromNode(target(VethLab::kPeerAddr, 4460, false), small);
  BOOST_TEST_MESSAGE(describe(r));
  BOOST_TEST_CONTEXT(describe(r)) {
    BOOST_TEST(r.outcome == Outcome::Refuted);
    BOOST_REQUIRE(r.exchanges.size() == 1u);
    BOOST_TEST(r.exchanges[0].ended == SessionEnd::CapReached);
    BOOST_TEST(r.bytes_read == 5000u);
    BOOST_TEST(r.exchanges[0].answer_head.size() == 200u);
  }
}

BOOST_AUTO_TEST_CASE(servers_that_cannot_be_reached_fail) {
  ProbeLab lab;
  // Nothing listens: refused at once.
  auto refused = lab.probeFromNode(target(VethLab::kPeerAddr, 3999, false));
  BOOST_TEST_MESSAGE(describe(refused));
  BOOST_TEST_CONTEXT(describe(refused)) {
    BOOST_TEST(refused.outcome == Outcome::Failed);
    BOOST_TEST(refused.exchanges.size() == 1u);
    BOOST_TEST(refused.exchanges[0].end_reason == "connect: Connection refused");
  }

  // No host at the address (no neighbour answers on the veth): the connect
  // timeout, or the kernel's "No route to host", whichever comes first.
  auto lost = lab.probeFromNode(target("10.77.0.99", 3333, true));
  BOOST_TEST_MESSAGE(describe(lost));
  BOOST_TEST_CONTEXT(describe(lost)) {
    BOOST_TEST(lost.outcome == Outcome::Failed);
    BOOST_TEST(lost.exchanges.size() == 1u);
    BOOST_TEST(lost.exchanges[0].end_reason.rfind("connect: ", 0) == 0u);
  }

  // A server that takes the connection but never finishes a TLS handshake
  // (the pool's plain port, asked in TLS): nothing learnt, so asked again
  // later, not refuted for a day (a busy pool looks the same).
  lab.pool("monero-login", 3321, 4321);
  auto stalled = lab.probeFromNode(target(VethLab::kPeerAddr, 3321, true));
  BOOST_TEST_MESSAGE(describe(stalled));
  BOOST_TEST_CONTEXT(describe(stalled)) {
    BOOST_TEST(stalled.outcome == Outcome::Failed);
    BOOST_TEST(stalled.exchanges.size() == 1u);
    BOOST_TEST(stalled.summary.find("TLS handshake") != std::string::npos);
  }
}
