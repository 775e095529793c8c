// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The confirmer's bookkeeping with a fake probe: which endpoints it may
// ask, at most one probe per endpoint per TTL, the global rate, the
// backoff after a failed probe, bounded concurrency, saved results, and
// when a judged flow is worth asking about.
#include "confirm/confirm_trigger.hpp"
#include "confirm/confirmation_store.hpp"
#include "confirm/confirmer.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace minewatch;
using namespace minewatch::confirm;

namespace {
constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t kT0 = 1'800'000'000ull * kSec; // a wall clock, 2027

ProbeRequest at(const char *address, std::uint16_t port = 443) {
  return {{*net::Address::parse(address), port}, true, ""};
}

/// A probe that answers with a fixed result and counts its calls.
struct FakeProbe {
  std::atomic<int> calls{0};
  ConfirmResult result = ConfirmResult::Confirmed;
  ProbeFunction function() {
    return [this](const ProbeRequest &, const ProbeContext &context) {
      ++calls;
      context.connected({*net::Address::parse("100.64.0.9"), static_cast<std::uint16_t>(40000 + calls)});
      return ProbeReport{result, "answered a Monero login with a job", "monero-login", "login", "{\"id\":1}", {}, {}};
    };
  }
};

config::ConfirmConfig settings() {
  config::ConfirmConfig c;
  c.min_interval_s = 10;
  c.cache_ttl_s = 3600;
  c.retry_s = 60;
  return c;
}

/// Polls until `n` probes finished (their threads run on their own), up to 5 s.
std::vector<Confirmation> finish(Confirmer &c, std::uint64_t wall_ns, std::size_t n = 1) {
  std::vector<Confirmation> out;
  for (int i = 0; i < 500 && out.size() < n; ++i) {
    auto got = c.poll(wall_ns);
    out.insert(out.end(), got.begin(), got.end());
    if (out.size() < n)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(confirmer)

BOOST_AUTO_TEST_CASE(the_policy_keeps_probes_off_local_and_private_addresses) {
  struct Case {
    const char *address;
    bool allow_private;
    bool refused;
  };
  const Case cases[] = {
      {"127.0.0.1", true, true},    {"::1", true, true},
      {"169.254.1.1", true, true},  {"fe80::1", true, true},
      {"0.0.0.0", true, true},      {"224.0.0.1", true, true},
      {"10.1.2.3", false, true},    {"172.20.0.1", false, true},
      {"192.168.1.1", false, true}, {"100.64.0.1", false, true},
      {"fd00::1", false, true},     {"10.1.2.3", true, false},
      {"1.2.3.9", false, false},    {"2a00:1450::9", false, false},
  };
  for (const auto &c : cases) {
    config::ConfirmConfig config;
    config.allow_private = c.allow_private;
    ProbePolicy policy(config);
    BOOST_TEST(policy.refusal(*net::Address::parse(c.address)).has_value() == c.refused,
               c.address << " allow_private=" << c.allow_private);
  }
  config::ConfirmConfig never;
  never.never = {"1.2.3.0/24"};
  BOOST_TEST(ProbePolicy(never).refusal(*net::Address::parse("1.2.3.9")).has_value());
  BOOST_TEST(!ProbePolicy(never).refusal(*net::Address::parse("1.2.4.9")).has_value());
  // Documentation and benchmarking ranges: the made-up servers of tests
  // (agent_drain_test's flows go there), never probed.
  for (const char *doc : {"192.0.2.1", "198.51.100.7", "203.0.113.9", "2001:db8::9", "198.18.0.1"})
    BOOST_TEST(ProbePolicy(config::ConfirmConfig{}).refusal(*net::Address::parse(doc)).has_value(), doc);
}

BOOST_AUTO_TEST_CASE(an_endpoint_is_probed_once_per_ttl) {
  FakeProbe fake;
  Confirmer c(settings(), fake.function(), {});
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0) == Ask::Queued));
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0) == Ask::Pending)); // a second suspicious flow
  auto done = finish(c, kT0);
  BOOST_REQUIRE(done.size() == 1u);
  BOOST_TEST((done[0].report.result == ConfirmResult::Confirmed));
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0 + 100 * kSec) == Ask::Known));
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0 + 3599 * kSec) == Ask::Known));
  BOOST_TEST(fake.calls == 1);
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0 + 3600 * kSec) == Ask::Queued)); // the TTL ran out
  BOOST_TEST(c.counters().probes[0] == 1u);
}

