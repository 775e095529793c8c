// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace minewatch::classify {

/// The application data of the WebSocket frames (RFC 6455) at the start of
/// a TCP payload, unmasked: browsers mask every client frame with a random
/// key, so the JSON inside is invisible to byte matching until unmasked.
struct WebSocketData {
  std::string data;        ///< text/binary/continuation payloads, concatenated
  std::size_t frames = 0;  ///< data frames read (control frames are skipped)
  bool masked = false;     ///< client -> server frames
  bool compressed = false; ///< RSV1 (permessage-deflate): data is deflated, not readable here
  bool truncated = false;  ///< the last frame ran past the sample
};

/// nullopt unless the payload starts with a well-formed frame header
/// (known opcode, RSV2/RSV3 clear, control frames short and final). Callers
/// still need to check that the data makes sense: two bytes of binary can
/// look like a frame header.
std::optional<WebSocketData> readWebSocketFrames(std::span<const std::uint8_t> payload);

} // namespace minewatch::classify
