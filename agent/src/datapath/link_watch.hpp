// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace minewatch::datapath {

/// One RTM_NEWLINK or RTM_DELLINK the kernel announced.
struct LinkEvent {
  bool removed = false; // RTM_DELLINK (deleted, or moved to another namespace)
  int ifindex = 0;
  std::string name; // IFLA_IFNAME; empty when the message had none
};

/// What one drain of the link watcher saw of one interface.
struct LinkNews {
  std::vector<LinkEvent> events; // only those naming our interface or ifindex
  bool overrun = false;          // the kernel dropped messages (ENOBUFS): look again by name

  /// True when the caller should look at the interface again.
  [[nodiscard]] bool any() const { return overrun || !events.empty(); }
};

/// The link announcements in one netlink datagram. Messages that are short,
/// overrun the datagram or carry a bad attribute are skipped, never trusted.
std::vector<LinkEvent> parseLinkMessages(std::span<const std::byte> datagram);

/// Tells when an interface appears, goes, or is replaced: a NETLINK_ROUTE
/// socket on the RTNLGRP_LINK group, non-blocking, for the event loop's
/// epoll. It only reports; the caller asks if_nametoindex what is there now,
/// so a lost message (overrun) costs a look, not a missed change.
class LinkWatch {
public:
  /// Throws std::system_error when the socket cannot be made.
  LinkWatch();

  [[nodiscard]] int fd() const { return fd_.get(); }
  /// Reads the pending datagrams (up to a bound: a storm is read over
  /// several calls); keeps the events for `name` or `ifindex`.
  LinkNews drain(const std::string &name, int ifindex);

private:
  bpf::UniqueFd fd_;
  // Big enough for any link message; a bigger one arrives cut (MSG_TRUNC
  // says so) and counts as an overrun.
  std::vector<std::byte> buffer_;
};

} // namespace minewatch::datapath
