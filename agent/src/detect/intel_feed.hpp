// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::detect {

/// Threat intelligence from feed files, in the formats public blocklists
/// ship (CoinBlockerLists, firehol coinbl_ips, hosts files):
///   pool.example.com          a host
///   *.example.com / .example  the domain and every name under it
///   198.51.100.0/24, 2001:db8::/32, 198.51.100.7
///   0.0.0.0 pool.example.com  hosts-file lines (the address is ignored)
///   # comments, blank lines
/// Lines that are none of these are skipped and counted, never fatal: public
/// lists carry odd lines, and one must not take the agent down.
class IntelFeed {
public:
  struct LoadReport {
    std::string path;
    std::size_t domains = 0, cidrs = 0, skipped = 0;
    std::size_t first_skipped_line = 0; // 1-based, 0 when none
  };

  /// Throws std::runtime_error when the file cannot be read.
  LoadReport loadFile(const std::string &path);
  LoadReport loadText(std::string_view text, const std::string &origin);
  void addPort(std::uint16_t port) { ports_.insert(port); }

  /// The feed entry a name falls under ("*.nanopool.org"), if any.
  [[nodiscard]] std::optional<std::string> matchDomain(std::string_view name) const;
  /// The longest listed network the address is in ("198.51.100.0/24").
  [[nodiscard]] std::optional<std::string> matchAddress(const net::Address &address) const;
  [[nodiscard]] bool matchPort(std::uint16_t port) const { return ports_.count(port) != 0; }

  [[nodiscard]] std::size_t size() const { return exact_.size() + suffixes_.size() + networks_count_; }

private:
  std::set<std::string, std::less<>> exact_;
  std::set<std::string, std::less<>> suffixes_; // stored without the leading "*." / "."
  // Networks by prefix length, longest first: a lookup costs one set probe
  // per length the feeds use, where a scan cost one test per entry (public
  // lists run to tens of thousands, judged for every flow evaluated).
  std::map<unsigned, std::set<net::Address>, std::greater<>> networks_;
  std::size_t networks_count_ = 0;
  std::set<std::uint16_t> ports_;
};

/// Lower-cased, trailing dot removed: how names are compared.
std::string normaliseDomain(std::string_view name);

} // namespace minewatch::detect
