// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "app/agent.hpp"
#include "datapath/link_watch.hpp"
#include "datapath/attached_sensor.hpp"

#include <cstdint>
#include <string>

namespace minewatch::app {

/// What the agent reports about the sensor's attachment.
DatapathInfo describe(const datapath::AttachedSensor &sensor, bool tap);

/// Keeps the sensor on its interface by name. An interface can go under a
/// running agent (deleted, moved to another namespace, renamed, replaced by
/// a new one of the same name); the agent then keeps running, says it is
/// detached, and attaches the same programs and pinned maps (so the same
/// block rules) to whatever interface carries the name next.
/// Link events (netlink) say when to look; if_nametoindex says what is there.
class InterfaceKeeper {
public:
  InterfaceKeeper(datapath::AttachedSensor &sensor, Agent &agent, bool tap);

  /// For epoll: readable when the kernel announces a link change.
  [[nodiscard]] int fd() const { return watch_.fd(); }
  /// Reads the announcements and acts on those about our interface.
  void onLinkEvents(std::uint64_t now_ns);
  /// Looks again while detached, every few seconds: a failed attach is
  /// retried, and a missed announcement costs a delay, not the interface.
  void onTick(std::uint64_t now_ns);
  [[nodiscard]] bool attached() const { return sensor_.attached(); }
  /// Why not attached, for /readyz.
  [[nodiscard]] const std::string &whyDetached() const { return agent_.datapath().detached_reason; }

private:
  void look(std::uint64_t now_ns);

  datapath::AttachedSensor &sensor_;
  Agent &agent_;
  bool tap_;
  datapath::LinkWatch watch_;
  std::uint64_t last_look_ns_ = 0;
  std::string last_failure_; // reported once, not at every retry
};

} // namespace minewatch::app
