// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace minewatch::rules {

/// One remote endpoint: address, port and transport protocol.
struct EndpointTarget {
  net::Address address;
  std::uint16_t port = 0;
  std::uint8_t proto = 6; // IPPROTO_TCP
  auto operator<=>(const EndpointTarget &) const = default;
};

/// What a block or allow rule names: a prefix or an exact endpoint.
using RuleTarget = std::variant<net::Cidr, EndpointTarget>;

/// Parses the CLI and config syntax:
///   CIDR                   198.51.100.0/24, 2001:db8::/32, 198.51.100.7
///   ADDR:PORT[/proto]      198.51.100.7:3333, 198.51.100.7:3333/udp
///   [ADDR6]:PORT[/proto]   [2001:db8::7]:443/tcp
/// proto is tcp (default) or udp; PORT is 0-65535 (port 0 is a packet's
/// port like any other, and every rule the agent can make must be one an
/// operator can name to delete). On failure returns nullopt and says why.
///
/// A prefix that covers every IPv4 address (0.0.0.0/0, and every IPv6 prefix
/// that holds ::ffff:0:0/96 where IPv4 lives here, ::/0 among them) would
/// cut the node off: it is refused unless `everything` says the operator
/// means it (the CLI's --everything; never from files or the config).
std::optional<RuleTarget> parseRuleTarget(std::string_view text, std::string *error = nullptr, bool everything = false);

/// Whether a target covers every IPv4 address (see parseRuleTarget).
bool coversAllOfIpv4(const RuleTarget &target);

/// The canonical text of a target (parseRuleTarget(toString(t)) == t).
std::string toString(const RuleTarget &target);

/// Whether an endpoint falls under a target (allowlist checks).
bool covers(const RuleTarget &target, const net::Address &address, std::uint16_t port, std::uint8_t proto);

} // namespace minewatch::rules

namespace minewatch::rules {
/// Whether two targets can match a common packet (one contains the other,
/// or they are the same endpoint): how "allow always wins" is enforced.
bool overlaps(const RuleTarget &a, const RuleTarget &b);
} // namespace minewatch::rules
