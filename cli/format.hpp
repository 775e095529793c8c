// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::cli {

/// "0 B", "980 B", "1.5 KiB", "3.2 GiB"
std::string humanBytes(std::uint64_t bytes);
/// "12", "1.2k", "3.4M"
std::string humanCount(std::uint64_t n);
/// "45s", "3m12s", "2h05m", "3d04h"
std::string humanDuration(std::uint64_t seconds);
/// "90", "90s", "15m", "1h", "2d" -> seconds; nullopt (with why) when not one of those.
std::optional<std::uint64_t> parseDuration(std::string_view text, std::string *why = nullptr);

/// ANSI colours, or nothing when the output is not a terminal.
struct Style {
  bool color = false;
  [[nodiscard]] std::string paint(std::string_view text, const char *ansi) const;
  [[nodiscard]] std::string verdict(std::string_view verdict) const; // red / yellow / green
  [[nodiscard]] std::string bold(std::string_view text) const { return paint(text, "1"); }
  [[nodiscard]] std::string dim(std::string_view text) const { return paint(text, "2"); }
  /// Colour when stdout is a terminal, TERM is not "dumb" and NO_COLOR is unset.
  static Style forStdout();
};

/// A text table: columns sized to their widest cell (colour codes ignored),
/// numbers right-aligned.
class Table {
public:
  explicit Table(std::vector<std::string> headers, std::vector<bool> right_aligned = {});
  void add(std::vector<std::string> row);
  [[nodiscard]] std::string render(const Style &style) const;
  [[nodiscard]] bool empty() const { return rows_.empty(); }

private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

/// Visible width of a string, skipping ANSI escapes and counting UTF-8 code points.
std::size_t visibleWidth(std::string_view text);

/// A bar of `width` cells for value out of max ("████▌").
std::string bar(std::uint64_t value, std::uint64_t max, std::size_t width);

} // namespace minewatch::cli
