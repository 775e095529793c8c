// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Every message of shared/signatures.md, compact and spaced, whole and cut
// to the sensor's 256 bytes, plus JSON-RPC that must not count as mining.
#include "signature_samples.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch;
using namespace minewatch::test;
using classify::Protocol;

namespace {
bool prefixEither(const std::string &a, const std::string &b) {
  return a.compare(0, b.size(), b) == 0 || b.compare(0, a.size(), a) == 0;
}

void check(const SignatureSample &s, const std::string &text) {
  auto context = s.from_server ? fromServer() : toServer();
  auto facts = classifyText(text, context);
  BOOST_TEST_INFO("facts: " << classify::describe(facts));
  BOOST_TEST(classify::protocolName(facts.protocol) == classify::protocolName(s.protocol));
  BOOST_TEST(facts.mining == s.mining);
  if (!s.method.empty()) {
    BOOST_TEST_REQUIRE(!facts.methods.empty());
    BOOST_TEST(facts.methods.front() == s.method);
  }
  if (s.mining) {
    // The message itself names the sender's part, without the direction.
    auto blind = context;
    blind.direction = classify::Direction::Unknown;
    auto role = classify::classifyPayload(bytesOf(text.substr(0, kSampleBytes)), blind).sender;
    BOOST_TEST(role == (s.from_server ? classify::Role::Pool : classify::Role::Miner));
  }
  if (!s.agent.empty()) {
    BOOST_TEST(!facts.agent.empty());
    BOOST_TEST(prefixEither(facts.agent, s.agent), facts.agent << " vs " << s.agent);
  }
}

void checkAllForms(const SignatureSample &s) {
  for (const std::string &text : {s.text, spaced(s.text)}) {
    BOOST_TEST_CONTEXT(s.name << (text == s.text ? " (compact)" : " (spaced)") << ", " << text.size() << " bytes") {
      check(s, text);
    }
  }
}
} // namespace

BOOST_AUTO_TEST_SUITE(signatures)

BOOST_AUTO_TEST_CASE(mining_messages_are_recognised) {
  for (const auto &s : miningSamples())
    checkAllForms(s);
}

BOOST_AUTO_TEST_CASE(non_mining_json_rpc_is_not_mining) {
  for (const auto &s : benignSamples())
    checkAllForms(s);
}

BOOST_AUTO_TEST_CASE(cut_samples_say_so) {
  for (const auto &s : miningSamples()) {
    if (s.text.size() <= kSampleBytes)
      continue;
    BOOST_TEST_CONTEXT(s.name) { BOOST_TEST(classifyText(s.text).truncated); }
  }
}

BOOST_AUTO_TEST_CASE(several_messages_in_one_payload) {
  // A pool's first segment: subscribe result, difficulty and a job at once.
  auto facts = classifyText(
      R"({"result":[[["mining.notify","1"],["mining.set_difficulty","2"]],"00b61738",4],"error":null,"id":0})"
      "\n"
      R"({"method":"mining.set_difficulty","params":[4096],"id":1})"
      "\n"
      R"({"method":"mining.notify","params":["274a-1","fbba9401ee005faba18d7bcd8444d9a2a3ec320d002ac0380000)",
      fromServer());
  BOOST_TEST(facts.protocol == Protocol::StratumV1);
  BOOST_TEST(facts.mining);
  BOOST_TEST((facts.methods == std::vector<std::string>{"mining.set_difficulty", "mining.notify"}));
  BOOST_TEST(facts.truncated);
}

BOOST_AUTO_TEST_CASE(mining_wins_over_plain_replies_in_the_same_payload) {
  auto facts = classifyText(R"({"id":2,"result":true,"error":null})"
                            "\n"
                            R"({"id":null,"method":"mining.set_difficulty","params":[8]})"
                            "\n",
                            fromServer());
  BOOST_TEST(facts.protocol == Protocol::StratumV1);
  BOOST_TEST(facts.mining);
}

BOOST_AUTO_TEST_CASE(a_sample_starting_mid_message_reads_the_next_line) {
  auto facts = classifyText(R"(0000000000000000","target":"b88d0600"}})"
                            "\n"
                            R"({"jsonrpc":"2.0","method":"job","params":{"blob":"0e0e","job_id":"1","target":"ff"}})",
                            fromServer());
  BOOST_TEST(facts.protocol == Protocol::MoneroStratum);
  BOOST_TEST(facts.mining);
}

BOOST_AUTO_TEST_CASE(cut_method_names_are_not_guessed) {
  // "mining.sub" could be anything; the classifier does not complete it.
  auto facts = classifyText(R"({"id":1,"method":"eth_get)");
  BOOST_TEST(!facts.mining);
  BOOST_TEST(facts.truncated);
}

BOOST_AUTO_TEST_CASE(empty_and_blank_payloads) {
  BOOST_TEST(classifyText("").protocol == Protocol::Unknown);
  BOOST_TEST(classifyText("\r\n\r\n   ").protocol == Protocol::Unknown);
  BOOST_TEST(classifyText("{}").protocol == Protocol::Unknown);
}

BOOST_AUTO_TEST_CASE(describe_names_the_reason) {
  auto facts = classifyText(miningSamples()[0].text);
  BOOST_TEST(classify::describe(facts) == "stratum-v1 mining from miner: subscribe; agent cpuminer/2.5.1");
}

BOOST_AUTO_TEST_CASE(the_direction_names_the_sender_when_the_message_does_not) {
  std::string text = R"({"id":5,"method":"mining.ping","params":[]})";
  BOOST_TEST(classifyText(text, fromServer()).sender == classify::Role::Pool);
  BOOST_TEST(classifyText(text, toServer()).sender == classify::Role::Miner);
  auto unknown = toServer();
  unknown.direction = classify::Direction::Unknown;
  BOOST_TEST(classifyText(text, unknown).sender == classify::Role::Unknown);
  BOOST_TEST(classifyText(text, unknown).mining);
  // A pool's notify stays the pool's, whatever the direction guess says.
  BOOST_TEST(classifyText(R"({"id":null,"method":"mining.notify","params":[]})", toServer()).sender ==
             classify::Role::Pool);
}

BOOST_AUTO_TEST_SUITE_END()
