// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A JSON message split over a direction's first packets, as the data path
// samples them: each packet's first 256 bytes, the carry joining them.
#include "classify/json_carry.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace minewatch;
using namespace minewatch::test;

namespace {
// A pool's notify with "params" first: "method" sits past byte 256.
const std::string kNotify =
    R"({"params":["bf","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000","01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008","072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000",[],"00000002","1c2ac4af","504e86b9",false],"id":null,"method":"mining.notify"})"
    "\n";
const std::string kShortNotify =
    R"({"params":["5d2a","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000","0100000001","00000000",[],"20000000","1c2ac4af","504e86b9",true],"id":null,"method":"mining.notify"})"
    "\n";
const std::string kDifficulty = R"({"id":null,"method":"mining.set_difficulty","params":[2]})"
                                "\n";
constexpr std::size_t kRest = 0; // the packet takes what is left

struct SplitCase {
  const char *name;
  std::string stream;               // what the pool sent
  std::vector<std::size_t> packets; // payload sizes, in order
  std::vector<std::string> methods; // mining methods found, sample by sample
};

const std::vector<SplitCase> &splitCases() {
  static const std::vector<SplitCase> cases = {
      {"params-first notify, whole in one packet", kShortNotify, {kRest}, {"mining.notify"}},
      // The data path's limit: the method is past the 256 bytes it samples of
      // the packet, and no later packet continues the sample.
      {"params-first notify cut by the sample limit", kNotify, {kRest}, {}},
      {"params-first notify over two packets", kNotify, {200, kRest}, {"mining.notify"}},
      {"params-first notify over three packets", kNotify, {150, 150, kRest}, {"mining.notify"}},
      {"a cut packet leaves a gap: nothing joined", kNotify, {300, kRest}, {}},
      {"a whole message, then the start of the next",
       kDifficulty + kNotify,
       {230, kRest},
       {"mining.set_difficulty", "mining.notify"}},
  };
  return cases;
}

std::vector<std::string> minedMethods(const SplitCase &c) {
  classify::JsonCarry carry;
  std::vector<std::string> found;
  std::size_t at = 0;
  for (std::size_t size : c.packets) {
    std::string packet = c.stream.substr(at, size == kRest ? std::string::npos : size);
    at += packet.size();
    auto sample = std::string_view(packet).substr(0, kSampleBytes);
    auto text = carry.join(sample, sample.size() == packet.size());
    auto facts = classify::classifyPayload(bytesOf(text), fromServer());
    if (facts.mining)
      found.insert(found.end(), facts.methods.begin(), facts.methods.end());
  }
  return found;
}
} // namespace

BOOST_AUTO_TEST_SUITE(json_carry)

BOOST_AUTO_TEST_CASE(a_message_split_over_packets_is_read_whole) {
  for (const auto &c : splitCases()) {
    BOOST_TEST_CONTEXT(c.name) { BOOST_TEST(minedMethods(c) == c.methods, boost::test_tools::per_element()); }
  }
}

BOOST_AUTO_TEST_CASE(binary_payload_is_not_carried) {
  classify::JsonCarry carry;
  std::string tls("\x17\x03\x03\x01\x00\n{\"a\":\x01", 13);
  BOOST_TEST(carry.join(tls, true) == tls);
  BOOST_TEST(carry.empty());
}

BOOST_AUTO_TEST_CASE(the_carry_is_bounded) {
  // An array that never ends: kept while four samples' worth or less.
  classify::JsonCarry carry;
  std::string piece;
  while (piece.size() < 200)
    piece += "1,";
  std::size_t joined = carry.join("{\"params\":[" + piece, true).size();
  int samples = 1;
  for (; !carry.empty() && samples < 10; ++samples)
    joined = carry.join(piece, true).size();
  BOOST_TEST(carry.empty());
  BOOST_TEST(samples == 6);
  BOOST_TEST(joined >= classify::JsonCarry::kMaxText);
  BOOST_TEST(joined < classify::JsonCarry::kMaxText + piece.size());
}

BOOST_AUTO_TEST_SUITE_END()
