// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/answer_shape.hpp"

#include "confirm/printable.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace minewatch::confirm {
namespace {

using nlohmann::json;

constexpr std::size_t kQuoteLimit = 60; // bytes of a server's text quoted in a reason

// The methods our requests use: a server sending one back with our id is
// echoing, not answering.
constexpr std::array<std::string_view, 5> kOurMethods{"login", "mining.subscribe", "mining.authorize",
                                                      "eth_submitLogin", "eth_getWork"};

// Words of a pool's refusal of the throwaway login: "Invalid payment
// address provided", "Unauthorized worker", "Not subscribed". Generic
// authentication words ("unauthorized", "login", "user", "password") are
// left out on purpose: any API behind a login answers them, and a
// confirmation makes every flow to the server mining (and blocked); a pool
// that says only "Invalid login" is then refuted, its flows stay
// suspicious. A generic JSON-RPC server's "Method not found" must not
// confirm either (checked first, see isGenericError).
constexpr std::array<std::string_view, 7> kLoginWords{"wallet", "address", "worker", "miner",
                                                      "mining", "payment", "subscri"};

struct Decision {
  AnswerShape shape;
  std::string reason;
};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string quoteText(std::string_view text) { return "\"" + printableHead(text, kQuoteLimit) + "\""; }

bool hasKey(const json &object, const char *key) { return object.contains(key); }

bool isString(const json &object, const char *key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string();
}

bool isOurMethod(std::string_view method) {
  return std::find(kOurMethods.begin(), kOurMethods.end(), method) != kOurMethods.end();
}

bool isOurId(const json &message) {
  auto it = message.find("id");
  return it != message.end() && it->is_number_integer() && (*it == 1 || *it == 2);
}

/// The text of a JSON-RPC error in any of the forms pools use: a string,
/// {"code","message"}, or Stratum's [code, "message", data].
std::string errorText(const json &error) {
  if (error.is_string())
    return error.get<std::string>();
  if (error.is_object() && isString(error, "message"))
    return error["message"].get<std::string>();
  if (error.is_array())
    for (const auto &item : error)
      if (item.is_string())
        return item.get<std::string>();
  return error.dump(-1, ' ', false, json::error_handler_t::replace); // never throws on bad UTF-8
}

int errorCode(const json &error) {
  if (error.is_object() && error.contains("code") && error["code"].is_number_integer())
    return error["code"].get<int>();
  if (error.is_array() && !error.empty() && error[0].is_number_integer())
    return error[0].get<int>();
  return 0;
}

/// "Method not found" and its kin: a server that does not know the method,
/// whatever it is. Some name the method ("Method 'login' not found"), so
/// this is checked before the login words.
bool isGenericError(int code, std::string_view text) {
  if (code == -32601 || code == -32600 || code == -32700)
    return true;
  for (std::string_view word : {"method", "not found", "unknown command", "not implemented", "parse error"})
    if (text.find(word) != std::string_view::npos)
      return true;
  return false;
}

bool speaksOfLogin(std::string text) {
  // Our own strings may come back quoted in the message: they must not count.
  for (std::string_view own : {"minewatch-confirm", "minewatch.confirm"})
    for (auto at = text.find(own); at != std::string::npos; at = text.find(own))
      text.erase(at, own.size());
  return std::any_of(kLoginWords.begin(), kLoginWords.end(),
                     [&](std::string_view word) { return text.find(word) != std::string::npos; });
}

/// Whether `value` holds the string `needle`, looking a few levels deep
/// (a Stratum subscription is [[["mining.notify", id], ...], extranonce, n]).
bool holdsString(const json &value, std::string_view needle, int depth = 3) {
  if (value.is_string())
    return value.get_ref<const std::string &>() == needle;
  if (depth > 0 && value.is_array())
    return std::any_of(value.begin(), value.end(), [&](const json &v) { return holdsString(v, needle, depth - 1); });
  return false;
}

bool isHexWord(const json &value, std::size_t min_digits) {
  if (!value.is_string())
    return false;
  const auto &s = value.get_ref<const std::string &>();
  if (s.size() < 2 + min_digits || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return false;
  return std::all_of(s.begin() + 2, s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

/// eth_getWork's work: [header hash, seed hash, target, ...], 0x-hex, the
/// two hashes 32 bytes each.
bool isEthWork(const json &result) {
  return result.is_array() && result.size() >= 3 && isHexWord(result[0], 64) && isHexWord(result[1], 64) &&
         std::all_of(result.begin() + 2, result.end(), [](const json &v) { return isHexWord(v, 1); });
}

bool isMoneroJob(const json &job) {
  return job.is_object() && isString(job, "blob") && isString(job, "job_id") && isString(job, "target");
}

/// One line from the server, parsed: a decision, or nothing (a line a pool
/// might send that decides nothing: a result true, a client.reconnect).
std::optional<Decision> judgeMessage(Dialect dialect, const json &message) {
  if (!message.is_object() || !(hasKey(message, "method") || hasKey(message, "result") || hasKey(message, "error")))
    return Decision{AnswerShape::NotPool, "JSON that is not JSON-RPC"};

  if (isString(message, "method")) {
    const auto &method = message["method"].get_ref<const std::string &>();
    if (isOurMethod(method) && isOurId(message))
      return Decision{AnswerShape::NotPool, "our own request echoed back (" + method + ")"};
    const json params = message.value("params", json());
    if (method == "job" && isMoneroJob(params))
      return Decision{AnswerShape::PoolJob, "a pushed Monero job"};
    for (std::string_view push : {"mining.notify", "mining.set_difficulty", "mining.set_target"})
      if (method == push)
        return Decision{AnswerShape::PoolJob, "a pushed " + method};
    return std::nullopt; // a request or notification from the server: pools send some
  }

  const json &error = message.contains("error") ? message["error"] : json();
  bool no_error = error.is_null() || (error.is_boolean() && !error.get<bool>()) ||
                  (error.is_string() && error.get_ref<const std::string &>().empty());
  if (!no_error) {
    auto text = errorText(error);
    auto low = lower(text);
    if (!isGenericError(errorCode(error), low) && speaksOfLogin(low) && isOurId(message))
      return Decision{AnswerShape::PoolError, "a pool's refusal of the login: " + quoteText(text)};
    return Decision{AnswerShape::OtherRpc, "a JSON-RPC error: " + quoteText(text)};
  }

  const json &result = message.contains("result") ? message["result"] : json();
  if (result.is_object()) {
    if (isMoneroJob(result.value("job", json())))
      return Decision{AnswerShape::PoolJob, "a Monero login result with a job"};
    if (dialect == Dialect::MoneroLogin && isString(result, "id") && isString(result, "status"))
      return Decision{AnswerShape::PoolJob, "a Monero login result with a session id and status " +
                                                quoteText(result["status"].get<std::string>())};
  }
  if (result.is_array()) {
    if (holdsString(result, "EthereumStratum/1.0.0"))
      return Decision{AnswerShape::PoolJob, "an EthereumStratum/1.0.0 subscription"};
    for (std::string_view push : {"mining.notify", "mining.set_difficulty"})
      if (holdsString(result, push))
        return Decision{AnswerShape::PoolJob, "a Stratum subscription (" + std::string(push) + ")"};
    if (isEthWork(result))
      return Decision{AnswerShape::PoolJob, "ETH work (" + std::to_string(result.size()) + " 0x-hex words)"};
  }
  return std::nullopt; // e.g. {"id":2,"result":true}: a pool says it too, but so does anything
}

bool isResponse(const json &message) {
  return message.is_object() && message.contains("id") && !message["id"].is_null() &&
         (message.contains("result") || message.contains("error"));
}

/// Bytes that no JSON line holds: NUL and the other C0 controls but tab
/// and CR (UTF-8 text above 0x7f is fine in a JSON string).
bool isBinary(std::string_view line) {
  return std::any_of(line.begin(), line.end(), [](unsigned char c) { return c < 0x20 && c != '\t' && c != '\r'; });
}

std::string firstLine(std::string_view bytes) { return std::string(bytes.substr(0, bytes.find_first_of("\r\n"))); }

/// Answers recognised by their first bytes, before any line is complete.
std::optional<Decision> judgePrefix(std::string_view answer) {
  if (answer.starts_with("HTTP/"))
    return Decision{AnswerShape::NotPool, "an HTTP response (" + printableHead(firstLine(answer), kQuoteLimit) + ")"};
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(answer[i]); };
  if (answer.size() >= 2 && byte(0) >= 0x14 && byte(0) <= 0x17 && byte(1) == 0x03)
    return Decision{AnswerShape::NotPool, byte(0) == 0x15 ? "a TLS alert record (the server speaks TLS)"
                                                          : "a TLS record (the server speaks TLS)"};
  if (answer.starts_with("SSH-"))
    return Decision{AnswerShape::NotPool, "an SSH banner"};
  return std::nullopt;
}

AnswerJudgement judge(Dialect dialect, std::string_view answer) {
  AnswerJudgement out;
  if (answer.empty()) {
    out.reason = "no bytes";
    return out;
  }
  if (auto prefix = judgePrefix(answer)) {
    out.shape = prefix->shape;
    out.reason = std::move(prefix->reason);
    return out;
  }
  bool any_rpc = false, error_reason = false;
  std::string rpc_reason;
  std::size_t start = 0;
  while (start < answer.size()) {
    auto end = answer.find('\n', start);
    bool complete = end != std::string_view::npos;
    auto line = answer.substr(start, complete ? end - start : std::string_view::npos);
    start = complete ? end + 1 : answer.size();
    if (complete && line.ends_with('\r'))
      line.remove_suffix(1);
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
      continue;
    if (isBinary(line))
      return {AnswerShape::NotPool, "binary bytes, not JSON lines", out.responses};
    if (line[first] == '<') // a web server's error page, sent even without a status line (HTTP/0.9)
      return {AnswerShape::NotPool, "HTML or XML, not JSON: " + quoteText(line.substr(first)), out.responses};
    if (line[first] != '{' && line[first] != '[')
      return {AnswerShape::NotPool, "a line that is not JSON: " + quoteText(line), out.responses};
    auto message = json::parse(line, nullptr, false);
    if (message.is_discarded()) {
      if (!complete) { // the rest may still come
        out.reason = "an incomplete line (" + std::to_string(line.size()) + " B)";
        return out.responses > 0 || any_rpc ? AnswerJudgement{AnswerShape::OtherRpc, rpc_reason, out.responses} : out;
      }
      return {AnswerShape::NotPool, "a line that is not JSON: " + quoteText(line), out.responses};
    }
    if (isResponse(message))
      ++out.responses;
    auto decision = judgeMessage(dialect, message);
    if (decision && decision->shape != AnswerShape::OtherRpc)
      return {decision->shape, std::move(decision->reason), out.responses};
    // The reason to show: the first error if there is one (it says why),
    // else the first line.
    if (decision && !error_reason) {
      rpc_reason = std::move(decision->reason);
      error_reason = true;
    } else if (!any_rpc) {
      rpc_reason = "JSON-RPC, nothing a pool says: " + quoteText(line);
    }
    any_rpc = true;
  }
  if (any_rpc)
    return {AnswerShape::OtherRpc, rpc_reason, out.responses};
  out.reason = "only blank lines";
  return out;
}

} // namespace

std::string_view toString(AnswerShape shape) {
  switch (shape) {
  case AnswerShape::PoolJob: return "pool-job";
  case AnswerShape::PoolError: return "pool-error";
  case AnswerShape::NotPool: return "not-pool";
  case AnswerShape::OtherRpc: return "other-rpc";
  case AnswerShape::Empty: return "empty";
  }
  return "?";
}

AnswerJudgement judgeAnswer(Dialect dialect, std::string_view answer) {
  try {
    return judge(dialect, answer);
  } catch (...) { // nlohmann's accessors, std::bad_alloc: a judgement, never a throw
    return {AnswerShape::NotPool, "an answer that could not be judged", 0};
  }
}

bool answerSettled(Dialect dialect, const AnswerJudgement &judgement) {
  switch (judgement.shape) {
  case AnswerShape::PoolJob:
  case AnswerShape::PoolError:
  case AnswerShape::NotPool: return true;
  case AnswerShape::OtherRpc:
  case AnswerShape::Empty: return judgement.responses >= requestCount(dialect);
  }
  return true;
}

} // namespace minewatch::confirm
