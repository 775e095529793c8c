// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::classify {

/// One value met in a JSON message, named by its path from the message's
/// root object: "method", "params[0]", "params.agent", "result.job.blob".
struct JsonField {
  enum class Kind : std::uint8_t { String, Number, Bool, Null, Object, Array };
  std::string path;
  Kind kind = Kind::Null;
  std::string value;    ///< text of a scalar (numbers as written); empty for containers
  bool partial = false; ///< a string cut off by the end of the sample
};

/// The fields of one JSON object, in document order, as far as it could be
/// read. Bounded: very long or very deep messages keep their first fields.
struct JsonMessage {
  std::vector<JsonField> fields;
  bool complete = false;  ///< its closing brace was read
  bool malformed = false; ///< it broke off on bad syntax before the sample ended

  [[nodiscard]] const JsonField *find(std::string_view path) const;
  [[nodiscard]] bool has(std::string_view path) const { return find(path) != nullptr; }
  /// The value at path if it is a string (possibly partial).
  [[nodiscard]] std::optional<std::string_view> string(std::string_view path) const;
  /// Strings at path or below it ("result" finds "result[0][0][1]"), in order.
  [[nodiscard]] std::vector<std::string_view> stringsUnder(std::string_view path) const;
};

struct JsonScan {
  std::vector<JsonMessage> messages;
  bool truncated = false; ///< the last message ran past the end of the text
  std::size_t cut_at = 0; ///< where that message starts, when truncated
};

/// Finds the JSON objects of a sample without trusting it to be whole:
/// messages may be newline-delimited, concatenated, spaced or compact, and the
/// last one may be cut anywhere (a string cut mid-way is kept as partial).
/// A message starts where a line (or the previous message) starts with '{',
/// or '[' for a JSON-RPC batch, whose objects become messages of their own;
/// so a sample that begins inside a message skips to the next line rather
/// than misreading a nested object as a message. Never throws on content.
JsonScan scanJson(std::string_view text);

} // namespace minewatch::classify
