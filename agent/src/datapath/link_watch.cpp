// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/link_watch.hpp"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace minewatch::datapath {

namespace {
// Headers are copied out with memcpy rather than cast in place: a datagram
// from the kernel is aligned, but the parser must not rely on what it checks.
template <typename T> bool readAt(std::span<const std::byte> bytes, std::size_t at, T &out) {
  if (at > bytes.size() || bytes.size() - at < sizeof(T))
    return false;
  std::memcpy(&out, bytes.data() + at, sizeof(T));
  return true;
}

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

/// The attributes of one RTM_*LINK message (after its ifinfomsg): the name,
/// if any. False when an attribute's length does not fit.
bool readName(std::span<const std::byte> attrs, std::string &name) {
  std::size_t at = 0;
  while (at + sizeof(rtattr) <= attrs.size()) {
    rtattr attr{};
    readAt(attrs, at, attr);
    if (attr.rta_len < sizeof(rtattr) || attr.rta_len > attrs.size() - at)
      return false;
    if (attr.rta_type == IFLA_IFNAME) {
      auto value = attrs.subspan(at + sizeof(rtattr), attr.rta_len - sizeof(rtattr));
      const auto *chars = reinterpret_cast<const char *>(value.data());
      name.assign(chars, ::strnlen(chars, value.size()));
    }
    at += align4(attr.rta_len);
  }
  return true;
}
} // namespace

std::vector<LinkEvent> parseLinkMessages(std::span<const std::byte> datagram) {
  std::vector<LinkEvent> events;
  std::size_t at = 0;
  nlmsghdr header{};
  while (readAt(datagram, at, header)) {
    // A length that cannot frame the next message leaves nothing to trust
    // after it.
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > datagram.size() - at)
      break;
    auto message = datagram.subspan(at + sizeof(nlmsghdr), header.nlmsg_len - sizeof(nlmsghdr));
    at += align4(header.nlmsg_len);
    if (header.nlmsg_type != RTM_NEWLINK && header.nlmsg_type != RTM_DELLINK)
      continue;
    ifinfomsg info{};
    if (!readAt(message, 0, info))
      continue; // too short for the interface it is about
    LinkEvent event;
    event.removed = header.nlmsg_type == RTM_DELLINK;
    event.ifindex = info.ifi_index;
    auto attrs_at = align4(sizeof(ifinfomsg));
    if (attrs_at < message.size() && !readName(message.subspan(attrs_at), event.name))
      continue;
    events.push_back(std::move(event));
  }
  return events;
}

LinkWatch::LinkWatch()
    : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)), buffer_(64 * 1024) {
  if (!fd_.valid())
    throw std::system_error(errno, std::generic_category(), "open a netlink socket for link events");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (::bind(fd_.get(), reinterpret_cast<const sockaddr *>(&local), sizeof local) != 0)
    throw std::system_error(errno, std::generic_category(), "subscribe to link events (RTNLGRP_LINK)");
}

LinkNews LinkWatch::drain(const std::string &name, int ifindex) {
  LinkNews news;
  // Bounded, so a storm of link changes cannot hold the event loop: what
  // is left keeps the socket readable for the next turn.
  constexpr int kMaxDatagrams = 256;
  for (int read = 0; read < kMaxDatagrams; ++read) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    auto n = ::recvfrom(fd_.get(), buffer_.data(), buffer_.size(), MSG_TRUNC, reinterpret_cast<sockaddr *>(&from),
                        &from_len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      // ENOBUFS: the socket's queue overflowed and messages were lost
      // (a burst of interface changes). Anything else: the same answer.
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        news.overrun = true;
      if (errno == ENOBUFS)
        continue;
      return news;
    }
    if (static_cast<std::size_t>(n) > buffer_.size()) {
      news.overrun = true;
      continue;
    }
    if (from.nl_pid != 0)
      continue; // not the kernel's
    for (auto &event : parseLinkMessages({buffer_.data(), static_cast<std::size_t>(n)}))
      if (event.name == name || (ifindex != 0 && event.ifindex == ifindex))
        news.events.push_back(std::move(event));
  }
  return news;
}

} // namespace minewatch::datapath
