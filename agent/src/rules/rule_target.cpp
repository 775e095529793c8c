// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "rules/rule_target.hpp"

#include <netinet/in.h>

#include <charconv>

namespace minewatch::rules {

namespace {
std::optional<RuleTarget> fail(std::string *error, std::string why) {
  if (error)
    *error = std::move(why);
  return std::nullopt;
}

bool parsePort(std::string_view digits, std::uint16_t &port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value > 65535)
    return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}
} // namespace

std::optional<RuleTarget> parseRuleTarget(std::string_view text, std::string *error, bool everything) {
  if (text.empty())
    return fail(error, "empty rule: expected CIDR or ADDR:PORT[/tcp|udp]");
  std::string_view host, rest;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(error, "'" + std::string(text) + "': expected [IPv6]:PORT");
    host = text.substr(1, close - 1);
    rest = text.substr(close + 2);
  } else {
    auto colon = text.find(':');
    bool endpoint = colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos;
    if (!endpoint) {
      std::string why;
      auto cidr = net::Cidr::parse(text, &why);
      if (!cidr)
        return fail(error, why);
      if (!everything && coversAllOfIpv4(RuleTarget{*cidr}))
        return fail(error, "'" + std::string(text) +
                               "' covers every IPv4 address (IPv4 is ::ffff:0:0/96 here): it would cut this node "
                               "off; say --everything to mean it");
      return RuleTarget{*cidr};
    }
    host = text.substr(0, colon);
    rest = text.substr(colon + 1);
  }
  auto address = net::Address::parse(host);
  if (!address)
    return fail(error, "'" + std::string(host) + "' is not an IPv4 or IPv6 address");
  EndpointTarget target{*address, 0, IPPROTO_TCP};
  auto slash = rest.find('/');
  if (!parsePort(rest.substr(0, slash), target.port))
    return fail(error, "port '" + std::string(rest.substr(0, slash)) + "' must be 0-65535");
  if (slash != std::string_view::npos) {
    auto proto = rest.substr(slash + 1);
    if (proto == "tcp")
      target.proto = IPPROTO_TCP;
    else if (proto == "udp")
      target.proto = IPPROTO_UDP;
    else
      return fail(error, "protocol '" + std::string(proto) + "' must be tcp or udp");
  }
  return RuleTarget{target};
}

bool coversAllOfIpv4(const RuleTarget &target) {
  const auto *cidr = std::get_if<net::Cidr>(&target);
  constexpr unsigned kV4MappedBits = 96;
  if (!cidr || cidr->prefix_len > kV4MappedBits)
    return false;
  // The prefix holds ::ffff:0.0.0.0/96 when its bits match that address's.
  return covers(target, net::Address::fromV4(0), 0, 0);
}

std::string toString(const RuleTarget &target) {
  if (auto *cidr = std::get_if<net::Cidr>(&target))
    return cidr->toString();
  const auto &e = std::get<EndpointTarget>(target);
  auto host = e.address.isV4() ? e.address.toString() : "[" + e.address.toString() + "]";
  return host + ":" + std::to_string(e.port) + (e.proto == IPPROTO_UDP ? "/udp" : "/tcp");
}

bool covers(const RuleTarget &target, const net::Address &address, std::uint16_t port, std::uint8_t proto) {
  if (auto *e = std::get_if<EndpointTarget>(&target))
    return e->address == address && e->port == port && e->proto == proto;
  const auto &cidr = std::get<net::Cidr>(target);
  for (unsigned bit = 0; bit < cidr.prefix_len; ++bit) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((cidr.address.bytes[bit / 8] & mask) != (address.bytes[bit / 8] & mask))
      return false;
  }
  return true;
}

} // namespace minewatch::rules

namespace minewatch::rules {
bool overlaps(const RuleTarget &a, const RuleTarget &b) {
  auto *ea = std::get_if<EndpointTarget>(&a);
  auto *eb = std::get_if<EndpointTarget>(&b);
  if (ea && eb)
    return *ea == *eb;
  if (ea)
    return covers(b, ea->address, ea->port, ea->proto);
  if (eb)
    return covers(a, eb->address, eb->port, eb->proto);
  const auto &ca = std::get<net::Cidr>(a);
  const auto &cb = std::get<net::Cidr>(b);
  // two prefixes overlap when the shorter one covers the longer one's network
  return ca.prefix_len <= cb.prefix_len ? covers(a, cb.address, 0, 0) : covers(b, ca.address, 0, 0);
}
} // namespace minewatch::rules