// The agent watches the interface its probes leave by: their connections
// are known as its own, and told in the report.
BOOST_AUTO_TEST_CASE(a_probes_own_connections_are_known) {
  FakeProbe fake;
  Confirmer c(settings(), fake.function(), {});
  c.ask(at("1.2.3.9"), kT0);
  auto done = finish(c, kT0);
  BOOST_REQUIRE(done.size() == 1u);
  BOOST_REQUIRE(done[0].report.connections.size() == 1u);
  datapath::Endpoint local{*net::Address::parse("100.64.0.9"), 40001};
  BOOST_TEST(c.ownConnection(local, at("1.2.3.9").server));
  BOOST_TEST(!c.ownConnection(local, at("1.2.3.8").server));
  c.poll(kT0 + Confirmer::kOwnConnectionMemoryNs + kSec); // long over: forgotten
  BOOST_TEST(!c.ownConnection(local, at("1.2.3.9").server));
}

BOOST_AUTO_TEST_CASE(probes_start_at_most_once_per_interval) {
  FakeProbe fake;
  Confirmer c(settings(), fake.function(), {});
  BOOST_TEST((c.ask(at("1.2.3.1"), kT0) == Ask::Queued));
  BOOST_TEST((c.ask(at("1.2.3.2"), kT0) == Ask::Queued));
  auto first = finish(c, kT0);
  BOOST_TEST(first.size() == 1u);
  // Within the interval the second waits, however often polled.
  for (int i = 0; i < 20; ++i)
    BOOST_TEST(c.poll(kT0 + 9 * kSec).empty());
  BOOST_TEST(fake.calls == 1);
  BOOST_TEST(c.pending() == 1u);
  auto second = finish(c, kT0 + 10 * kSec);
  BOOST_TEST(second.size() == 1u);
  BOOST_TEST(fake.calls == 2);
}

