// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace minewatch::net {

namespace {
/// "'TEXT'": built by appending. `"'" + std::string(...)` inserts at the
/// front, which GCC 12 at -O3 misreads as an overlapping memcpy
/// (-Wrestrict, a known false positive) and a Release build then failed.
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
}

constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned kV4MappedBits = 96;
} // namespace

bool Address::isV4() const { return std::memcmp(bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0; }

Address Address::fromV4(std::uint32_t network_order) {
  Address a;
  std::memcpy(a.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size());
  std::memcpy(a.bytes.data() + 12, &network_order, 4);
  return a;
}

std::optional<Address> Address::parse(std::string_view text) {
  std::string s(text);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1)
    return fromV4(v4.s_addr);
  Address a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1)
    return a;
  return std::nullopt;
}

std::string Address::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (isV4())
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text, std::string *error) {
  auto fail = [&](std::string why) -> std::optional<Cidr> {
    if (error)
      *error = std::move(why);
    return std::nullopt;
  };
  auto slash = text.find('/');
  auto address = Address::parse(text.substr(0, slash));
  if (!address)
    return fail(quoted(text.substr(0, slash)) + " is not an IPv4 or IPv6 address");
  unsigned family_bits = address->isV4() ? 32 : 128;
  unsigned len = family_bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || len > family_bits)
      return fail("prefix length " + quoted(digits) + " must be 0-" + std::to_string(family_bits));
  }
  Cidr cidr{*address, len + (address->isV4() ? kV4MappedBits : 0)};
  for (unsigned bit = cidr.prefix_len; bit < 128; ++bit) {
    if (cidr.address.bytes[bit / 8] & (0x80u >> (bit % 8)))
      return fail(quoted(text) + " has host bits set past /" + std::to_string(len));
  }
  return cidr;
}

std::string Cidr::toString() const {
  unsigned len = address.isV4() ? prefix_len - kV4MappedBits : prefix_len;
  return address.toString() + "/" + std::to_string(len);
}

std::string endpointText(std::string_view address, unsigned port) {
  bool v6 = address.find(':') != std::string_view::npos;
  std::string out;
  out.reserve(address.size() + 8);
  if (v6)
    out += '[';
  out += address;
  if (v6)
    out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

} // namespace minewatch::net
