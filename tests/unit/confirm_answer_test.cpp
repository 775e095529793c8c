// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The prober's judge of what a server answered: real pool answers in each
// dialect (the test pool's, XMRig's and the public pools' shapes) against
// look-alikes that must not confirm (HTTP, TLS, JSON event streams, echoes,
// a generic "method not found" that names our method).
#include "confirm/answer_shape.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

using minewatch::confirm::AnswerShape;
using minewatch::confirm::Dialect;

namespace minewatch::confirm {
// Boost.Test prints both sides of a failed comparison.
inline std::ostream &operator<<(std::ostream &os, AnswerShape s) { return os << toString(s); }
} // namespace minewatch::confirm

namespace {

using namespace std::string_literals;

const std::string kHash(64, 'a');
const std::string kMoneroJob = R"({"blob":"0e0ee8b8dd8f06a0a0","job_id":"1","target":"c6a70000","algo":"cn-pico",)"
                               R"("height":1001,"seed_hash":"c0c0","id":"lab"})";

struct Case {
  const char *description;
  Dialect dialect;
  std::string answer;
  AnswerShape expected;
  const char *reason_has; // a word the reason must hold ("" for any)
};

const std::vector<Case> kCases = {
    // --- pool answers (confirm) ---
    {"tests/lab/stratum_pool.py login result", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"lab","job":)" + kMoneroJob +
         R"(,"status":"OK","extensions":["algo","keepalive"]}})"
         "\n",
     AnswerShape::PoolJob, "with a job"},
    {"XMRig-proxy style login result, CRLF", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"0f1e2d3c","job":{"blob":"1010","job_id":"AbC1",)"
     R"("target":"b88d0600","algo":"rx/0","height":3000000,"seed_hash":"ff"},"extensions":["nicehash"],)"
     R"("status":"OK"}})"
     "\r\n",
     AnswerShape::PoolJob, "with a job"},
    {"login result with a session id and status, job later", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"3a7f","status":"OK"}})"
     "\n",
     AnswerShape::PoolJob, "session id"},
    {"Monero job pushed before the login result", Dialect::MoneroLogin,
     R"({"jsonrpc":"2.0","method":"job","params":)" + kMoneroJob + "}\n", AnswerShape::PoolJob, "pushed"},
    {"nodejs-pool refusing the throwaway address", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":-1,"message":"Invalid payment address provided: 4Minewatch"}})"
     "\n",
     AnswerShape::PoolError, "Invalid payment address"},
    {"MoneroOcean's long refusal", Dialect::MoneroLogin,
     R"({"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"Invalid payment address provided: SN. Please use )"
     R"(95_char_long_monero_wallet_address format"},"result":null})"
     "\n",
     AnswerShape::PoolError, "Invalid payment address"},
    // Generic authentication refusals do not confirm: any API behind a
    // login says them (the next dialect may still confirm a pool).
    {"a refusal in Stratum's array form, only 'login'", Dialect::MoneroLogin,
     R"({"error":[-3,"login",null],"id":1,"result":null})", AnswerShape::OtherRpc, "login"},
    {"a pool with an access password (xmrig-proxy style)", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":-1,"message":"Invalid password"}})"
     "\n",
     AnswerShape::OtherRpc, "password"},
    {"an API behind a login", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":401,"message":"Unauthorized: login required"}})"
     "\n",
     AnswerShape::OtherRpc, "Unauthorized"},
    {"a job result without a status", Dialect::MoneroLogin,
     R"({"jsonrpc":"2.0","result":{"job":{"blob":"0909","target":"e4a63d00","job_id":"8"},"id":"e1f2"},"id":1})"
     "\n",
     AnswerShape::PoolJob, "with a job"},
    {"test pool Stratum v1 subscribe + authorize", Dialect::StratumV1,
     R"({"id":1,"result":[[["mining.notify","1"]],"08000002",4],"error":null})"
     "\n"
     R"({"id":2,"result":true,"error":null})"
     "\n",
     AnswerShape::PoolJob, "mining.notify"},
    {"ckpool subscribe (set_difficulty first)", Dialect::StratumV1,
     R"({"result":[[["mining.set_difficulty","d1"],["mining.notify","d1"]],"f8002c90",8],"error":null,"id":1})"
     "\n",
     AnswerShape::PoolJob, "subscription"},
    {"Stratum v1 set_difficulty pushed first", Dialect::StratumV1,
     R"({"id":null,"method":"mining.set_difficulty","params":[16384]})"
     "\n",
     AnswerShape::PoolJob, "mining.set_difficulty"},
    {"Stratum v1 subscribe refused, worker unauthorized", Dialect::StratumV1,
     R"({"id":1,"result":true,"error":null})"
     "\n"
     R"({"id":2,"result":null,"error":[24,"Unauthorized worker",null]})"
     "\n",
     AnswerShape::PoolError, "Unauthorized worker"},
    {"Stratum 'Not subscribed'", Dialect::StratumV1, R"({"id":2,"result":null,"error":[25,"Not subscribed",null]})",
     AnswerShape::PoolError, "Not subscribed"},
    {"NiceHash EthereumStratum/1.0.0 subscribe", Dialect::EthereumStratum,
     R"({"id":1,"jsonrpc":"2.0","result":[["mining.notify","ae6812eb4cd7735a302a8a9dd95cf71f",)"
     R"("EthereumStratum/1.0.0"],"080c"],"error":null})"
     "\n",
     AnswerShape::PoolJob, "EthereumStratum/1.0.0"},
    {"EthereumStratum notify", Dialect::EthereumStratum,
     R"({"id":null,"method":"mining.notify","params":["bf0488aa",")" + kHash + R"(",")" + kHash + R"(",true]})" + "\n",
     AnswerShape::PoolJob, "mining.notify"},
    {"EthereumStratum set_target", Dialect::EthereumStratum,
     R"({"id":null,"method":"mining.set_target","params":["00000001)" + kHash.substr(8) + R"("]})" + "\n",
     AnswerShape::PoolJob, "mining.set_target"},
    {"ETH proxy login + getWork", Dialect::EthProxy,
     R"({"id":1,"jsonrpc":"2.0","result":true})"
     "\n"
     R"({"id":2,"jsonrpc":"2.0","result":["0x)" +
         kHash + R"(","0x)" + kHash + R"(","0x00000000ffff"]})" + "\n",
     AnswerShape::PoolJob, "ETH work"},
    {"ETH proxy login refused, error object", Dialect::EthProxy,
     R"({"id":1,"jsonrpc":"2.0","result":null,"error":{"code":-1,"message":"Invalid login"}})"
     "\n",
     AnswerShape::OtherRpc, "Invalid login"},
    {"ETH proxy login refused, error string", Dialect::EthProxy,
     R"({"id":1,"jsonrpc":"2.0","result":false,"error":"Invalid wallet address"})"
     "\n",
     AnswerShape::PoolError, "wallet"},
    {"a pool answer arriving after a neutral line", Dialect::EthProxy,
     R"({"id":1,"jsonrpc":"2.0","result":true})"
     "\n"
     R"({"id":null,"method":"client.get_version","params":[]})"
     "\n"
     R"({"id":null,"method":"mining.notify","params":[]})"
     "\n",
     AnswerShape::PoolJob, "mining.notify"},

    // --- JSON-RPC, not a pool's (try the next dialect) ---
    {"generic method not found", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"}})"
     "\n",
     AnswerShape::OtherRpc, "Method not found"},
    {"test pool's unknown method", Dialect::EthProxy,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":-1,"message":"?"}})"
     "\n",
     AnswerShape::OtherRpc, "error"},
    {"method not found naming our login method", Dialect::MoneroLogin,
     R"({"id":1,"jsonrpc":"2.0","error":{"code":-32000,"message":"Method 'login' not found"}})"
     "\n",
     AnswerShape::OtherRpc, "error"},
    {"unknown method naming mining.subscribe", Dialect::StratumV1,
     R"({"id":1,"result":null,"error":[20,"Unknown method: mining.subscribe",null]})"
     "\n",
     AnswerShape::OtherRpc, "error"},
    {"eth_submitLogin does not exist", Dialect::EthProxy,
     R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"the method eth_submitLogin does not exist"}})"
     "\n",
     AnswerShape::OtherRpc, "error"},
    {"a login word in an error to someone else's id", Dialect::MoneroLogin,
     R"({"id":7,"jsonrpc":"2.0","error":{"code":-1,"message":"invalid user"}})"
     "\n",
     AnswerShape::OtherRpc, "error"},
    {"an error with a code only", Dialect::MoneroLogin, R"({"id":1,"jsonrpc":"2.0","error":{"code":-1}})" + "\n"s,
     AnswerShape::OtherRpc, "code"},
    {"a bare result true", Dialect::StratumV1, R"({"id":1,"result":true,"error":null})" + "\n"s, AnswerShape::OtherRpc,
     ""},
    {"work-like array with short hashes", Dialect::EthProxy,
     R"({"id":2,"jsonrpc":"2.0","result":["0x1","0x2","0x3"]})"
     "\n",
     AnswerShape::OtherRpc, ""},
    {"an object result that is not a login", Dialect::StratumV1,
     R"({"id":1,"jsonrpc":"2.0","result":{"id":"x","status":"OK"}})"
     "\n",
     AnswerShape::OtherRpc, ""},

    // --- nothing yet ---
    {"no bytes", Dialect::MoneroLogin, "", AnswerShape::Empty, "no bytes"},
    {"a login result cut in the middle", Dialect::MoneroLogin, R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id")",
     AnswerShape::Empty, "incomplete"},
    {"blank lines", Dialect::MoneroLogin, "\r\n\n  \n", AnswerShape::Empty, ""},

    // --- not a pool (refute at once) ---
    {"HTTP 400 from a web server", Dialect::MoneroLogin,
     "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nBad Request",
     AnswerShape::NotPool, "HTTP/1.1 400"},
    {"Python http.server's HTTP/1.0 error", Dialect::StratumV1,
     "HTTP/1.0 400 Bad request version ('\"jsonrpc\":')\r\nServer: BaseHTTP/0.6\r\n\r\n", AnswerShape::NotPool, "HTTP"},
    {"a TLS alert to a plain request", Dialect::MoneroLogin, "\x15\x03\x01\x00\x02\x02\x46"s, AnswerShape::NotPool,
     "TLS alert"},
    {"a TLS handshake record", Dialect::MoneroLogin, "\x16\x03\x03\x00\x5a\x02\x00\x00"s, AnswerShape::NotPool, "TLS"},
    {"Python http.server's HTTP/0.9 error page", Dialect::MoneroLogin,
     "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n", AnswerShape::NotPool, "HTML"},
    {"an SSH banner", Dialect::MoneroLogin, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", AnswerShape::NotPool, "SSH"},
    {"MQTT CONNACK", Dialect::MoneroLogin, "\x20\x02\x00\x00"s, AnswerShape::NotPool, "binary"},
    {"random bytes", Dialect::EthProxy, "\x8f\x00\x13\xfe{\"id\":1}\n"s, AnswerShape::NotPool, "binary"},
    {"an SMTP greeting", Dialect::MoneroLogin, "220 mail.example.com ESMTP Postfix\r\n", AnswerShape::NotPool,
     "not JSON"},
    {"a Redis error", Dialect::StratumV1, "-ERR unknown command '{\"id\":1,'\r\n", AnswerShape::NotPool, "not JSON"},
    {"text without a newline yet", Dialect::MoneroLogin, "hello wor", AnswerShape::NotPool, "not JSON"},
    {"a broken JSON line", Dialect::MoneroLogin, "{\"id\":1,,}\n", AnswerShape::NotPool, "not JSON"},
    {"JSON event stream (hard_negative_servers eventstream)", Dialect::MoneroLogin,
     R"({"type":"event","id":1,"ts":1700000000.5,"data":{"channel":"orders","count":3}})"
     "\n",
     AnswerShape::NotPool, "not JSON-RPC"},
    {"a pong", Dialect::StratumV1, R"({"type":"pong"})" + "\n"s, AnswerShape::NotPool, "not JSON-RPC"},
    {"a JSON array", Dialect::EthProxy, "[1,2,3]\n", AnswerShape::NotPool, "not JSON-RPC"},
    {"a banner before a pool answer: the first line decides", Dialect::MoneroLogin,
     "Welcome\n"
     R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"lab","job":)" +
         kMoneroJob + "}}\n",
     AnswerShape::NotPool, "not JSON"},
    {"a neutral line, then text", Dialect::StratumV1, R"({"id":1,"result":true})" + "\nhello\n"s, AnswerShape::NotPool,
     "not JSON"},
    {"deep nesting", Dialect::StratumV1, std::string(5000, '[') + std::string(5000, ']') + "\n", AnswerShape::NotPool,
     "not JSON-RPC"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(confirm_answer_shape)

BOOST_AUTO_TEST_CASE(fixture_table) {
  for (const auto &c : kCases) {
    BOOST_TEST_CONTEXT(c.description << " [" << toString(c.dialect) << "]") {
      auto judged = minewatch::confirm::judgeAnswer(c.dialect, c.answer);
      BOOST_TEST(judged.shape == c.expected, judged.reason);
      BOOST_TEST(judged.reason.find(c.reason_has) != std::string::npos, judged.reason);
      BOOST_TEST(judged.reason.find('\n') == std::string::npos);
    }
  }
}

// Every request a dialect sends, echoed back by a line-echo server: never a
// pool, even though it is JSON-RPC naming mining methods.
BOOST_AUTO_TEST_CASE(our_requests_echoed_are_not_a_pool) {
  for (auto dialect : minewatch::confirm::kAllDialects) {
    BOOST_TEST_CONTEXT(toString(dialect)) {
      auto judged = minewatch::confirm::judgeAnswer(dialect, requestBytes(dialect));
      BOOST_TEST(judged.shape == AnswerShape::NotPool);
      BOOST_TEST(judged.reason.find("echoed") != std::string::npos, judged.reason);
    }
  }
}

// The prober stops reading at the first decision, wherever TCP cut the
// answer: so no prefix of an answer may decide otherwise than the whole
// (a pool's answer cut mid-line must not read as "not JSON").
BOOST_AUTO_TEST_CASE(no_prefix_decides_otherwise_than_the_whole) {
  for (const auto &c : kCases) {
    BOOST_TEST_CONTEXT(c.description) {
      auto whole = minewatch::confirm::judgeAnswer(c.dialect, c.answer).shape;
      std::string first_wrong; // the first prefix deciding otherwise, if any
      for (std::size_t n = 0; n < c.answer.size() && first_wrong.empty(); ++n) {
        auto part = minewatch::confirm::judgeAnswer(c.dialect, std::string_view(c.answer).substr(0, n));
        bool undecided = part.shape == AnswerShape::Empty || part.shape == AnswerShape::OtherRpc;
        if (!undecided && part.shape != whole)
          first_wrong = std::to_string(n) + " bytes: " + part.reason;
      }
      BOOST_TEST(first_wrong.empty(), first_wrong);
    }
  }
}

// Growing a pool answer byte by byte: empty, then incomplete (never a
// refutation on a partial line), then the pool's job once it is whole.
BOOST_AUTO_TEST_CASE(partial_answers_wait_for_the_line) {
  std::string answer = R"({"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"lab","job":)" + kMoneroJob + "}}\n";
  for (std::size_t n = 0; n + 1 < answer.size(); ++n) {
    auto judged = minewatch::confirm::judgeAnswer(Dialect::MoneroLogin, answer.substr(0, n));
    BOOST_TEST_CONTEXT(n << " bytes") {
      BOOST_TEST((judged.shape == AnswerShape::Empty || judged.shape == AnswerShape::PoolJob), judged.reason);
    }
  }
  BOOST_TEST(minewatch::confirm::judgeAnswer(Dialect::MoneroLogin, answer).shape == AnswerShape::PoolJob);
}

// When to stop reading: at a decision, or once every request has an answer.
BOOST_AUTO_TEST_CASE(settled_after_every_request_is_answered) {
  using minewatch::confirm::answerSettled;
  using minewatch::confirm::judgeAnswer;
  const std::string not_found = R"({"id":1,"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"}})"
                                "\n";
  BOOST_TEST(answerSettled(Dialect::MoneroLogin, judgeAnswer(Dialect::MoneroLogin, not_found)));
  BOOST_TEST(!answerSettled(Dialect::StratumV1, judgeAnswer(Dialect::StratumV1, not_found)));
  auto both = not_found + R"({"id":2,"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"}})" + "\n";
  BOOST_TEST(answerSettled(Dialect::StratumV1, judgeAnswer(Dialect::StratumV1, both)));
  BOOST_TEST(!answerSettled(Dialect::EthProxy, judgeAnswer(Dialect::EthProxy, "")));
  BOOST_TEST(answerSettled(Dialect::EthProxy, judgeAnswer(Dialect::EthProxy, "HTTP/1.1 200 OK\r\n")));
}

BOOST_AUTO_TEST_SUITE_END()
