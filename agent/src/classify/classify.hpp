// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <cstdint>
#include <span>

namespace minewatch::classify {

enum class Transport : std::uint8_t { Tcp, Udp };

/// Who sent the sample, when the flow's initiator is known.
enum class Direction : std::uint8_t { Unknown, ClientToServer, ServerToClient };

/// Where a payload sample came from.
struct PayloadContext {
  Transport transport = Transport::Tcp;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  Direction direction = Direction::Unknown;
  /// The data path took the sample as a DNS response (sample kind DNS).
  bool dns_sample = false;
};

/// Turns one payload sample (usually the first <= 256 bytes of one of the
/// first payload packets of a flow direction, so often cut mid-message) into
/// facts. Never throws on content and reads nothing outside the span; any
/// byte string is valid input.
///
/// Dispatch: DNS (UDP/TCP port 53 or a DNS sample), a TLS ClientHello
/// record, HTTP, WebSocket frames, then newline-delimited JSON-RPC.
PayloadFacts classifyPayload(std::span<const std::uint8_t> payload, const PayloadContext &context);

} // namespace minewatch::classify
