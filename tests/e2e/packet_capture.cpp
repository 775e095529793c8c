// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "packet_capture.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace minewatch::test {

bool KeyLess::operator()(const minewatch_flow_key &a, const minewatch_flow_key &b) const {
  return std::memcmp(&a, &b, sizeof a) < 0;
}

PacketCapture::PacketCapture(int ifindex) {
  fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "AF_PACKET socket");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (::bind(fd_, reinterpret_cast<sockaddr *>(&sll), sizeof sll) != 0) {
    int err = errno;
    ::close(fd_);
    throw std::system_error(err, std::generic_category(), "bind AF_PACKET");
  }
}

PacketCapture::~PacketCapture() { ::close(fd_); }

void PacketCapture::drain() {
  std::array<std::uint8_t, 256> buf{};
  for (;;) {
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      if (errno == EINTR)
        continue;
      throw std::system_error(errno, std::generic_category(), "recv AF_PACKET");
    }
    auto wire = static_cast<std::size_t>(n);
    account(buf.data(), std::min(wire, buf.size()), wire);
  }
}

// IPv4 only: the lab turns IPv6 off. Enough parsing to key TCP/UDP/ICMP echo.
void PacketCapture::account(const std::uint8_t *frame, std::size_t captured, std::size_t wire_len) {
  ++frames_;
  if (captured < 34 || frame[12] != 0x08 || frame[13] != 0x00)
    return;
  const std::uint8_t *ip = frame + 14;
  std::size_t ihl = (ip[0] & 0x0fu) * 4u;
  if (captured < 14 + ihl + 8)
    return;
  std::uint8_t proto = ip[9];
  const std::uint8_t *l4 = ip + ihl;
  std::uint32_t src = 0, dst = 0;
  std::memcpy(&src, ip + 12, 4);
  std::memcpy(&dst, ip + 16, 4);
  auto port = [](const std::uint8_t *p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); };
  std::uint16_t sport = 0, dport = 0;
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    sport = port(l4);
    dport = port(l4 + 2);
  } else if (proto == IPPROTO_ICMP && (l4[0] == 0 || l4[0] == 8)) {
    sport = dport = port(l4 + 4);
  }
  auto [key, dir] =
      datapath::canonicalFlowKey({net::Address::fromV4(src), sport}, {net::Address::fromV4(dst), dport}, proto);
  auto &flow = flows_[key];
  flow.packets[dir] += 1;
  flow.bytes[dir] += wire_len;
}

} // namespace minewatch::test
