// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/dialect.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace minewatch::confirm {

/// What the bytes a server answered to one dialect's request look like.
enum class AnswerShape : std::uint8_t {
  PoolJob,   ///< a pool's answer: a job, work, a subscription, a pushed notify
  PoolError, ///< a pool's refusal of the login ("Invalid payment address")
  NotPool,   ///< not a pool in any dialect: HTTP, TLS, binary, non-JSON,
             ///< JSON that is not JSON-RPC, our request echoed back
  OtherRpc,  ///< JSON-RPC, but nothing a pool says ("Method not found"): a
             ///< pool of another dialect may answer this way, so try the next
  Empty,     ///< nothing to judge yet: no bytes, or an incomplete line
};

std::string_view toString(AnswerShape shape);
inline bool isPoolShaped(AnswerShape shape) { return shape == AnswerShape::PoolJob || shape == AnswerShape::PoolError; }

struct AnswerJudgement {
  AnswerShape shape = AnswerShape::Empty;
  std::string reason;     ///< one line, a noun phrase: "a Monero login result with a job"
  unsigned responses = 0; ///< JSON-RPC responses (lines with an id and a result or error)
};

/// Judges the bytes a server sent after `dialect`'s request, line by line.
/// Pure; never throws. The first line that decides (pool-shaped or not a
/// pool) decides the whole answer, so a judgement never changes as more
/// bytes arrive behind it; a partial last line counts only once it parses.
AnswerJudgement judgeAnswer(Dialect dialect, std::string_view answer);

/// Whether reading more could change nothing: the answer decided, or the
/// server answered every request the dialect sent.
bool answerSettled(Dialect dialect, const AnswerJudgement &judgement);

} // namespace minewatch::confirm
