// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/classify.hpp"

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::classify {
// Boost.Test prints both sides of a failed comparison.
inline std::ostream &operator<<(std::ostream &os, Protocol p) { return os << protocolName(p); }
inline std::ostream &operator<<(std::ostream &os, Carrier c) { return os << carrierName(c); }
inline std::ostream &operator<<(std::ostream &os, Role r) { return os << roleName(r); }
} // namespace minewatch::classify

namespace minewatch::test {

using ByteVector = std::vector<std::uint8_t>;

inline ByteVector bytesOf(std::string_view s) { return ByteVector(s.begin(), s.end()); }

/// The sensor's sample size.
constexpr std::size_t kSampleBytes = 256;

inline classify::PayloadContext toServer(std::uint16_t port = 3333) {
  return {classify::Transport::Tcp, 40000, port, classify::Direction::ClientToServer, false};
}
inline classify::PayloadContext fromServer(std::uint16_t port = 3333) {
  return {classify::Transport::Tcp, port, 40000, classify::Direction::ServerToClient, false};
}

/// Classifies text as the sensor would see it: at most kSampleBytes.
inline classify::PayloadFacts classifyText(std::string_view text,
                                           const classify::PayloadContext &context = toServer()) {
  auto bytes = bytesOf(text.substr(0, kSampleBytes));
  return classify::classifyPayload(bytes, context);
}

} // namespace minewatch::test
