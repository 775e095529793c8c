// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace minewatch::ipfix {

/// RFC 5103: the reverse direction of an IANA element is this enterprise
/// with the same element number.
inline constexpr std::uint32_t kReversePen = 29305;
/// PLACEHOLDER: minewatch has no Private Enterprise Number of its own yet.
/// 32473 is the number RFC 5612 reserves for documentation and examples; it
/// must be replaced by an IANA-assigned number before collectors rely on it.
inline constexpr std::uint32_t kMinewatchPen = 32473;
/// RFC 5103 section 6.2: the reverse of an enterprise element is the same
/// enterprise and number with this bit set.
inline constexpr std::uint16_t kReverseBit = 0x4000;

inline constexpr std::uint16_t kTemplateIpv4 = 256;
inline constexpr std::uint16_t kTemplateIpv6 = 257;

/// flowEndReason (IANA element 136).
enum class EndReason : std::uint8_t { Idle = 1, Active = 2, EndOfFlow = 3, Forced = 4, LackOfResources = 5 };

/// minewatch's own elements (enterprise kMinewatchPen).
enum MinewatchElement : std::uint16_t {
  kVerdict = 1,       // unsigned8: 0 clean, 1 suspicious, 2 mining
  kConfidence = 2,    // float32, 0-1
  kServerName = 3,    // string: TLS SNI, else the DNS name the server's address had
  kJa3 = 4,           // string: JA3 MD5 of the client's ClientHello
  kDetectors = 5,     // string: detectors that gave evidence, comma-separated
  kSizeHistogram = 6, // octetArray: MINEWATCH_SIZE_BUCKETS big-endian uint32 (see abi)
  kGapHistogram = 7,  // octetArray: MINEWATCH_IAT_BUCKETS big-endian uint32 (see abi)
  kJa4 = 8,           // string: JA4 of the client's ClientHello (empty unless it was seen whole)
};

/// One field specifier of a template.
struct Field {
  std::uint16_t id;
  std::uint16_t length; // 0xffff: variable length
  std::uint32_t pen;    // 0: IANA
};

/// The template for IPv4 (ipv6 false) or IPv6 flows, in record order.
std::span<const Field> templateFields(bool ipv6);

/// Strings longer than this are cut: one record always fits a UDP message.
inline constexpr std::size_t kMaxString = 180;
/// A JA4 is 36 characters; more is not one.
inline constexpr std::size_t kMaxJa4 = 40;

/// One biflow, RFC 5103 style: forward is the initiator's direction (the
/// source), reverse the responder's. Counts are deltas since the flow's
/// previous record; histograms cover the flow since its first packet.
struct FlowRecord {
  struct Direction {
    std::uint64_t octets = 0, packets = 0;
    std::uint16_t tcp_flags = 0;
    std::array<std::uint32_t, MINEWATCH_SIZE_BUCKETS> size_hist{};
    std::array<std::uint32_t, MINEWATCH_IAT_BUCKETS> gap_hist{};
  };
  bool ipv6 = false;
  std::array<std::uint8_t, 16> src{}, dst{}; // IPv4 as ::ffff:a.b.c.d (the last 4 bytes are sent)
  std::uint16_t src_port = 0, dst_port = 0;  // host order
  std::uint8_t proto = 0;
  Direction forward, reverse;
  std::uint64_t start_ms = 0, end_ms = 0; // Unix time
  EndReason end_reason = EndReason::Idle;
  std::uint8_t verdict = 0;
  float confidence = 0;
  std::string server_name, ja3, ja4, detectors;
};

/// Builds IPFIX messages (RFC 7011): a header, then optionally the template
/// set, then data sets. Pure: no sockets, no clock; the caller says when.
class MessageEncoder {
public:
  MessageEncoder(std::uint32_t domain_id, std::size_t max_bytes);

  /// Starts a message stamped export_time_s (Unix seconds).
  void begin(std::uint32_t export_time_s);
  /// Adds the template set (both templates). Call right after begin.
  void addTemplates();
  /// Adds a data record; false (and the message unchanged) when it does not fit.
  bool addRecord(const FlowRecord &record);
  [[nodiscard]] std::size_t records() const { return records_; }
  [[nodiscard]] std::size_t size() const { return out_.size(); }
  /// The finished message; the sequence number moves on by its records.
  std::vector<std::uint8_t> finish();
  /// A new transport session (a TCP reconnect) counts from zero again.
  void resetSequence() { sequence_ = 0; }
  [[nodiscard]] std::uint32_t sequence() const { return sequence_; }

private:
  void closeSet();
  std::uint32_t domain_id_;
  std::size_t max_bytes_;
  std::uint32_t sequence_ = 0;
  std::vector<std::uint8_t> out_;
  std::size_t records_ = 0;
  std::size_t set_start_ = 0; // offset of the open data set's header, 0: none
  std::uint16_t set_id_ = 0;
};

} // namespace minewatch::ipfix