BOOST_AUTO_TEST_CASE(the_most_suspected_server_is_asked_first) {
  std::vector<std::string> order;
  std::mutex m;
  auto config = settings();
  config.concurrency = 1;
  Confirmer c(config,
              [&](const ProbeRequest &r, const ProbeContext &) {
                std::lock_guard lock(m);
                order.push_back(r.server.address.toString());
                return ProbeReport{ConfirmResult::Refuted, "", "", "", "", {}, {}};
              },
              {});
  c.ask(at("1.2.3.1"), kT0, nullptr, 0.2); // a TLS flow with behaviour only
  c.ask(at("1.2.3.2"), kT0, nullptr, 0.2);
  c.ask(at("1.2.3.3"), kT0, nullptr, 0.45); // suspicious
  c.ask(at("1.2.3.2"), kT0, nullptr, 0.6);  // a flow to .2 became more suspicious: its turn moves up
  auto t = kT0;
  for (int i = 0; i < 3; ++i, t += 10 * kSec)
    BOOST_REQUIRE(finish(c, t).size() == 1u);
  BOOST_TEST(order == (std::vector<std::string>{"1.2.3.2", "1.2.3.3", "1.2.3.1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_probe_is_retried_with_backoff) {
  FakeProbe fake;
  fake.result = ConfirmResult::Failed;
  Confirmer c(settings(), fake.function(), {});
  auto t = kT0;
  const std::uint64_t waits[] = {60, 120, 240, 480}; // retry_s, doubling
  for (auto wait : waits) {
    BOOST_TEST((c.ask(at("1.2.3.9"), t) == Ask::Queued));
    BOOST_REQUIRE(finish(c, t).size() == 1u);
    BOOST_TEST((c.ask(at("1.2.3.9"), t + (wait - 1) * kSec) == Ask::Known));
    t += wait * kSec;
  }
  BOOST_TEST(c.find(at("1.2.3.9").server)->failures == 4u);
}

BOOST_AUTO_TEST_CASE(refused_endpoints_are_said_once_and_never_probed) {
  FakeProbe fake;
  auto allowed = *net::Address::parse("1.2.4.7");
  Confirmer c(settings(), fake.function(), [&](const datapath::Endpoint &e) { return e.address == allowed; });
  std::string why;
  BOOST_TEST((c.ask(at("127.0.0.1"), kT0, &why) == Ask::Refused));
  BOOST_TEST(why == "loopback address");
  BOOST_TEST((c.ask(at("127.0.0.1"), kT0) == Ask::Forbidden));
  BOOST_TEST((c.ask(at("10.0.0.3"), kT0, &why) == Ask::Refused));
  BOOST_TEST((c.ask(at("1.2.4.7"), kT0, &why) == Ask::Refused));
  BOOST_TEST(why == "allowlisted");
  BOOST_TEST(finish(c, kT0 + 100 * kSec, 0).empty());
  BOOST_TEST(fake.calls == 0);
  BOOST_TEST(c.counters().refused == 3u);
}

BOOST_AUTO_TEST_CASE(a_server_blocked_while_queued_is_not_probed) {
  FakeProbe fake;
  bool blocked = false;
  Confirmer c(settings(), fake.function(), {}, [&](const datapath::Endpoint &) { return blocked; });
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0) == Ask::Queued));
  blocked = true; // another detector's verdict blocked it meanwhile
  BOOST_TEST(c.poll(kT0).empty());
  BOOST_TEST(fake.calls == 0);
  BOOST_TEST(c.counters().skipped == 1u);
  BOOST_TEST(!c.find(at("1.2.3.9").server)); // nothing remembered: asked again if unblocked
  blocked = false;
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0) == Ask::Queued));
}

BOOST_AUTO_TEST_CASE(off_means_no_probe) {
  FakeProbe fake;
  auto config = settings();
  config.on = false;
  Confirmer c(config, fake.function(), {});
  BOOST_TEST((c.ask(at("1.2.3.9"), kT0) == Ask::Off));
  BOOST_TEST(c.poll(kT0).empty());
  BOOST_TEST(fake.calls == 0);
}

BOOST_AUTO_TEST_CASE(concurrency_and_queue_are_bounded) {
  // Probes that block until released: the confirmer must not start more
  // than `concurrency` of them, and must not wait for them in poll.
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> running{0}, most{0};
  auto config = settings();
  config.min_interval_s = 0;
  config.concurrency = 2;
  config.queue = 3;
  Confirmer c(config,
              [&](const ProbeRequest &, const ProbeContext &context) {
                const auto &cancel = context.cancel;
                int now = ++running;
                most = std::max(most.load(), now);
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return release || cancel.load(); });
                --running;
                return ProbeReport{ConfirmResult::Refuted, "silent", "", "", "", {}, {}};
              },
              {});
  const char *addresses[] = {"1.2.3.1", "1.2.3.2", "1.2.3.3", "1.2.3.4"};
  for (int i = 0; i < 3; ++i)
    BOOST_TEST((c.ask(at(addresses[i]), kT0) == Ask::Queued));
  BOOST_TEST((c.ask(at(addresses[3]), kT0) == Ask::QueueFull));
  BOOST_TEST(c.counters().dropped == 1u);
  for (int i = 0; i < 50; ++i)
    BOOST_TEST(c.poll(kT0).empty()); // never waits on a running probe
  BOOST_TEST(c.pending() == 3u);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  auto done = finish(c, kT0, 3);
  BOOST_TEST(done.size() == 3u);
  BOOST_TEST(most.load() <= 2);
}

