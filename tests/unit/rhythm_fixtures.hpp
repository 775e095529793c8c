// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

// Synthetic but realistic conversations for the rhythm detector: timed
// sends of each side, turned into messages by the data path's rule. Seeded
// with a portable generator, so every build sees the same sequences.

#include "detect/message_sequence.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace minewatch::test {

using detect::Message;
using detect::MessageSequence;

/// splitmix64: portable where std::*_distribution is not.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  std::uint32_t between(std::uint32_t lo, std::uint32_t hi) {
    return lo + static_cast<std::uint32_t>(next() % (std::uint64_t{hi} - lo + 1));
  }
  /// Exponential with this mean, clipped to [lo, hi]: shares arrive so.
  std::uint32_t poisson(std::uint32_t mean, std::uint32_t lo, std::uint32_t hi) {
    double u = (static_cast<double>(next() >> 11) + 0.5) / 9007199254740992.0;
    double v = -static_cast<double>(mean) * std::log(u);
    return std::clamp(static_cast<std::uint32_t>(v), lo, hi);
  }

private:
  std::uint64_t state_;
};

/// One send of one side: what a socket write puts on the wire.
struct Send {
  std::uint64_t at_ms;
  bool to_server;
  std::uint32_t bytes;
  std::uint8_t tls_type = 0;
};

/// TLS 1.3 application data: 5-byte header, 1-byte inner type, 16-byte tag.
constexpr std::uint32_t kTls13 = 22;
/// TLS 1.2 AES-GCM: 5-byte header, 8-byte explicit nonce, 16-byte tag.
constexpr std::uint32_t kTls12 = 29;
constexpr std::uint8_t kAppData = 23;

/// A conversation under construction, in absolute time.
class Conversation {
public:
  void up(std::uint64_t at, std::uint32_t bytes, std::uint8_t tls = 0) { sends_.push_back({at, true, bytes, tls}); }
  void down(std::uint64_t at, std::uint32_t bytes, std::uint8_t tls = 0) { sends_.push_back({at, false, bytes, tls}); }

  /// A TLS handshake as OpenSSL does it; returns when the client may send.
  std::uint64_t tlsHandshake(std::uint64_t at, std::uint32_t rtt) {
    up(at, 517, 22);              // ClientHello
    down(at + rtt + 1, 2900, 22); // ServerHello .. Finished
    up(at + rtt + 2, 80, 20);     // ChangeCipherSpec + Finished
    return at + rtt + 3;
  }

  /// The data path's rule (message_sequence.hpp) over the sends so far.
  [[nodiscard]] MessageSequence messages(std::size_t limit = 64) const {
    auto sends = sends_;
    std::stable_sort(sends.begin(), sends.end(), [](const Send &a, const Send &b) { return a.at_ms < b.at_ms; });
    MessageSequence out;
    std::uint64_t last = 0;
    for (const auto &s : sends) {
      auto dir = s.to_server ? Message::Direction::ToServer : Message::Direction::ToClient;
      bool same = !out.empty() && out.back().direction == dir && s.at_ms - last <= detect::kMessageGapMs;
      if (same) {
        out.back().bytes += s.bytes;
      } else {
        if (out.size() == limit)
          break;
        auto gap = out.empty() ? 0 : static_cast<std::uint32_t>(s.at_ms - last);
        auto tls_length = static_cast<std::uint16_t>(s.tls_type ? s.bytes - 5 : 0);
        out.push_back({dir, s.bytes, gap, s.tls_type, tls_length});
      }
      last = s.at_ms;
    }
    return out;
  }

private:
  std::vector<Send> sends_;
};

} // namespace minewatch::test
