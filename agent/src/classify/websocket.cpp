// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/websocket.hpp"

#include "classify/byte_reader.hpp"

namespace minewatch::classify {

namespace {
constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kRsv23 = 0x30;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::size_t kMaxData = 64 * 1024;

enum Opcode : std::uint8_t { kContinuation = 0, kText = 1, kBinary = 2, kClose = 8, kPing = 9, kPong = 10 };

bool isData(std::uint8_t op) { return op == kContinuation || op == kText || op == kBinary; }
bool isControl(std::uint8_t op) { return op == kClose || op == kPing || op == kPong; }
} // namespace

std::optional<WebSocketData> readWebSocketFrames(std::span<const std::uint8_t> payload) {
  ByteReader r(payload);
  WebSocketData out;
  bool first = true;
  while (r.remaining() > 0) {
    std::uint8_t b0 = 0, b1 = 0;
    if (!r.u8(b0) || !r.u8(b1)) {
      out.truncated = true;
      break;
    }
    std::uint8_t op = b0 & 0x0f;
    std::uint64_t len = b1 & 0x7f;
    bool control = isControl(op);
    bool well_formed =
        (b0 & kRsv23) == 0 && (isData(op) || control) && (!control || ((b0 & kFin) && len <= 125 && !(b0 & kRsv1)));
    if (!well_formed) {
      if (first)
        return std::nullopt;
      break; // what follows is not a frame: keep the frames read so far
    }
    first = false;
    bool ok = true;
    if (len == 126) {
      std::uint16_t l16 = 0;
      ok = r.u16(l16);
      len = l16;
    } else if (len == 127) {
      ok = r.u64(len) && (len >> 63) == 0;
    }
    std::span<const std::uint8_t> key;
    bool masked = (b1 & kMaskBit) != 0;
    if (!ok || (masked && !r.take(4, key))) {
      out.truncated = true;
      break;
    }
    out.masked = out.masked || masked;
    out.compressed = out.compressed || (b0 & kRsv1);
    std::span<const std::uint8_t> body;
    bool whole = len <= r.remaining();
    r.take(whole ? static_cast<std::size_t>(len) : r.remaining(), body);
    if (isData(op)) {
      ++out.frames;
      for (std::size_t i = 0; i < body.size() && out.data.size() < kMaxData; ++i)
        out.data += static_cast<char>(masked ? body[i] ^ key[i % 4] : body[i]);
    }
    if (!whole) {
      out.truncated = true;
      break;
    }
  }
  if (out.frames == 0)
    return std::nullopt;
  return out;
}

} // namespace minewatch::classify
