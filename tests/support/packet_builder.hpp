// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::test {

using Bytes = std::vector<std::uint8_t>;

/// Builds Ethernet frames layer by layer, filling in lengths. Checksums are
/// left zero: the sensor never verifies them. Tests corrupt the result by
/// hand for the malformed cases.
class PacketBuilder {
public:
  PacketBuilder &vlan(std::uint16_t tpid, std::uint16_t vid);
  PacketBuilder &ipv4(std::string_view src, std::string_view dst);
  PacketBuilder &ipv4Options(std::size_t bytes); // NOPs, multiple of 4
  PacketBuilder &fragment(std::uint16_t offset_bytes, bool more_fragments);
  PacketBuilder &ipv6(std::string_view src, std::string_view dst);
  PacketBuilder &ipv6Ext(std::uint8_t type, std::size_t bytes = 8);
  PacketBuilder &ipv6Fragment(std::uint16_t offset_bytes, bool more_fragments);
  PacketBuilder &tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags);
  PacketBuilder &tcpOptions(std::size_t bytes); // multiple of 4
  PacketBuilder &udp(std::uint16_t sport, std::uint16_t dport);
  PacketBuilder &icmpEcho(std::uint8_t type, std::uint16_t id, std::uint16_t seq);
  PacketBuilder &l4(std::uint8_t proto); // bare protocol number, no header (GRE, ESP...)
  PacketBuilder &payload(std::string_view bytes);
  PacketBuilder &payload(std::size_t bytes, std::uint8_t fill = 'x');

  [[nodiscard]] Bytes build() const;

private:
  enum class L3 { None, V4, V6 };
  enum class L4 { None, Tcp, Udp, Icmp, Raw };

  std::vector<std::pair<std::uint16_t, std::uint16_t>> vlans_;
  L3 l3_ = L3::None;
  std::uint8_t src_[16] = {}, dst_[16] = {};
  std::size_t ip_options_ = 0;
  std::uint16_t frag_offset_ = 0;
  bool more_fragments_ = false;
  bool has_v6_frag_ = false;
  std::vector<std::pair<std::uint8_t, std::size_t>> ext_;
  L4 l4_ = L4::None;
  std::uint8_t raw_proto_ = 0;
  std::uint16_t sport_ = 0, dport_ = 0;
  std::uint8_t tcp_flags_ = 0;
  std::size_t tcp_options_ = 0;
  std::uint8_t icmp_type_ = 0;
  Bytes payload_;
};

/// TCP flag bits for PacketBuilder::tcp.
namespace tcp_flags {
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

} // namespace minewatch::test
