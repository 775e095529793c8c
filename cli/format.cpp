// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "format.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace minewatch::cli {

std::string humanBytes(std::uint64_t bytes) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024)
    return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return v < 10 ? fmt::format("{:.1f} {}", v, units[u]) : fmt::format("{:.0f} {}", v, units[u]);
}

std::string humanCount(std::uint64_t n) {
  if (n < 10000)
    return std::to_string(n);
  if (n < 1'000'000)
    return fmt::format("{:.1f}k", static_cast<double>(n) / 1e3);
  if (n < 1'000'000'000)
    return fmt::format("{:.1f}M", static_cast<double>(n) / 1e6);
  return fmt::format("{:.1f}G", static_cast<double>(n) / 1e9);
}

std::string humanDuration(std::uint64_t s) {
  if (s < 60)
    return fmt::format("{}s", s);
  if (s < 3600)
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400)
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::optional<std::uint64_t> parseDuration(std::string_view text, std::string *why) {
  const auto original = text;
  auto fail = [&]() -> std::optional<std::uint64_t> {
    if (why)
      *why = "duration '" + std::string(original) +
             "' must be a number with an optional unit s, m, h or d (e.g. 90s, 15m, 1h)";
    return std::nullopt;
  };
  if (text.empty())
    return fail();
  std::uint64_t scale = 1;
  constexpr std::pair<char, std::uint64_t> kUnits[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
  for (auto [unit, seconds] : kUnits)
    if (text.back() == unit) {
      scale = seconds;
      text.remove_suffix(1);
      break;
    }
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return fail();
  // A number, just too big (even for uint64): say so, not "not a number".
  constexpr std::uint64_t kMax = 10ull * 365 * 86400;
  if (ec == std::errc::result_out_of_range || value > kMax / scale) {
    if (why)
      *why = "duration '" + std::string(original) + "' is too large (at most 3650d)";
    return std::nullopt;
  }
  return value * scale;
}

std::string Style::paint(std::string_view text, const char *ansi) const {
  if (!color)
    return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", ansi, text);
}

std::string Style::verdict(std::string_view v) const {
  if (v == "mining")
    return paint(v, "1;31");
  if (v == "suspicious")
    return paint(v, "33");
  return paint(v, "32");
}

Style Style::forStdout() {
  const char *term = std::getenv("TERM");
  bool color = ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR") && !(term && std::string_view(term) == "dumb");
  return Style{color};
}

std::size_t visibleWidth(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {
      while (i < s.size() && s[i] != 'm')
        ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) // not a UTF-8 continuation byte
      ++width;
  }
  return width;
}

Table::Table(std::vector<std::string> headers, std::vector<bool> right_aligned)
    : headers_(std::move(headers)), right_(std::move(right_aligned)) {
  right_.resize(headers_.size(), false);
}

void Table::add(std::vector<std::string> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

std::string Table::render(const Style &style) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = visibleWidth(headers_[c]);
    for (const auto &row : rows_)
      widths[c] = std::max(widths[c], visibleWidth(row[c]));
  }
  auto line = [&](const std::vector<std::string> &cells, bool header) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string pad(widths[c] - visibleWidth(cells[c]), ' ');
      std::string cell = header ? style.bold(cells[c]) : cells[c];
      bool last = c + 1 == cells.size();
      out += right_[c] ? pad + cell : cell + (last ? "" : pad);
      if (!last)
        out += "  ";
    }
    return out + "\n";
  };
  std::string out = line(headers_, true);
  for (const auto &row : rows_)
    out += line(row, false);
  return out;
}

std::string bar(std::uint64_t value, std::uint64_t max, std::size_t width) {
  static const char *partial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (max == 0 || value == 0)
    return "";
  auto eighths = static_cast<std::size_t>((static_cast<double>(value) / static_cast<double>(max)) *
                                          static_cast<double>(width * 8));
  eighths = std::max<std::size_t>(eighths, 1); // something shows for any non-zero count
  std::string out;
  for (std::size_t i = 0; i < eighths / 8; ++i)
    out += "█";
  out += partial[eighths % 8];
  return out;
}

} // namespace minewatch::cli
