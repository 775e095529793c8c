// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Control requests as a fixture table: each line a client might send, and
// the typed request or the one sentence it must get. parseRequest and
// answerError are what a fuzzer will call, so every refusal must be an
// std::invalid_argument and every answer valid JSON on one line.
#include "control/request.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

using namespace minewatch::control;
using namespace std::string_literals;

namespace {
struct Accepted {
  const char *description;
  std::string line;
  Request expected;
};

struct Refused {
  const char *description;
  std::string line;
  const char *why; // a part of the sentence
};

Request make(Command c) {
  Request r;
  r.command = c;
  return r;
}

Request with(Request r, void (*set)(Request &)) {
  set(r);
  return r;
}

const Accepted kAccepted[] = {
    {"status", R"({"cmd":"status"})", make(Command::Status)},
    {"spaces and a CR", " { \"cmd\" : \"status\" }\r", make(Command::Status)},
    {"unknown fields are ignored", R"({"cmd":"detections","x":[1,2]})", make(Command::Detections)},
    {"flows with top and sort", R"({"cmd":"flows","top":20,"sort":"age"})",
     with(make(Command::Flows),
          [](Request &r) {
            r.top = 20;
            r.sort = FlowSort::Age;
          })},
    {"flows defaults", R"({"cmd":"flows","sort":null})", make(Command::Flows)},
    {"explain", R"({"cmd":"explain","flow":"3409370e37c6"})",
     with(make(Command::Explain), [](Request &r) { r.flow = "3409370e37c6"; })},
    {"explain keeps an escaped NUL", R"({"cmd":"explain","flow":"a\u0000b"})",
     with(make(Command::Explain), [](Request &r) { r.flow = "a\0b"s; })},
    {"block_add with ttl", R"({"cmd":"block_add","target":"198.51.100.7:3333","ttl":3600})",
     with(make(Command::BlockAdd),
          [](Request &r) {
            r.target = "198.51.100.7:3333";
            r.ttl_s = 3600;
          })},
    {"block_add ttl at the maximum", R"({"cmd":"block_add","target":"10.0.0.0/8","ttl":315360000})",
     with(make(Command::BlockAdd),
          [](Request &r) {
            r.target = "10.0.0.0/8";
            r.ttl_s = kMaxTtlSeconds;
          })},
    {"block_del", R"({"cmd":"block_del","target":"10.0.0.0/8"})",
     with(make(Command::BlockDel), [](Request &r) { r.target = "10.0.0.0/8"; })},
    {"block_list whole", R"({"cmd":"block_list"})", make(Command::BlockList)},
    {"block_list a page", R"({"cmd":"block_list","offset":100,"limit":50})",
     with(make(Command::BlockList),
          [](Request &r) {
            r.offset = 100;
            r.limit = 50;
          })},
    {"allow_add", R"({"cmd":"allow_add","target":"192.0.2.0/24"})",
     with(make(Command::AllowAdd), [](Request &r) { r.target = "192.0.2.0/24"; })},
    {"allow_del", R"({"cmd":"allow_del","target":"192.0.2.0/24"})",
     with(make(Command::AllowDel), [](Request &r) { r.target = "192.0.2.0/24"; })},
    {"allow_list limit only", R"({"cmd":"allow_list","limit":0})",
     with(make(Command::AllowList), [](Request &r) { r.limit = 0; })},
};

const Refused kRefused[] = {
    {"empty line", "", "not a JSON object"},
    {"a lone 0xff", "\xff", "not a JSON object"},
    {"invalid UTF-8 in a string", "{\"cmd\":\"explain\",\"flow\":\"\xff\xfe\"}", "not a JSON object"},
    {"an overlong encoding", "{\"cmd\":\"\xc0\xaf\"}", "not a JSON object"},
    {"a lone surrogate", R"({"cmd":"explain","flow":"\ud800"})", "not a JSON object"},
    {"a raw NUL", "\0"s, "not a JSON object"},
    {"a NUL inside the command", "{\"cmd\":\"st\0atus\"}"s, "not a JSON object"},
    {"two objects", R"({"cmd":"status"}{"cmd":"status"})", "not a JSON object"},
    {"deep nesting", std::string(100000, '['), "not a JSON object"},
    {"not an object", R"("status")", "a request is a JSON object"},
    {"an array", R"([{"cmd":"status"}])", "a request is a JSON object"},
    {"no cmd", R"({})", "'cmd' is required"},
    {"cmd not a string", R"({"cmd":["status"]})", "'cmd' is required"},
    {"unknown command", R"({"cmd":"reboot"})", "unknown command 'reboot'"},
    {"a long unknown command is cut", R"({"cmd":")" + std::string(5000, 'x') + R"("})", "...'"},
    {"top negative", R"({"cmd":"flows","top":-1})", "'top' must be a non-negative whole number"},
    {"top a float", R"({"cmd":"flows","top":2.5})", "'top' must be a non-negative whole number"},
    {"top too big", R"({"cmd":"flows","top":99999999999})", "'top' must be at most"},
    {"sort unknown", R"({"cmd":"flows","sort":"size"})", "'sort' must be bytes, packets or age"},
    {"sort not a string", R"({"cmd":"flows","sort":1})", "'sort' is required and must be a string"},
    {"explain without flow", R"({"cmd":"explain"})", "'flow' is required"},
    {"block_add without target", R"({"cmd":"block_add","ttl":1})", "'target' is required"},
    {"ttl as text", R"({"cmd":"block_add","target":"10.0.0.0/8","ttl":"1h"})", "'ttl' must be a non-negative"},
    {"ttl too long", R"({"cmd":"block_add","target":"10.0.0.0/8","ttl":315360001})", "'ttl' must be at most"},
    {"ttl beyond uint64", R"({"cmd":"block_add","target":"10.0.0.0/8","ttl":1e400})", "not a JSON object"},
    {"limit negative", R"({"cmd":"block_list","limit":-5})", "'limit' must be a non-negative"},
    {"offset as text", R"({"cmd":"allow_list","offset":"5"})", "'offset' must be a non-negative"},
    {"allow_del target a number", R"({"cmd":"allow_del","target":7})", "'target' is required and must be a string"},
};

bool same(const Request &a, const Request &b) {
  return a.command == b.command && a.top == b.top && a.sort == b.sort && a.flow == b.flow && a.target == b.target &&
         a.ttl_s == b.ttl_s && a.offset == b.offset && a.limit == b.limit;
}
} // namespace

