// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minewatch::control {

/// What a control request asks for (the "cmd" field).
enum class Command {
  Status,
  Flows,
  Detections,
  Explain,
  BlockAdd,
  BlockDel,
  BlockList,
  AllowAdd,
  AllowDel,
  AllowList,
  Confirmations
};

/// How `flows` orders its answer.
enum class FlowSort : std::uint8_t { Bytes, Packets, Age };

/// One request, checked and typed: only the fields its command uses are set.
struct Request {
  Command command = Command::Status;
  std::size_t top = 0;                // flows: first N (0 = all)
  FlowSort sort = FlowSort::Bytes;    // flows
  std::string flow;                   // explain
  std::string target;                 // block_*/allow_* add and del
  std::uint64_t ttl_s = 0;            // block_add (0 = never expires)
  bool everything = false;            // block_add, allow_add: a rule over all of IPv4 is meant
  std::uint64_t offset = 0;           // block_list, allow_list: skip this many
  std::optional<std::uint64_t> limit; // block_list, allow_list: at most this many (none = all)
};

/// The most a ttl may say: ten years, in seconds.
inline constexpr std::uint64_t kMaxTtlSeconds = 10ull * 365 * 86400;

/// Parses one request line. Throws std::invalid_argument with one sentence
/// on anything wrong (not JSON, bad UTF-8, wrong types, unknown command);
/// never anything else. Pure: a fuzzer calls it.
Request parseRequest(std::string_view line);

/// Whether the command changes rules (and so needs a trusted caller).
bool changesRules(Command command);

/// The one way the agent turns JSON into bytes for a client: invalid UTF-8
/// in anything echoed back becomes U+FFFD instead of an exception.
std::string dumpJson(const nlohmann::json &value);

/// A whole answer, without the newline: {"data":...,"ok":true} and
/// {"error":"...","ok":false}. Never throw (answerError is total).
std::string answerOk(const nlohmann::json &data);
std::string answerError(std::string_view why);

} // namespace minewatch::control
