// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "packet_builder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace minewatch::test {

namespace {
void put16(Bytes &b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

void append16(Bytes &b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void parseInto(int family, std::string_view text, std::uint8_t *out) {
  if (inet_pton(family, std::string(text).c_str(), out) != 1)
    throw std::invalid_argument("bad test address " + std::string(text));
}
} // namespace

PacketBuilder &PacketBuilder::vlan(std::uint16_t tpid, std::uint16_t vid) {
  vlans_.emplace_back(tpid, vid);
  return *this;
}

PacketBuilder &PacketBuilder::ipv4(std::string_view src, std::string_view dst) {
  l3_ = L3::V4;
  parseInto(AF_INET, src, src_);
  parseInto(AF_INET, dst, dst_);
  return *this;
}

PacketBuilder &PacketBuilder::ipv4Options(std::size_t bytes) {
  ip_options_ = bytes;
  return *this;
}

PacketBuilder &PacketBuilder::fragment(std::uint16_t offset_bytes, bool more_fragments) {
  frag_offset_ = offset_bytes;
  more_fragments_ = more_fragments;
  return *this;
}

PacketBuilder &PacketBuilder::ipv6(std::string_view src, std::string_view dst) {
  l3_ = L3::V6;
  parseInto(AF_INET6, src, src_);
  parseInto(AF_INET6, dst, dst_);
  return *this;
}

PacketBuilder &PacketBuilder::ipv6Ext(std::uint8_t type, std::size_t bytes) {
  ext_.emplace_back(type, bytes);
  return *this;
}

PacketBuilder &PacketBuilder::ipv6Fragment(std::uint16_t offset_bytes, bool more_fragments) {
  frag_offset_ = offset_bytes;
  more_fragments_ = more_fragments;
  ext_.emplace_back(IPPROTO_FRAGMENT, 8);
  return *this;
}

PacketBuilder &PacketBuilder::tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
  l4_ = L4::Tcp;
  sport_ = sport;
  dport_ = dport;
  tcp_flags_ = flags;
  return *this;
}

PacketBuilder &PacketBuilder::tcpOptions(std::size_t bytes) {
  tcp_options_ = bytes;
  return *this;
}

PacketBuilder &PacketBuilder::udp(std::uint16_t sport, std::uint16_t dport) {
  l4_ = L4::Udp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder &PacketBuilder::icmpEcho(std::uint8_t type, std::uint16_t id, std::uint16_t seq) {
  l4_ = L4::Icmp;
  icmp_type_ = type;
  sport_ = id;
  dport_ = seq;
  return *this;
}

PacketBuilder &PacketBuilder::l4(std::uint8_t proto) {
  l4_ = L4::Raw;
  raw_proto_ = proto;
  return *this;
}

PacketBuilder &PacketBuilder::payload(std::string_view bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}

PacketBuilder &PacketBuilder::payload(std::size_t bytes, std::uint8_t fill) {
  payload_.assign(bytes, fill);
  return *this;
}

Bytes PacketBuilder::build() const {
  // L4 first, so L3 knows its length.
  Bytes l4;
  std::uint8_t proto = raw_proto_;
  switch (l4_) {
  case L4::Tcp: {
    proto = IPPROTO_TCP;
    std::size_t hdr = 20 + tcp_options_;
    l4.assign(hdr, 0);
    put16(l4, 0, sport_);
    put16(l4, 2, dport_);
    l4[12] = static_cast<std::uint8_t>((hdr / 4) << 4);
    l4[13] = tcp_flags_;
    put16(l4, 14, 65535);
    for (std::size_t i = 20; i < hdr; ++i)
      l4[i] = 1; // NOP options
    break;
  }
  case L4::Udp:
    proto = IPPROTO_UDP;
    l4.assign(8, 0);
    put16(l4, 0, sport_);
    put16(l4, 2, dport_);
    put16(l4, 4, static_cast<std::uint16_t>(8 + payload_.size()));
    break;
  case L4::Icmp:
    proto = static_cast<std::uint8_t>(l3_ == L3::V6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    l4.assign(8, 0);
    l4[0] = icmp_type_;
    put16(l4, 4, sport_);
    put16(l4, 6, dport_);
    break;
  case L4::Raw:
  case L4::None: break;
  }
  l4.insert(l4.end(), payload_.begin(), payload_.end());

  Bytes frame = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  for (auto [tpid, vid] : vlans_) {
    append16(frame, tpid);
    append16(frame, vid);
  }
  if (l3_ == L3::V4) {
    append16(frame, 0x0800);
    std::size_t hdr = 20 + ip_options_;
    Bytes ip(hdr, 0);
    ip[0] = static_cast<std::uint8_t>(0x40 | (hdr / 4));
    put16(ip, 2, static_cast<std::uint16_t>(hdr + l4.size()));
    put16(ip, 6, static_cast<std::uint16_t>((more_fragments_ ? 0x2000 : 0) | (frag_offset_ / 8)));
    ip[8] = 64;
    ip[9] = proto;
    std::memcpy(&ip[12], src_, 4);
    std::memcpy(&ip[16], dst_, 4);
    for (std::size_t i = 20; i < hdr; ++i)
      ip[i] = 1; // NOP options
    frame.insert(frame.end(), ip.begin(), ip.end());
  } else if (l3_ == L3::V6) {
    append16(frame, 0x86dd);
    Bytes ext;
    for (std::size_t i = 0; i < ext_.size(); ++i) {
      auto [type, bytes] = ext_[i];
      std::uint8_t next = i + 1 < ext_.size() ? ext_[i + 1].first : proto;
      std::size_t start = ext.size();
      ext.resize(start + bytes, 0);
      ext[start] = next;
      if (type == IPPROTO_FRAGMENT) {
        put16(ext, start + 2, static_cast<std::uint16_t>((frag_offset_ & 0xfff8) | (more_fragments_ ? 1 : 0)));
      } else if (type == IPPROTO_AH) {
        ext[start + 1] = static_cast<std::uint8_t>(bytes / 4 - 2);
      } else {
        ext[start + 1] = static_cast<std::uint8_t>(bytes / 8 - 1);
      }
    }
    Bytes ip(40, 0);
    ip[0] = 0x60;
    put16(ip, 4, static_cast<std::uint16_t>(ext.size() + l4.size()));
    ip[6] = ext_.empty() ? proto : ext_.front().first;
    ip[7] = 64;
    std::memcpy(&ip[8], src_, 16);
    std::memcpy(&ip[24], dst_, 16);
    frame.insert(frame.end(), ip.begin(), ip.end());
    frame.insert(frame.end(), ext.begin(), ext.end());
  } else {
    append16(frame, 0x0806); // ARP-typed filler
  }
  frame.insert(frame.end(), l4.begin(), l4.end());
  return frame;
}

} // namespace minewatch::test
