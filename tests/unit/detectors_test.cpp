// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/detection_engine.hpp"
#include "detect/assessment.hpp"
#include "detect/behaviour_detector.hpp"
#include "detect/correlation_detector.hpp"
#include "detect/intel_feed.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>

using namespace minewatch;
using namespace minewatch::detect;

namespace minewatch::detect {
std::ostream &operator<<(std::ostream &out, Verdict v) { return out << toString(v); }
} // namespace minewatch::detect

namespace {
constexpr std::uint64_t kSec = 1'000'000'000ull;

/// A direction that sent `messages` payload packets of `payload` bytes, all
/// pushed, `gap_bucket` apart, plus as many bare ACKs.
DirectionFeatures direction(std::uint32_t messages, unsigned size_bucket, unsigned gap_bucket, std::uint64_t start,
                            std::uint64_t end) {
  DirectionFeatures d;
  d.packets = messages * 2;
  d.payload_bytes = messages * 200;
  d.psh_packets = messages;
  d.size_hist[0] = messages;
  d.size_hist[size_bucket] = messages;
  d.iat_hist[gap_bucket] = messages;
  d.iat_hist[3] = messages - 1;
  d.first_seen_ns = start;
  d.last_seen_ns = end;
  d.tcp_flags = MINEWATCH_TCP_ACK | MINEWATCH_TCP_PSH;
  return d;
}

FlowFeatures stratumLike() {
  FlowFeatures f;
  f.proto = 6;
  f.client = direction(20, 8, 24, 0, 600 * kSec); // ~180 B submits every ~20 s
  f.server = direction(30, 9, 24, 0, 600 * kSec); // ~300 B jobs
  return f;
}
} // namespace

BOOST_AUTO_TEST_SUITE(detectors)

BOOST_AUTO_TEST_CASE(noisy_or_and_thresholds) {
  Thresholds t{0.4, 0.8};
  BOOST_TEST(assess({}, t).verdict == Verdict::Clean);
  auto one = assess({{minewatch::detect::Detector::Behaviour, 0.6, "shape"}}, t);
  BOOST_TEST(one.verdict == Verdict::Suspicious);
  BOOST_TEST(one.confidence == 0.6, boost::test_tools::tolerance(1e-9));
  auto two = assess({{minewatch::detect::Detector::Intel, 0.15, "port"},
                     {minewatch::detect::Detector::Behaviour, 0.6, "shape"},
                     {minewatch::detect::Detector::Signature, 0.95, "login"}},
                    t);
  BOOST_TEST(two.verdict == Verdict::Mining);
  BOOST_TEST(two.confidence == 1 - 0.85 * 0.4 * 0.05, boost::test_tools::tolerance(1e-9));
  BOOST_TEST((two.evidence.front().detector == Detector::Signature)); // strongest first
  BOOST_TEST(assess({{Detector::Intel, 0.3, ""}}, t).verdict == Verdict::Clean);
}

