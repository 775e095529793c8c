// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/sensor_options.hpp"

#include "datapath/datapath_info.hpp"

#include "minewatch_abi.h"

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace minewatch::datapath {

void validate(const SensorOptions &o) {
  auto fail = [](const std::string &what) { throw std::invalid_argument(what); };
  if (o.max_flows == 0)
    fail("max_flows must be at least 1");
  auto page = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));
  auto rb = o.ring_buffer_bytes;
  if (rb < page || (rb & (rb - 1)) != 0)
    fail("ring_buffer_bytes must be a power of two of at least " + std::to_string(page) + ", got " +
         std::to_string(rb));
  auto dirty = o.dirty_ring_bytes;
  if (dirty < page || (dirty & (dirty - 1)) != 0)
    fail("dirty_ring_bytes must be a power of two of at least " + std::to_string(page) + ", got " +
         std::to_string(dirty));
  auto messages = o.message_ring_bytes;
  if (messages < page || (messages & (messages - 1)) != 0)
    fail("message_ring_bytes must be a power of two of at least " + std::to_string(page) + ", got " +
         std::to_string(messages));
  if (o.messages_per_flow > MINEWATCH_MESSAGES_MAX)
    fail("messages_per_flow must be 0-" + std::to_string(MINEWATCH_MESSAGES_MAX) + ", got " +
         std::to_string(o.messages_per_flow));
  if (o.message_gap_ms == 0)
    fail("message_gap_ms must be at least 1");
  if (o.max_block_rules == 0)
    fail("max_block_rules must be at least 1");
  if (o.sample_bytes == 0 || o.sample_bytes > MINEWATCH_SAMPLE_MAX)
    fail("sample_bytes must be 1-" + std::to_string(MINEWATCH_SAMPLE_MAX) + ", got " + std::to_string(o.sample_bytes));
}

XdpMode parseXdpMode(const std::string &text) {
  if (text == "auto")
    return XdpMode::Auto;
  if (text == "native")
    return XdpMode::Native;
  if (text == "generic")
    return XdpMode::Generic;
  throw std::invalid_argument("XDP mode '" + text + "' must be auto, native or generic");
}

IngressHook parseIngressHook(const std::string &text) {
  if (text == "xdp")
    return IngressHook::Xdp;
  if (text == "tc")
    return IngressHook::Tc;
  throw std::invalid_argument("ingress hook '" + text + "' must be xdp or tc");
}

const char *ingressHookName(IngressHook hook) { return hook == IngressHook::Tc ? "tc" : "xdp"; }

const char *toString(XdpAttach mode) {
  switch (mode) {
  case XdpAttach::Native: return "native";
  case XdpAttach::Generic: return "generic";
  case XdpAttach::None: return "none";
  case XdpAttach::Replay: return "replay";
  }
  return "none";
}

XdpAttach xdpAttachOf(std::string_view name) {
  if (name == "native")
    return XdpAttach::Native;
  if (name == "generic")
    return XdpAttach::Generic;
  return XdpAttach::None;
}

} // namespace minewatch::datapath
