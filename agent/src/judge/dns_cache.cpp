// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/dns_cache.hpp"

#include <algorithm>

namespace minewatch::judge {

void DnsCache::learn(const net::Address &address, const std::string &name, std::uint32_t ttl_s, std::uint64_t now_ns) {
  auto ttl = std::clamp<std::uint64_t>(std::uint64_t{ttl_s} * 1'000'000'000ull, kMinTtlNs, kMaxTtlNs);
  auto it = entries_.find(address);
  if (it != entries_.end()) {
    it->second.name = name;
    it->second.expires_ns = now_ns + ttl;
    order_.splice(order_.end(), order_, it->second.age);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(address);
  entries_[address] = Entry{name, now_ns + ttl, std::prev(order_.end())};
}

std::optional<std::string> DnsCache::lookup(const net::Address &address, std::uint64_t now_ns) const {
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.expires_ns < now_ns)
    return std::nullopt;
  return it->second.name;
}

} // namespace minewatch::judge
