// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/interface_keeper.hpp"

#include <fmt/format.h>
#include <net/if.h>

#include <exception>

namespace minewatch::app {

namespace {
// While detached, how often to look without being told: a retry after a
// failed attach, and the safety net under a lost announcement.
constexpr std::uint64_t kLookEveryNs = 2'000'000'000ull;
} // namespace

DatapathInfo describe(const datapath::AttachedSensor &sensor, bool tap) {
  DatapathInfo info;
  info.interface = sensor.interface();
  info.xdp_mode = datapath::xdpAttachOf(sensor.xdpMode());
  info.via_dispatcher = sensor.viaDispatcher();
  info.tc_attached = sensor.tcAttached();
  info.tap = tap;
  info.xdp_prog_id = sensor.xdpProgId();
  info.tc_prog_id = sensor.tcProgId();
  info.pin_dir = sensor.pinDir();
  info.notes = sensor.notes();
  info.ingress_hook = sensor.ingressHook();
  info.tc_ingress_prog_id = sensor.tcIngressProgId();
  info.ifindex = sensor.ifindex();
  info.attached = sensor.attached();
  return info;
}

InterfaceKeeper::InterfaceKeeper(datapath::AttachedSensor &sensor, Agent &agent, bool tap)
    : sensor_(sensor), agent_(agent), tap_(tap) {
  // The interface may have gone between the attach and this subscription.
  look(0);
}

void InterfaceKeeper::onLinkEvents(std::uint64_t now_ns) {
  // Our own attach announces the interface too (its XDP program changed):
  // look() finds it as it was and does nothing.
  if (watch_.drain(sensor_.interface(), sensor_.ifindex()).any())
    look(now_ns);
}

void InterfaceKeeper::onTick(std::uint64_t now_ns) {
  if (!sensor_.attached() && now_ns - last_look_ns_ >= kLookEveryNs)
    look(now_ns);
}

void InterfaceKeeper::look(std::uint64_t now_ns) {
  last_look_ns_ = now_ns;
  const auto &name = sensor_.interface();
  auto ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  if (sensor_.attached()) {
    if (ifindex == sensor_.ifindex())
      return; // a change of flags, addresses or our own attach
    auto why = ifindex == 0 ? fmt::format("no interface named {} any more (deleted, renamed, or moved to another "
                                          "network namespace)",
                                          name)
                            : fmt::format("{} was replaced (ifindex {}, now {})", name, sensor_.ifindex(), ifindex);
    sensor_.detach();
    agent_.onDetached(why);
    last_failure_.clear();
    fmt::print(stderr, "minewatch-agent: detached: {}; block rules stay pinned\n", why);
  }
  if (ifindex == 0)
    return;
  try {
    sensor_.reattach(ifindex);
  } catch (const std::exception &e) {
    // It may be going again already (ENODEV), or something else holds the
    // hook: stay detached and try again on the next announcement or look.
    auto why = fmt::format("{} is back (ifindex {}) but attaching failed: {}", name, ifindex, e.what());
    if (why != last_failure_)
      fmt::print(stderr, "minewatch-agent: {}; retrying\n", why);
    last_failure_ = why;
    agent_.onDetached(why);
    return;
  }
  last_failure_.clear();
  agent_.onAttached(describe(sensor_, tap_));
  fmt::print(stderr, "minewatch-agent: re-attached to {} (ifindex {}) with the pinned maps and rules\n", name, ifindex);
}

} // namespace minewatch::app
