// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace minewatch::datapath {

/// One message of a TCP flow's sequence (struct minewatch_message, or the
/// one in progress in a flow value), in plain C++ types.
struct FlowMessage {
  minewatch_flow_key key{}; // wide; IPv4 v4-mapped
  std::uint32_t index = 0;  // 0-based position in the flow
  minewatch_direction direction = MINEWATCH_DIR_A_TO_B;
  std::uint32_t bytes = 0;      // payload, all its segments
  std::uint32_t gap_ms = 0;     // silence before it; 0 for the first
  std::uint64_t start_ns = 0;   // data-path clock
  std::uint8_t tls_type = 0;    // TLS record content type its first segment began with; 0: none
  std::uint16_t tls_length = 0; // that record header's length field
  bool finished = true;         // false: the flow's message in progress (pendingMessage)
};

/// One minewatch_messages ring record. nullopt and a one-line `error` when
/// it is not a well-formed struct minewatch_message.
std::optional<FlowMessage> decodeMessage(std::span<const std::byte> record, std::string &error);

/// Records laid end to end (a whole number of them). On the first bad one:
/// an empty vector and a one-line `error`.
std::vector<FlowMessage> decodeMessages(std::span<const std::byte> records, std::string &error);

/// The message a flow has in progress (its last one when the flow is over),
/// from the flow value the agent reads; nullopt when there is none (no
/// payload yet, or every message already went out on the ring).
std::optional<FlowMessage> pendingMessage(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                          std::uint32_t messages_per_flow);

} // namespace minewatch::datapath
