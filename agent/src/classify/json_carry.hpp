// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace minewatch::classify {

/// Joins a JSON message that one payload sample cut off with the next sample
/// of the same flow direction. The data path samples a direction's first
/// payload packets, up to 256 bytes each: a packet captured whole whose text
/// ends inside a message is continued by the next packet, so the two read
/// as one. A packet the sample limit cut leaves a gap: nothing is carried
/// past it (a 1 KB notify in one packet shows only its first 256 bytes).
class JsonCarry {
public:
  /// Four samples of 256 bytes: all the data path takes of a direction.
  static constexpr std::size_t kMaxText = 1024;

  /// The text to classify for this sample: the carried start of a message,
  /// if any, then the sample. `whole_packet`: the sample holds all of its
  /// packet's payload. Carries the joined text's cut-off message on when
  /// the next packet continues it.
  [[nodiscard]] std::string join(std::string_view sample, bool whole_packet);
  [[nodiscard]] bool empty() const { return text_.empty(); }

private:
  std::string text_;
};

} // namespace minewatch::classify
