// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/assessment.hpp"
#include "detect/rhythm_detector.hpp"
#include "detect/rhythm_weights.hpp"

#include "rhythm_captured.hpp"
#include "rhythm_scenarios.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <functional>
#include <string>
#include <vector>

using namespace minewatch;
using namespace minewatch::detect;
using namespace minewatch::test;

namespace {
constexpr auto Up = Message::Direction::ToServer;
constexpr auto Down = Message::Direction::ToClient;
const Thresholds kDefault{};

/// What a fixture must give: evidence at least min_weight, or (expect_evidence
/// false) nothing or a weight under the line that flags a flow on its own.
struct Case {
  std::string name;
  std::function<MessageSequence()> sequence;
  bool expect_evidence;
  double min_weight = 0;
};

std::string summary(const RhythmFeatures &f, const std::optional<Evidence> &e) {
  return fmt::format("{:<24} rtt {:>3} ms  pushes {:>2}/{:<2} unanswered  requests {:>2}/{:<2} answered  "
                     "intervals {:>3.0f}%  fit {:>3.0f}/{:>3.0f}/{:>3.0f}%  up/down {:.2f}  -> {}",
                     "", f.rtt_ms, f.unanswered_pushes, f.pushes, f.answered_requests, f.requests,
                     f.intervals_in_band * 100, f.push_size_fit * 100, f.request_size_fit * 100, f.reply_size_fit * 100,
                     f.up_down, e ? fmt::format("{:.2f}", e->weight) : "none");
}

void check(const Case &c) {
  BOOST_TEST_CONTEXT(c.name) {
    RhythmDetector detector;
    auto seq = c.sequence();
    auto f = detector.measure(seq);
    auto e = detector.evaluate(seq);
    BOOST_TEST_MESSAGE(c.name << summary(f, e).substr(c.name.size()));
    if (c.expect_evidence) {
      BOOST_REQUIRE(e.has_value());
      BOOST_TEST(e->weight >= c.min_weight);
      BOOST_TEST((e->detector == Detector::Rhythm));
    } else if (e) {
      BOOST_TEST(e->weight < kDefault.suspicious);
      BOOST_TEST((assess({*e}, kDefault).verdict == Verdict::Clean)); // Verdict has no operator<< here
    }
  }
}

MessageSequence truncated(MessageSequence s, std::size_t n) {
  s.resize(std::min(n, s.size()));
  return s;
}
} // namespace

BOOST_AUTO_TEST_SUITE(rhythm)

