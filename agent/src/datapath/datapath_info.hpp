// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/sensor_options.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::datapath {

/// How the ingress XDP program runs: in the driver, in the generic (skb)
/// path, not at all (ingress on TC), or not on an interface (a capture, a
/// test's test_run).
enum class XdpAttach : std::uint8_t { Native, Generic, None, Replay };
const char *toString(XdpAttach mode); // native | generic | none | replay
/// libxdp's name for a mode ("native", "generic", "skb", ...).
XdpAttach xdpAttachOf(std::string_view name);

/// Where the packets come from: an interface's hooks (which know whether
/// this host opened a flow) or a capture (which does not).
enum class PacketSource : std::uint8_t { Live, Capture };

/// Facts about the data path the agent reports but does not own.
struct DatapathInfo {
  std::string interface {};
  XdpAttach xdp_mode = XdpAttach::None;
  PacketSource packets = PacketSource::Live;
  bool via_dispatcher = false;
  bool tc_attached = false;
  bool tap = false;
  unsigned xdp_prog_id = 0;
  unsigned tc_prog_id = 0;
  std::string pin_dir{};
  std::vector<std::string> notes{};
  IngressHook ingress_hook = IngressHook::Xdp;
  unsigned tc_ingress_prog_id = 0;
  int ifindex = 0;
  // False while the interface is gone (see InterfaceKeeper): the programs
  // are off it, the pinned maps and rules wait for it to come back.
  bool attached = true;
  std::string detached_reason{};
  std::uint64_t detached_since_wall_ns = 0;
  std::string rules_file{};                // the saved rule book; empty: not kept (replay)
  std::uint32_t previous_block_map_id = 0; // the block map pinned at start (MapPinning)
};

} // namespace minewatch::datapath
