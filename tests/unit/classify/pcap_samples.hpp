// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/classify.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::test {

/// The payload samples the sensor would take from one direction of a flow.
struct DirectionSamples {
  std::string src, dst; // addresses as text
  std::uint16_t sport = 0, dport = 0;
  classify::Transport transport = classify::Transport::Tcp;
  classify::Direction direction = classify::Direction::Unknown;
  std::vector<std::vector<std::uint8_t>> samples;

  /// "tcp 10.0.2.15:53310 > 74.84.128.158:3333"
  [[nodiscard]] std::string name() const;
  /// The same flow, either direction: "tcp 10.0.2.15:53310 74.84.128.158:3333" in sorted order.
  [[nodiscard]] std::string flowName() const;
  [[nodiscard]] classify::PayloadContext context() const;
};

/// Reads a pcap or pcapng (Ethernet, Linux cooked or raw IP) with libpcap and
/// keeps, for each TCP/UDP flow direction in order of appearance, the first
/// `packets` payload-carrying packets cut to `bytes`, as the data path's
/// flow-start samples do. The client is the sender of a SYN without ACK, or
/// else of the flow's first packet. Throws if the file cannot be read.
std::vector<DirectionSamples> sampleCapture(const std::string &path, std::size_t packets = 4, std::size_t bytes = 256);

} // namespace minewatch::test
