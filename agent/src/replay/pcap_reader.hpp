// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

typedef struct pcap pcap_t;

namespace minewatch::replay {

/// One captured packet as an Ethernet frame, whatever the capture's link
/// type, with its timestamp in ns since the epoch.
struct Frame {
  std::uint64_t ts_ns = 0;
  std::vector<std::uint8_t> bytes;
  bool padded = false; // captured shorter than on the wire; zero-filled back
};

/// Reads pcap and pcapng files (libpcap reads both). Link types: Ethernet,
/// raw IP, Linux cooked (SLL, SLL2), BSD loopback; others are refused with
/// the type named. Packets cut short by the capture's snap length are padded
/// with zeros to their wire length, so byte counts and header lengths stay
/// true (only the missing payload is zeros).
class PcapReader {
public:
  explicit PcapReader(const std::string &path);
  ~PcapReader();
  PcapReader(const PcapReader &) = delete;
  PcapReader &operator=(const PcapReader &) = delete;

  /// Next frame; false at the end of the file, or where it stops making
  /// sense (cut short, a corrupt record, an interface of another link type
  /// in a pcapng): what came before is still good evidence, so that is not
  /// an exception but a note in cutShort().
  bool next(Frame &frame);

  [[nodiscard]] std::uint64_t skipped() const { return skipped_; } // unusable records
  /// Why reading stopped before the end of the file ("" when it did not).
  [[nodiscard]] const std::string &cutShort() const { return cut_short_; }
  [[nodiscard]] const std::string &path() const { return path_; }

private:
  std::string path_;
  pcap_t *pcap_ = nullptr;
  int link_type_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t records_ = 0;
  std::string cut_short_;
};

} // namespace minewatch::replay
