// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/prober.hpp"

#include "confirm/printable.hpp"

namespace minewatch::confirm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kAnswerHead = 200; // bytes of an answer kept for explain

milliseconds since(Clock::time_point start) { return std::chrono::duration_cast<milliseconds>(Clock::now() - start); }

/// Whether the exchange decided the probe, and how.
enum class Step : std::uint8_t { Next, Confirm, Refute, Fail };

Step decide(const ProbeExchange &exchange) {
  switch (exchange.ended) {
  case SessionEnd::ConnectFailed:
  case SessionEnd::LocalError: return Step::Fail;
  case SessionEnd::TlsFailed: return Step::Refute; // it speaks no TLS a miner could use
  default: break;
  }
  if (isPoolShaped(exchange.shape))
    return Step::Confirm;
  // A filled cap without a pool's answer: no pool talks that much before
  // answering, whatever the bytes were.
  if (exchange.shape == AnswerShape::NotPool || exchange.ended == SessionEnd::CapReached)
    return Step::Refute;
  return Step::Next; // other JSON-RPC, silence, a close, a reset
}

ProbeExchange exchangeOnce(const ProbeTarget &target, Dialect dialect, const ProbeLimits &limits,
                           const ProbeHooks &hooks) {
  auto start = Clock::now();
  auto settled = [dialect](std::string_view answer) { return answerSettled(dialect, judgeAnswer(dialect, answer)); };
  auto session = runExchange(target, requestBytes(dialect), limits, settled, hooks);
  auto judgement = judgeAnswer(dialect, session.answer);
  ProbeExchange out;
  out.dialect = dialect;
  out.sent_methods = std::string(sentMethods(dialect));
  out.answer_head = printableHead(session.answer, kAnswerHead);
  out.shape = judgement.shape;
  out.reason = std::move(judgement.reason);
  out.ended = session.end;
  out.end_reason = std::move(session.reason);
  out.bytes_read = session.answer.size();
  out.elapsed = since(start);
  return out;
}

std::string summarize(const std::string &endpoint, Step step, const ProbeExchange &last, std::size_t tried) {
  switch (step) {
  case Step::Confirm: return endpoint + " answered " + last.sent_methods + ": " + last.reason;
  case Step::Fail: return endpoint + " could not be asked: " + last.end_reason;
  case Step::Refute:
    if (last.ended == SessionEnd::TlsFailed)
      return endpoint + " is not a pool: " + last.end_reason;
    if (last.shape == AnswerShape::NotPool)
      return endpoint + " is not a pool: it answered " + last.sent_methods + " with " + last.reason;
    return endpoint + " is not a pool: " + last.end_reason + " without a pool's answer";
  case Step::Next: break;
  }
  return endpoint + " answered none of " + std::to_string(tried) + " dialects as a pool (last: " + last.reason + "; " +
         last.end_reason + ")";
}

} // namespace

std::string_view toString(Outcome outcome) {
  switch (outcome) {
  case Outcome::Confirmed: return "confirmed";
  case Outcome::Refuted: return "refuted";
  case Outcome::Failed: return "failed";
  }
  return "?";
}

ProbeResult probe(const ProbeTarget &target, const ProbeLimits &limits, const ProbeHooks &hooks) {
  auto start = Clock::now();
  ProbeResult result;
  try {
    auto endpoint = net::endpointText(target.address, target.port) + (target.tls ? " (TLS)" : "");
    Step step = Step::Next;
    for (Dialect dialect : target.dialects) {
      result.exchanges.push_back(exchangeOnce(target, dialect, limits, hooks));
      result.bytes_read += result.exchanges.back().bytes_read;
      step = decide(result.exchanges.back());
      if (step != Step::Next)
        break;
    }
    if (result.exchanges.empty()) {
      result.outcome = Outcome::Failed;
      result.summary = endpoint + " could not be asked: no dialect to try";
    } else {
      result.outcome = step == Step::Confirm ? Outcome::Confirmed
                       : step == Step::Fail  ? Outcome::Failed
                                             : Outcome::Refuted;
      result.summary = summarize(endpoint, step, result.exchanges.back(), result.exchanges.size());
    }
  } catch (...) { // std::bad_alloc: nothing learnt
    result.outcome = Outcome::Failed;
    result.summary = "probe failed: out of memory";
  }
  result.elapsed = since(start);
  return result;
}

} // namespace minewatch::confirm
