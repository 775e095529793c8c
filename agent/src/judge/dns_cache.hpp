// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>

namespace minewatch::judge {

/// Address -> name, learned from DNS answers the sensor sampled, so an
/// encrypted flow to an address can be matched against pool domains. Bounded;
/// entries live for the record's TTL (at least a minute: miners keep
/// connections long after the lookup).
class DnsCache {
public:
  explicit DnsCache(std::size_t capacity = 65536) : capacity_(capacity) {}

  void learn(const net::Address &address, const std::string &name, std::uint32_t ttl_s, std::uint64_t now_ns);
  [[nodiscard]] std::optional<std::string> lookup(const net::Address &address, std::uint64_t now_ns) const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

  static constexpr std::uint64_t kMinTtlNs = 60ull * 1'000'000'000ull;
  static constexpr std::uint64_t kMaxTtlNs = 86400ull * 1'000'000'000ull;

private:
  struct Entry {
    std::string name;
    std::uint64_t expires_ns;
    std::list<net::Address>::iterator age;
  };
  std::size_t capacity_;
  std::map<net::Address, Entry> entries_;
  std::list<net::Address> order_;
};

} // namespace minewatch::judge