BOOST_AUTO_TEST_CASE(stratum_in_tls_gives_evidence) {
  std::vector<Case> cases = {
      {"xmrig tls1.3 rtt 40",
       [] {
         return xmrigTls({1, 40, 20'000, kTls13});
       },
       true, kRhythmWeights[7]},
      {"xmrig tls1.2 rtt 120",
       [] {
         return xmrigTls({2, 120, 30'000, kTls12});
       },
       true, kRhythmWeights[7]},
      {"xmrig lan rtt 0",
       [] {
         return xmrigTls({3, 0, 10'000, kTls13});
       },
       true, kRhythmWeights[7]},
      // Results up to one RTT late still fall in the window (2 RTT + 30 ms).
      {"xmrig jitter 60 rtt 60",
       [] {
         return xmrigTls({4, 60, 20'000, kTls13, 15 * kMinute, 64, 60});
       },
       true, kRhythmWeights[7]},
  };
  for (const auto &c : cases)
    check(c);
}

// Cryptojacked devices of one fleet, one pool: different paths and
// hashrates (a slow device's shares are sparse), same rhythm.
BOOST_AUTO_TEST_CASE(a_fleet_of_miners_all_give_evidence) {
  const MinerProfile fleet[] = {{11, 5, 12'000, kTls12},   {12, 35, 15'000, kTls13}, {13, 90, 30'000, kTls12},
                                {14, 180, 45'000, kTls13}, {15, 1, 20'000, kTls13},  {16, 60, 55'000, kTls12}};
  for (const auto &p : fleet)
    check(
        {fmt::format("fleet seed {} rtt {}", p.seed, p.rtt_ms), [p] { return xmrigTls(p); }, true, kRhythmWeights[3]});
}

// A fast miner (a share every ~8 s) fills the first 64 messages with
// shares and results before the third job arrives: two jobs with many
// answered shares are enough (RhythmSettings::few_unanswered_pushes), so
// the data path's N does not hide it. Pinned so a change of N shows up.
BOOST_AUTO_TEST_CASE(a_fast_miner_is_seen_in_64_messages_by_two_jobs) {
  RhythmDetector detector;
  auto in64 = detector.measure(xmrigTls({11, 5, 8'000, kTls12, 15 * kMinute, 64}));
  BOOST_TEST(in64.unanswered_pushes < 3u);
  BOOST_TEST(in64.answered_requests >= 4u);
  auto e64 = detector.evidenceOf(in64);
  BOOST_REQUIRE(e64);
  BOOST_TEST(e64->weight >= kRhythmSizedWeight);
  auto in128 = xmrigTls({11, 5, 8'000, kTls12, 15 * kMinute, 128});
  auto e = detector.evaluate(in128);
  BOOST_REQUIRE(e);
  BOOST_TEST(e->weight >= kRhythmWeights[3]);
}

// One job with two shares is not enough to say anything: a request/answer
// API with one server push looks the same.
BOOST_AUTO_TEST_CASE(one_job_says_nothing) {
  RhythmDetector detector;
  auto f = detector.measure(xmrigTls({11, 5, 8'000, kTls12, 35'000, 64}));
  BOOST_TEST(f.unanswered_pushes < 2u);
  BOOST_TEST(!detector.evidenceOf(f));
}

// A pool that sends the next job right behind a share's result: TLS keeps
// them two records, the data path one message (one burst). The answer is
// the first record; the job behind it is still a push.
BOOST_AUTO_TEST_CASE(a_job_behind_a_result_is_still_a_push) {
  constexpr auto Up = Message::Direction::ToServer, Down = Message::Direction::ToClient;
  MessageSequence m{{Up, 517, 0, 22, 512},
                    {Down, 1325, 4, 22, 122},
                    {Up, 80, 3, 20, 1},
                    {Up, 298, 1, 23, 293},
                    {Down, 454, 4, 23, 449}};
  for (int job = 0; job < 3; ++job) {
    for (int share = 0; share < 3; ++share) {
      m.push_back({Up, 195, 4'000, 23, 190});
      m.push_back({Down, 85, 4, 23, 80});
    }
    m.push_back({Up, 195, 4'000, 23, 190});
    m.push_back({Down, 85 + 383, 4, 23, 80}); // result, then a job in the same burst
  }
  m.push_back({Up, 195, 4'000, 23, 190});
  auto f = RhythmDetector{}.measure(m);
  BOOST_TEST(f.unanswered_pushes == 3u);
  BOOST_TEST(f.answered_requests == 13u); // the login and twelve shares
  BOOST_TEST(f.push_bytes_max == 383u);
  BOOST_TEST(f.sizes);
  BOOST_TEST(f.pairing);
}

// Results much later than the path's quickest turn (a queue that fills,
// Wi-Fi retries) leave shares "unanswered": the window is tied to the RTT,
// so a jittery path loses the pairing. A miss, never a false alarm; pinned
// so a wider window (to fit on lab data) shows up here.
BOOST_AUTO_TEST_CASE(a_very_jittery_path_loses_the_pairing) {
  RhythmDetector detector;
  auto f = detector.measure(xmrigTls({5, 20, 20'000, kTls13, 15 * kMinute, 64, 300}));
  BOOST_TEST_MESSAGE("jitter 300 rtt 20: " << f.answered_requests << " of " << f.requests << " answered");
  BOOST_TEST(f.answered_requests < f.requests);
}

BOOST_AUTO_TEST_CASE(benign_look_alikes_do_not_flag) {
  std::vector<Case> cases;
  for (std::uint64_t seed : {21, 22, 23}) {
    cases.push_back({fmt::format("event stream acked {}", seed), [seed] { return eventStreamAcked(seed); }, false});
    cases.push_back({fmt::format("websocket feed {}", seed), [seed] { return websocketFeed(seed); }, false});
    cases.push_back({fmt::format("chat websocket {}", seed), [seed] { return chatWebsocket(seed); }, false});
    cases.push_back({fmt::format("grpc bidi {}", seed), [seed] { return grpcBidi(seed); }, false});
    cases.push_back({fmt::format("ssh session {}", seed), [seed] { return sshSession(seed); }, false});
    cases.push_back({fmt::format("mqtt keepalive {}", seed), [seed] { return mqttKeepalive(seed); }, false});
    cases.push_back({fmt::format("https long-poll {}", seed), [seed] { return httpsLongPoll(seed); }, false});
  }
  for (const auto &c : cases)
    check(c);
}

// Acked event streams and long-polls answer the server: the pairing
// pattern itself fails, so they must give nothing at all.
BOOST_AUTO_TEST_CASE(streams_that_answer_the_server_give_nothing) {
  RhythmDetector detector;
  for (std::uint64_t seed : {21, 22, 23}) {
    BOOST_TEST(!detector.evaluate(eventStreamAcked(seed)));
    BOOST_TEST(!detector.evaluate(httpsLongPoll(seed)));
  }
}

BOOST_AUTO_TEST_CASE(too_little_conversation_gives_nothing) {
  RhythmDetector detector;
  auto miner = xmrigTls({1, 40, 20'000, kTls13});
  // Handshake, login and its result, then a few jobs and shares: not yet
  // 3 unanswered pushes and 2 answered requests.
  for (std::size_t n : {0, 1, 2, 5, 8}) {
    BOOST_TEST_CONTEXT("first " << n << " messages") {
      auto f = detector.measure(truncated(miner, n));
      BOOST_TEST(!f.enough);
      BOOST_TEST(!detector.evaluate(truncated(miner, n)));
    }
  }
  // One request, answered; pushes galore: still nothing.
  MessageSequence one_answer = {{Up, 300, 0, 23, 295}, {Down, 90, 40, 23, 85}};
  for (int i = 0; i < 6; ++i)
    one_answer.push_back({Down, 400, 30'000, 23, 395});
  BOOST_TEST(!detector.evaluate(one_answer));
  BOOST_TEST(detector.measure(one_answer).unanswered_pushes == 5); // the last one is not counted
}

BOOST_AUTO_TEST_CASE(real_captures) {
  std::vector<Case> cases = {
      // Plaintext Monero Stratum: sizes, rhythm and balance all fit.
      {"xmr-stak (ndpi_mining)", [] { return captured::kXmrStakMonero; }, true, kRhythmWeights[3]},
      // ETH proxy: 40-byte results are below the band, so only the pairing.
      {"ethproxy (nicehash)", [] { return captured::kNiceHashEthProxy; }, true, kRhythmWeights[0]},
  };
  for (const auto &c : cases)
    check(c);
  // bfgminer answers every job: not Stratum's pairing, and it says nothing.
  check({"bfgminer (bitcoin-mining)", [] { return captured::kBfgminerBitcoin; }, false});
  BOOST_TEST(!RhythmDetector{}.evaluate(captured::kBfgminerBitcoin));
}

BOOST_AUTO_TEST_CASE(sentence_carries_the_numbers) {
  // A hand-made Stratum-in-TLS sequence with known numbers.
  MessageSequence s = {
      {Up, 517, 0, 22, 512},        {Down, 2900, 41, 22, 2895},   {Up, 400, 1, 20, 1},     // handshake + login
      {Down, 800, 45, 23, 795},     {Down, 420, 31'000, 23, 415},                          // result+job, job
      {Up, 210, 9'000, 23, 205},    {Down, 95, 44, 23, 90},                                // share, result
      {Down, 380, 30'000, 23, 375}, {Up, 200, 12'000, 23, 195},   {Down, 100, 52, 23, 95}, // job, share, result
      {Down, 450, 25'000, 23, 445}, {Up, 190, 3'000, 23, 185},    {Down, 88, 47, 23, 83},  // job, share, result
      {Down, 400, 40'000, 23, 395}, {Up, 190, 5'000, 23, 185},    {Down, 88, 47, 23, 83},  // job, share, result
  };
  RhythmDetector detector;
  auto f = detector.measure(s);
  BOOST_TEST(f.rtt_from_handshake);
  BOOST_TEST(f.rtt_ms == 41u);
  BOOST_TEST(f.answer_window_ms == 2 * 41u + 30u);
  BOOST_TEST(f.pushes == 4u);
  BOOST_TEST(f.unanswered_pushes == 4u);
  BOOST_TEST(f.requests == 4u); // the last share's result ends the sequence: the share counts
  BOOST_TEST(f.answered_requests == 4u);
  BOOST_TEST(f.push_interval_min_ms == 37'052u); // jobs at 31.087, 70.131, 107.183, 150.230 s
  BOOST_TEST(f.push_interval_max_ms == 43'047u);
  auto e = detector.evaluate(s);
  BOOST_REQUIRE(e);
  BOOST_TEST_MESSAGE(e->reason);
  BOOST_TEST(e->reason.find("4 of 4 server pushes left unanswered") != std::string::npos);
  BOOST_TEST(e->reason.find("4 of 4 client messages of 190-210 B answered in 44-52 ms (RTT 41 ms) by 88-100 B") !=
             std::string::npos);
  for (const auto &line : f.lines())
    BOOST_TEST_MESSAGE("  " << line);
}

// A client that answers each push at once loses the pairing, whatever else
// fits: the flip that separates an acked feed from a pool.
BOOST_AUTO_TEST_CASE(answered_pushes_break_the_pattern) {
  auto miner = xmrigTls({1, 40, 20'000, kTls13});
  MessageSequence acked;
  for (const auto &m : miner) {
    acked.push_back(m);
    if (!m.toServer() && m.gap_ms > 1'000) // a job: ack it 2 ms later
      acked.push_back({Up, 150, 2, 23, 145});
  }
  BOOST_TEST(RhythmDetector{}.evaluate(miner).has_value());
  BOOST_TEST(!RhythmDetector{}.evaluate(acked).has_value());
}

BOOST_AUTO_TEST_CASE(weights_table_is_ordered) {
  // The weights are fitted (tools/fit_rhythm_weights.py); what the fit must
  // keep: more supporting features never weigh less; a cell without the
  // sizes bit weighs less than kRhythmSizedWeight (fan-in counts only
  // Stratum-sized rhythm); only a cell with the sizes bit reaches the
  // suspicious line; nothing passes the cap 0.6, so rhythm alone never
  // reaches mining. And the whole Stratum rhythm alone makes a flow
  // suspicious: a TLS miner with an SNI on :443 has no other evidence.
  constexpr unsigned kSizes = 2;
  for (unsigned i = 0; i < kRhythmWeights.size(); ++i) {
    BOOST_TEST_CONTEXT("cell " << i) {
      for (unsigned j = 0; j < kRhythmWeights.size(); ++j)
        if ((i & j) == i)
          BOOST_TEST(kRhythmWeights[i] <= kRhythmWeights[j]);
      if (i & kSizes)
        BOOST_TEST(kRhythmWeights[i] >= kRhythmSizedWeight);
      else
        BOOST_TEST(kRhythmWeights[i] < kRhythmSizedWeight);
      if (kRhythmWeights[i] >= kDefault.suspicious)
        BOOST_TEST((i & kSizes) != 0u);
      BOOST_TEST(kRhythmWeights[i] <= 0.6);
      BOOST_TEST(kRhythmWeights[i] < kDefault.mining);
    }
  }
  BOOST_TEST(kRhythmWeights[7] >= kDefault.suspicious);
}

BOOST_AUTO_TEST_SUITE_END()