BOOST_AUTO_TEST_CASE(behaviour_recognises_a_stratum_session) {
  BehaviourDetector detector;
  auto e = detector.evaluate(stratumLike());
  BOOST_REQUIRE(e);
  BOOST_TEST(e->weight == BehaviourDetector::kFullWeight);
  BOOST_TEST(e->reason.find("long-lived (600 s)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(behaviour_alone_flags_nothing_but_adds_up) {
  BehaviourDetector detector;
  auto shape = detector.evaluate(stratumLike()).value();
  Thresholds t{0.4, 0.8};
  BOOST_TEST(assess({shape}, t).verdict == Verdict::Clean);
  BOOST_TEST(assess({shape, {minewatch::detect::Detector::Intel, 0.15, "port 3333"}}, t).verdict ==
             Verdict::Suspicious);
  BOOST_TEST(assess({shape, {minewatch::detect::Detector::Correlation, 0.9, "taint"}}, t).verdict == Verdict::Mining);
}

BOOST_AUTO_TEST_CASE(keepalives_are_not_stratum_sized) {
  BehaviourDetector detector;
  auto mqtt = stratumLike();
  mqtt.client = direction(10, 2, 25, 0, 600 * kSec); // 2-byte PINGREQ each minute
  mqtt.server = direction(10, 2, 25, 0, 600 * kSec);
  auto e = detector.evaluate(mqtt);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->weight == BehaviourDetector::kPartialWeight);
  BOOST_TEST(assess({*e}, {}).verdict == Verdict::Clean); // alone it flags nothing
}

BOOST_AUTO_TEST_CASE(short_bulk_or_one_sided_flows_are_not_mining_shaped) {
  BehaviourDetector detector;
  auto young = stratumLike();
  young.client.last_seen_ns = young.server.last_seen_ns = 30 * kSec;
  BOOST_TEST(!detector.evaluate(young));
  auto silent_server = stratumLike();
  silent_server.server = DirectionFeatures{};
  silent_server.server.packets = 40;
  silent_server.server.size_hist[0] = 40;
  BOOST_TEST(!detector.evaluate(silent_server));
  auto udp = stratumLike();
  udp.proto = 17;
  BOOST_TEST(!detector.evaluate(udp));
}

BOOST_AUTO_TEST_CASE(intel_networks_match_the_longest_listed) {
  IntelFeed feed;
  std::string text = "198.51.0.0/16\n198.51.100.0/24\n198.51.100.0/24\n2001:db8::/32\n2001:db8:0:1::/64\n"
                     "203.0.113.0/25\n";
  for (int i = 0; i < 4096; ++i) // a public list's bulk of host entries
    text += "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1\n";
  auto report = feed.loadText(text, "big.txt");
  BOOST_TEST(report.cidrs == 4102u);
  BOOST_TEST(feed.size() == 4101u); // the repeated /24 once
  auto match = [&](const char *a) { return feed.matchAddress(net::Address::parse(a).value()); };
  BOOST_TEST(match("198.51.100.7").value() == "198.51.100.0/24");
  BOOST_TEST(match("198.51.7.1").value() == "198.51.0.0/16");
  BOOST_TEST(!match("198.52.0.1"));
  BOOST_TEST(match("203.0.113.127").value() == "203.0.113.0/25");
  BOOST_TEST(!match("203.0.113.128"));
  BOOST_TEST(match("2001:db8:0:1::42").value() == "2001:db8:0:1::/64");
  BOOST_TEST(match("2001:db8:ffff::1").value() == "2001:db8::/32");
  BOOST_TEST(match("10.15.255.1").value() == "10.15.255.1/32");
  BOOST_TEST(!match("10.16.0.1"));
}

BOOST_AUTO_TEST_CASE(intel_feed_formats) {
  IntelFeed feed;
  auto report = feed.loadText("# CoinBlocker style\n"
                              "pool.minexmr.com\n"
                              "*.nanopool.org\n"
                              ".herominers.com\n"
                              "0.0.0.0 xmr.pool.minergate.com\n"
                              "127.0.0.1\tMONEROHASH.com.  # trailing dot, case\n"
                              "198.51.100.0/24\n"
                              "203.0.113.9\n"
                              "\n"
                              "this is not an entry\n"
                              "-bad-\n",
                              "pools.txt");
  BOOST_TEST(report.domains == 5u);
  BOOST_TEST(report.cidrs == 2u);
  BOOST_TEST(report.skipped == 2u);
  BOOST_TEST(report.first_skipped_line == 10u);
  BOOST_TEST(feed.matchDomain("pool.minexmr.com").value() == "pool.minexmr.com");
  BOOST_TEST(!feed.matchDomain("other.minexmr.com"));
  BOOST_TEST(feed.matchDomain("eu1.NANOPOOL.org.").value() == "*.nanopool.org");
  BOOST_TEST(feed.matchDomain("nanopool.org").value() == "*.nanopool.org");
  BOOST_TEST(feed.matchDomain("gulf.herominers.com").value() == "*.herominers.com");
  BOOST_TEST(feed.matchDomain("monerohash.com").value() == "monerohash.com");
  BOOST_TEST(!feed.matchDomain("notnanopool.org"));
  BOOST_TEST(feed.matchAddress(net::Address::parse("198.51.100.77").value()).value() == "198.51.100.0/24");
  BOOST_TEST(feed.matchAddress(net::Address::parse("203.0.113.9").value()).value() == "203.0.113.9/32");
  BOOST_TEST(!feed.matchAddress(net::Address::parse("203.0.113.10").value()));
  BOOST_CHECK_THROW(feed.loadFile("/nonexistent/feed.txt"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_taint_is_evidence_for_the_pairs_other_flows_not_its_own) {
  // The flow that tainted its pair has its own evidence; the taint listed
  // among its reasons would explain it by itself.
  judge::DetectionEngine engine(config::AgentConfig{}, IntelFeed{});
  judge::FlowRoles login;
  login.client.address = net::Address::parse("192.0.2.10").value();
  login.client.port = 40000;
  login.server.address = net::Address::parse("198.51.100.7").value();
  login.server.port = 3333;
  login.proto = 6;
  judge::FlowFacts known;
  known.payload.push_back({classify::Protocol::StratumV1, true, judge::Side::Client, "login, agent XMRig/6.16.4", 1});
  FlowFeatures features;
  features.proto = 6;
  auto correlated = [](const Assessment &a) {
    return std::any_of(a.evidence.begin(), a.evidence.end(),
                       [](const Evidence &e) { return e.detector == Detector::Correlation; });
  };

  auto judged = engine.evaluate(login, features, &known);
  BOOST_REQUIRE(judged.verdict == Verdict::Mining);
  engine.learn(login, judged, 1);
  BOOST_TEST(!correlated(engine.evaluate(login, features, &known)));
  auto next = login;
  next.client.port = 40001; // the same miner's next connection, no sample of it yet
  BOOST_TEST(correlated(engine.evaluate(next, features, nullptr)));
}

// "No SNI" is evidence only from a ClientHello seen whole: a cut one may
// name its server past the cut (XMRig's outgrew the old 256-byte sample).
BOOST_AUTO_TEST_CASE(no_sni_counts_only_from_a_whole_hello) {
  struct Case {
    const char *name;
    std::optional<judge::TlsHelloFact> hello;
    bool evidence;
  };
  const Case cases[] = {
      {"whole, no sni", judge::TlsHelloFact{"", {}, "ja3", "ja4", true, 517, 517}, true},
      {"cut short, no sni seen", judge::TlsHelloFact{"", {}, "", "", false, 256, 1800}, false},
      {"whole, with sni", judge::TlsHelloFact{"pool.example", {}, "ja3", "ja4", true, 517, 517}, false},
      {"no hello", std::nullopt, false},
  };
  judge::DetectionEngine engine(config::AgentConfig{}, IntelFeed{});
  judge::FlowRoles roles;
  roles.client.address = net::Address::parse("192.0.2.10").value();
  roles.client.port = 40000;
  roles.server.address = net::Address::parse("198.51.100.7").value();
  roles.server.port = 443;
  roles.proto = 6;
  FlowFeatures features;
  features.proto = 6;
  for (const auto &c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      judge::FlowFacts known;
      known.tls_hello = c.hello;
      auto a = engine.evaluate(roles, features, &known);
      auto no_sni = std::count_if(a.evidence.begin(), a.evidence.end(), [](const Evidence &e) {
        return e.detector == Detector::Signature && e.reason.find("without a server name") != std::string::npos;
      });
      BOOST_TEST(no_sni == (c.evidence ? 1 : 0));
    }
  }
}

BOOST_AUTO_TEST_CASE(correlation_taint_and_fan_in) {
  CorrelationDetector c(3, 2);
  auto client = net::Address::parse("192.0.2.10").value();
  auto pool = net::Address::parse("198.51.100.7").value();
  CorrelationDetector::ServerEndpoint stratum{pool, 3333};
  BOOST_TEST(!c.taint(client, stratum));
  c.markMining(client, stratum, "signature", 1);
  auto t = c.taint(client, stratum);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->weight == CorrelationDetector::kTaintWeight);
  BOOST_TEST(t->reason.find("already seen mining with 198.51.100.7:3333") != std::string::npos);
  BOOST_TEST(!c.taint(pool, {client, 3333})); // pairs are ordered: client, server
  BOOST_TEST(!c.taint(client, {pool, 80}));   // the endpoint, not the host

  // Named, a flow's taint is evidence for the pair's other flows only.
  auto other = net::Address::parse("192.0.2.20").value();
  c.markMining(other, stratum, "signature", 1, 7);
  BOOST_TEST(!c.taint(other, stratum, 7));
  BOOST_TEST(c.taint(other, stratum, 8).has_value());
  BOOST_TEST(c.taint(other, stratum).has_value());
  c.markMining(client, stratum, "again", 2); // already tainted: nothing changes

  // bounded: a third pair pushes out the oldest
  c.markMining(net::Address::parse("192.0.2.11").value(), stratum, "x", 2);
  c.markMining(net::Address::parse("192.0.2.12").value(), stratum, "x", 3);
  BOOST_TEST(!c.taint(client, stratum));
  BOOST_TEST(c.taintedPairs() == 2u);

  CorrelationDetector::ServerEndpoint server{pool, 443};
  for (int i = 0; i < 2; ++i)
    c.markPattern(net::Address::parse("192.0.2." + std::to_string(20 + i)).value(), server);
  BOOST_TEST(!c.fanIn(server));
  c.markPattern(net::Address::parse("192.0.2.22").value(), server);
  c.markPattern(net::Address::parse("192.0.2.22").value(), server); // same client twice counts once
  auto fan = c.fanIn(server);
  BOOST_REQUIRE(fan);
  BOOST_TEST(fan->reason.find("3 clients") != std::string::npos);
}

namespace {
enum class Traffic { Payload, SynOnly, RstOnly };

FlowFeatures traffic(Traffic kind) {
  FlowFeatures f;
  f.proto = 6;
  f.initiator_known = kind == Traffic::SynOnly;
  auto &d = kind == Traffic::RstOnly ? f.server : f.client; // the RST comes back from the server
  d.packets = d.size_hist[0] = 1;
  d.first_seen_ns = d.last_seen_ns = 5 * kSec;
  d.tcp_flags = kind == Traffic::SynOnly ? MINEWATCH_TCP_SYN : MINEWATCH_TCP_RST | MINEWATCH_TCP_ACK;
  if (kind == Traffic::Payload) { // TLS both ways: nothing readable, no shape yet
    f.client = direction(3, 8, 10, 5 * kSec, 6 * kSec);
    f.server = direction(3, 9, 10, 5 * kSec, 6 * kSec);
  }
  return f;
}

struct TaintCase {
  const char *name;
  const char *client;
  std::uint16_t port; // on the pool host, 198.51.100.7
  Traffic traffic;
  bool inherits;
};

// The pool endpoint 198.51.100.7:3333 was seen mining with 192.0.2.10.
const TaintCase kTaintCases[] = {
    {"encrypted flow to the pool endpoint", "192.0.2.10", 3333, Traffic::Payload, true},
    {"flow with payload to another port of the pool host", "192.0.2.10", 443, Traffic::Payload, false},
    {"SYN-only to the pool endpoint (known mining)", "192.0.2.10", 3333, Traffic::SynOnly, true},
    {"SYN-only to a pool-like port never seen mining", "192.0.2.10", 3334, Traffic::SynOnly, false},
    {"SYN-only to port 443 of the pool host", "192.0.2.10", 443, Traffic::SynOnly, false},
    {"SYN-only to port 25 of the pool host", "192.0.2.10", 25, Traffic::SynOnly, false},
    {"RST-only to port 80 of the pool host", "192.0.2.10", 80, Traffic::RstOnly, false},
    {"RST-only from the pool endpoint", "192.0.2.10", 3333, Traffic::RstOnly, true},
    {"another client to the pool endpoint", "192.0.2.99", 3333, Traffic::Payload, false},
};
} // namespace

BOOST_AUTO_TEST_CASE(a_taint_reaches_the_pool_endpoint_not_the_pool_host) {
  judge::DetectionEngine engine(config::AgentConfig{}, IntelFeed{});
  judge::FlowRoles login;
  login.client = {net::Address::parse("192.0.2.10").value(), 40000};
  login.server = {net::Address::parse("198.51.100.7").value(), 3333};
  login.proto = 6;
  judge::FlowFacts known;
  known.payload.push_back({classify::Protocol::StratumV1, true, judge::Side::Client, "login, agent XMRig/6.16.4", 1});
  auto judged = engine.evaluate(login, traffic(Traffic::Payload), &known);
  BOOST_REQUIRE(judged.verdict == Verdict::Mining);
  engine.learn(login, judged, 1);

  for (const auto &c : kTaintCases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto flow = login;
      flow.client = {net::Address::parse(c.client).value(), 40001};
      flow.server.port = c.port;
      auto a = engine.evaluate(flow, traffic(c.traffic), nullptr);
      bool correlated = std::any_of(a.evidence.begin(), a.evidence.end(),
                                    [](const Evidence &e) { return e.detector == Detector::Correlation; });
      BOOST_TEST(correlated == c.inherits);
      BOOST_TEST(a.verdict == (c.inherits ? Verdict::Mining : Verdict::Clean));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
