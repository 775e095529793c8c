// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/flow_key.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace minewatch::test {

/// What a capture saw of one flow, per direction of its canonical key.
struct CapturedFlow {
  std::uint64_t packets[MINEWATCH_DIRS] = {};
  std::uint64_t bytes[MINEWATCH_DIRS] = {};
};

struct KeyLess {
  bool operator()(const minewatch_flow_key &a, const minewatch_flow_key &b) const;
};
using CapturedFlows = std::map<minewatch_flow_key, CapturedFlow, KeyLess>;

/// An AF_PACKET socket on one interface: sees every frame the interface
/// received (after XDP) and sent (after TC egress), with its full length —
/// the ground truth the sensor's counters are compared with.
class PacketCapture {
public:
  explicit PacketCapture(int ifindex);
  PacketCapture(const PacketCapture &) = delete;
  PacketCapture &operator=(const PacketCapture &) = delete;
  ~PacketCapture();

  /// Reads everything queued so far (non-blocking) into the flow table.
  void drain();
  [[nodiscard]] const CapturedFlows &flows() const { return flows_; }
  [[nodiscard]] std::uint64_t frames() const { return frames_; }

private:
  void account(const std::uint8_t *frame, std::size_t captured, std::size_t wire_len);

  int fd_ = -1;
  CapturedFlows flows_;
  std::uint64_t frames_ = 0;
};

} // namespace minewatch::test
