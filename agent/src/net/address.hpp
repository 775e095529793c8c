// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minewatch::net {

/// An IPv4 or IPv6 address in the 16-byte form the BPF maps use
/// (IPv4 as ::ffff:a.b.c.d).
struct Address {
  std::array<std::uint8_t, 16> bytes{};

  [[nodiscard]] bool isV4() const;
  [[nodiscard]] std::string toString() const;
  static std::optional<Address> parse(std::string_view text);
  static Address fromV4(std::uint32_t network_order);
  auto operator<=>(const Address &) const = default;
};

/// A prefix in the same 16-byte space: prefix_len counts from bit 0 of the
/// mapped form, so 10.0.0.0/8 is stored with prefix_len 104.
struct Cidr {
  Address address;
  unsigned prefix_len = 128;

  /// Accepts "ADDR" (a host) or "ADDR/N"; host bits must be zero.
  static std::optional<Cidr> parse(std::string_view text, std::string *error = nullptr);
  [[nodiscard]] std::string toString() const;
  bool operator==(const Cidr &) const = default;
};

/// "ADDR:PORT", with an IPv6 address in brackets ("[2001:db8::7]:443") as
/// everyone writes it: without them, where does the port start?
std::string endpointText(std::string_view address, unsigned port);
inline std::string endpointText(const Address &address, unsigned port) {
  return endpointText(address.toString(), port);
}

} // namespace minewatch::net
