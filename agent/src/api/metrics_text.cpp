// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "api/metrics_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace minewatch::api {

namespace {
/// HELP text escapes backslash and newline; label values the double quote too.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string number(double value) {
  if (std::isnan(value))
    return "NaN";
  if (std::isinf(value))
    return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers print exactly (counters pass 2^53 only after years).
  if (value == std::floor(value) && std::fabs(value) < 9e15)
    return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{}", value);
}
} // namespace

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(help, false), name, type);
}

void MetricsText::labelsTo(Labels labels) {
  if (labels.size() == 0)
    return;
  text_ += '{';
  bool first = true;
  for (const auto &[key, value] : labels) {
    text_ += fmt::format("{}{}=\"{}\"", first ? "" : ",", key, escape(value, true));
    first = false;
  }
  text_ += '}';
}

void MetricsText::sample(std::string_view name, double value, Labels labels) {
  text_ += name;
  labelsTo(labels);
  text_ += ' ';
  text_ += number(value);
  text_ += '\n';
}

void MetricsText::histogram(std::string_view name, std::span<const double> bounds,
                            std::span<const std::uint64_t> counts, double sum) {
  std::uint64_t cumulative = 0;
  auto bucket = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i < bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    auto le = number(bounds[i]);
    sample(bucket, static_cast<double>(cumulative), {{"le", le}});
  }
  if (counts.size() > bounds.size())
    cumulative += counts[bounds.size()];
  sample(bucket, static_cast<double>(cumulative), {{"le", "+Inf"}});
  sample(fmt::format("{}_sum", name), sum);
  sample(fmt::format("{}_count", name), static_cast<double>(cumulative));
}

} // namespace minewatch::api
