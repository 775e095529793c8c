// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <vector>

namespace minewatch::detect {

/// One message of a TCP conversation as the data path records it: a run of
/// payload in one direction. Segments of one burst are one message; a new
/// message starts when the other side sends payload, or when the same side
/// sends again after more than kMessageGapMs of silence. Pure ACKs are not
/// messages. tools/message_sequences.py applies the same rule to pcaps.
struct Message {
  enum class Direction : std::uint8_t { ToServer, ToClient };

  Direction direction = Direction::ToServer;
  std::uint32_t bytes = 0; // TCP payload bytes of the whole run
  /// Milliseconds from the last payload segment of the previous message
  /// (either direction) to this message's first segment; 0 for the first.
  /// A message's own length in time is taken as 0: it is one burst.
  std::uint32_t gap_ms = 0;
  std::uint8_t tls_type = 0;    // content type of a TLS record header opening the run; 0 = none
  std::uint16_t tls_length = 0; // that record's length field (payload after the 5-byte header)

  [[nodiscard]] bool toServer() const { return direction == Direction::ToServer; }
  /// Handshake, ChangeCipherSpec or alert: TLS's own traffic, not the
  /// application's (TLS 1.3 hides its later handshake inside type 23).
  [[nodiscard]] bool tlsControl() const { return tls_type >= 20 && tls_type <= 22; }
};

/// The first messages of one flow, oldest first, oriented by role (the
/// client opened the flow; for mining it is the miner, the server the pool).
using MessageSequence = std::vector<Message>;

/// Silence after which one side's payload counts as a new message although
/// the other side did not speak: the value
/// the data path uses (SensorOptions::message_gap_ms); tools/message_sequences.py
/// has its own copy (GAP_MS).
inline constexpr std::uint32_t kMessageGapMs = 1000;

} // namespace minewatch::detect
