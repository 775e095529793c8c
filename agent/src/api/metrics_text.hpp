// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace minewatch::api {

/// Writes the Prometheus text exposition format (version 0.0.4): one
/// family at a time, its HELP and TYPE lines first, label values escaped.
/// Deliberately small: Debian has no Prometheus client library for C++.
class MetricsText {
public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  /// Starts a family: type is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, double value, Labels labels = {});
  /// A histogram from cumulative-free bucket counts: bounds[i] is the upper
  /// bound of counts[i]; counts has one more element (the +Inf bucket).
  void histogram(std::string_view name, std::span<const double> bounds, std::span<const std::uint64_t> counts,
                 double sum);

  [[nodiscard]] const std::string &text() const { return text_; }

private:
  void labelsTo(Labels labels);
  std::string text_;
};

} // namespace minewatch::api

namespace minewatch::judge {
struct SuspectServers;
}

namespace minewatch::api {
/// minewatch_suspect_server_clients{server,port,proto,sni} and
/// minewatch_suspect_servers_dropped, onto the metrics page.
void renderSuspectServers(MetricsText &page, const judge::SuspectServers &servers);
} // namespace minewatch::api
