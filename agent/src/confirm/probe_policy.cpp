// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/probe_policy.hpp"

#include "rules/rule_target.hpp"

#include <netinet/in.h>

#include <array>
#include <utility>

namespace minewatch::confirm {

namespace {
/// Ranges by the reason they are refused; the mapped form of IPv4 ranges.
struct Range {
  const char *cidr;
  const char *why;
};

constexpr std::array kAlways = {
    Range{"0.0.0.0/8", "unspecified"},
    Range{"127.0.0.0/8", "loopback"},
    Range{"169.254.0.0/16", "link-local"},
    Range{"224.0.0.0/4", "multicast"},
    Range{"255.255.255.255/32", "broadcast"},
    Range{"::/128", "unspecified"},
    Range{"::1/128", "loopback"},
    Range{"fe80::/10", "link-local"},
    Range{"ff00::/8", "multicast"},
    // Documentation, benchmarking and reserved ranges: no pool lives there,
    // and the project's own tests use them for made-up servers.
    Range{"192.0.2.0/24", "documentation"},
    Range{"198.51.100.0/24", "documentation"},
    Range{"203.0.113.0/24", "documentation"},
    Range{"2001:db8::/32", "documentation"},
    Range{"198.18.0.0/15", "benchmarking"},
    Range{"240.0.0.0/4", "reserved"},
};
constexpr std::array kPrivate = {
    Range{"10.0.0.0/8", "private"},           Range{"172.16.0.0/12", "private"}, Range{"192.168.0.0/16", "private"},
    Range{"100.64.0.0/10", "shared (CGNAT)"}, Range{"fc00::/7", "unique-local"},
};

template <std::size_t N> std::vector<std::pair<net::Cidr, const char *>> parsed(const std::array<Range, N> &ranges) {
  std::vector<std::pair<net::Cidr, const char *>> out;
  for (const auto &r : ranges)
    out.emplace_back(*net::Cidr::parse(r.cidr), r.why);
  return out;
}

bool contains(const net::Cidr &cidr, const net::Address &address) {
  return rules::covers(rules::RuleTarget{cidr}, address, 0, IPPROTO_TCP);
}
} // namespace

ProbePolicy::ProbePolicy(const config::ConfirmConfig &config) : allow_private_(config.allow_private) {
  for (const auto &text : config.never)
    if (auto cidr = net::Cidr::parse(text))
      never_.push_back(*cidr);
}

std::optional<std::string> ProbePolicy::refusal(const net::Address &address) const {
  static const auto always = parsed(kAlways);
  static const auto private_ranges = parsed(kPrivate);
  for (const auto &[cidr, why] : always)
    if (contains(cidr, address))
      return std::string(why) + " address";
  if (!allow_private_)
    for (const auto &[cidr, why] : private_ranges)
      if (contains(cidr, address))
        return std::string(why) + " address (confirm.allow_private is off)";
  for (const auto &cidr : never_)
    if (contains(cidr, address))
      return "in confirm.never " + cidr.toString();
  return std::nullopt;
}

} // namespace minewatch::confirm