BOOST_AUTO_TEST_SUITE(control_request)

BOOST_AUTO_TEST_CASE(good_requests_are_typed) {
  for (const auto &c : kAccepted) {
    BOOST_TEST_CONTEXT(c.description) {
      try {
        BOOST_TEST(same(parseRequest(c.line), c.expected));
      } catch (const std::exception &e) {
        BOOST_TEST(false, "refused: " << e.what());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_requests_get_one_sentence) {
  for (const auto &c : kRefused) {
    BOOST_TEST_CONTEXT(c.description) {
      std::string why;
      try {
        parseRequest(c.line);
        why = "(accepted)";
      } catch (const std::invalid_argument &e) {
        why = e.what();
      } catch (const std::exception &e) {
        why = std::string("(not invalid_argument) ") + e.what();
      }
      BOOST_TEST(why.find(c.why) != std::string::npos, why);
      BOOST_TEST(why.find('\n') == std::string::npos);
      // The sentence goes back to the client: it must make a valid answer.
      auto answer = nlohmann::json::parse(answerError(why));
      BOOST_TEST(answer["ok"] == false);
    }
  }
}

BOOST_AUTO_TEST_CASE(answers_survive_any_bytes) {
  // The strict dumper throws on these; the agent used to die of it.
  std::string bad = "unknown flow '\xff\xfe\xc0'";
  std::string answer;
  BOOST_REQUIRE_NO_THROW(answer = answerError(bad));
  BOOST_TEST(answer.find('\n') == std::string::npos);
  auto parsed = nlohmann::json::parse(answer);
  BOOST_TEST(parsed["ok"] == false);
  BOOST_TEST(parsed["error"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos); // U+FFFD
  BOOST_REQUIRE_NO_THROW(answer = answerOk(nlohmann::json{{"sni", "\xff"}}));
  BOOST_TEST(nlohmann::json::parse(answer)["data"]["sni"] == "\xef\xbf\xbd");
  BOOST_TEST(answerOk(nlohmann::json::array({1, 2})) == R"({"data":[1,2],"ok":true})");
}

BOOST_AUTO_TEST_CASE(only_rule_changes_need_trust) {
  for (auto c : {Command::BlockAdd, Command::BlockDel, Command::AllowAdd, Command::AllowDel})
    BOOST_TEST(changesRules(c));
  for (auto c : {Command::Status, Command::Flows, Command::Detections, Command::Explain, Command::BlockList,
                 Command::AllowList, Command::Confirmations})
    BOOST_TEST(!changesRules(c));
}

BOOST_AUTO_TEST_SUITE_END()