BOOST_AUTO_TEST_CASE(results_survive_a_restart_and_a_bad_file_costs_nothing) {
  auto dir = std::filesystem::temp_directory_path() / ("minewatch-confirm-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "confirmations.json").string();
  FakeProbe fake;
  {
    Confirmer c(settings(), fake.function(), {});
    c.ask(at("1.2.3.9", 14433), kT0);
    BOOST_REQUIRE(finish(c, kT0).size() == 1u);
    saveConfirmations(path, c.all());
  }
  std::string warning;
  auto saved = loadConfirmations(path, warning);
  BOOST_TEST(warning.empty());
  BOOST_REQUIRE(saved.size() == 1u);
  Confirmer again(settings(), fake.function(), {});
  again.restore(saved, kT0 + 60 * kSec);
  const auto *c = again.find(at("1.2.3.9", 14433).server);
  BOOST_REQUIRE(c);
  BOOST_TEST((c->report.result == ConfirmResult::Confirmed));
  BOOST_TEST(c->report.summary == "answered a Monero login with a job");
  BOOST_TEST((again.ask(at("1.2.3.9", 14433), kT0 + 60 * kSec) == Ask::Known)); // no second probe
  Confirmer later(settings(), fake.function(), {});
  later.restore(saved, kT0 + 3600 * kSec); // expired meanwhile: asked again
  BOOST_TEST(!later.find(at("1.2.3.9", 14433).server));

  const char *bad[] = {"", "{", "[]", "{\"version\":9,\"confirmations\":[]}", "{\"version\":1}"};
  for (const char *text : bad) {
    { std::ofstream(path) << text; }
    auto none = loadConfirmations(path, warning);
    BOOST_TEST(none.empty());
    BOOST_TEST(!warning.empty(), "no warning for '" << text << "'");
    BOOST_TEST(warning.find('\n') == std::string::npos);
  }
  auto absent = loadConfirmations((dir / "none.json").string(), warning);
  BOOST_TEST(absent.empty());
  BOOST_TEST(warning.empty());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(what_is_worth_confirming) {
  using detect::Detector;
  using When = config::ConfirmConfig::When;
  struct Case {
    const char *name;
    detect::Verdict verdict;
    std::vector<std::pair<Detector, double>> evidence;
    bool tls;
    When when;
    bool worth;
  };
  const Case cases[] = {
      {"suspicious", detect::Verdict::Suspicious, {{Detector::Rhythm, 0.4}}, false, When::Suspicious, true},
      {"tls rhythm below suspicious", detect::Verdict::Clean, {{Detector::Rhythm, 0.1}}, true, When::Suspicious, true},
      {"tls behaviour", detect::Verdict::Clean, {{Detector::Behaviour, 0.35}}, true, When::Suspicious, true},
      {"plain behaviour", detect::Verdict::Clean, {{Detector::Behaviour, 0.35}}, false, When::Suspicious, false},
      {"tls port only", detect::Verdict::Clean, {{Detector::Intel, 0.15}}, true, When::Suspicious, false},
      {"tls rhythm with intel",
       detect::Verdict::Clean,
       {{Detector::Rhythm, 0.1}, {Detector::Intel, 0.15}},
       true,
       When::Suspicious,
       false},
      {"mining already", detect::Verdict::Mining, {{Detector::Signature, 0.95}}, false, When::Suspicious, false},
      {"confirmed or refuted already",
       detect::Verdict::Suspicious,
       {{Detector::Rhythm, 0.4}, {Detector::Confirmation, 0.0}},
       true,
       When::Suspicious,
       false},
      {"evidence: any weight", detect::Verdict::Clean, {{Detector::Intel, 0.15}}, false, When::Evidence, true},
      {"evidence: none", detect::Verdict::Clean, {}, true, When::Evidence, false},
  };
  for (const auto &c : cases) {
    detect::Assessment a;
    a.verdict = c.verdict;
    for (const auto &[d, w] : c.evidence)
      a.evidence.push_back({d, w, "", 0});
    BOOST_TEST(worthConfirming(c.when, a, c.tls) == c.worth, c.name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
