// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// IPFIX messages (RFC 7011) carrying biflows (RFC 5103). The template tables
// below are the single description of a record: the template set is written
// from them and every data record is written in their order (the unit test
// checks both byte for byte).
#include "export/ipfix_encoder.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace minewatch::ipfix {

namespace {
constexpr std::uint16_t kVersion = 10;
constexpr std::uint16_t kTemplateSetId = 2;
constexpr std::uint16_t kVarLen = 0xffff;
constexpr std::uint16_t kSizeHistBytes = MINEWATCH_SIZE_BUCKETS * 4;
constexpr std::uint16_t kGapHistBytes = MINEWATCH_IAT_BUCKETS * 4;

// Everything after the addresses, shared by both templates.
#define MINEWATCH_IPFIX_COMMON_FIELDS                                                                                  \
  Field{7, 2, 0},               /* sourceTransportPort */                                                              \
      Field{11, 2, 0},          /* destinationTransportPort */                                                         \
      Field{4, 1, 0},           /* protocolIdentifier */                                                               \
      Field{6, 2, 0},           /* tcpControlBits */                                                                   \
      Field{6, 2, kReversePen}, /* reverse tcpControlBits */                                                           \
      Field{1, 8, 0},           /* octetDeltaCount */                                                                  \
      Field{2, 8, 0},           /* packetDeltaCount */                                                                 \
      Field{1, 8, kReversePen}, /* reverse octetDeltaCount */                                                          \
      Field{2, 8, kReversePen}, /* reverse packetDeltaCount */                                                         \
      Field{152, 8, 0},         /* flowStartMilliseconds */                                                            \
      Field{153, 8, 0},         /* flowEndMilliseconds */                                                              \
      Field{136, 1, 0},         /* flowEndReason */                                                                    \
      Field{kVerdict, 1, kMinewatchPen}, Field{kConfidence, 4, kMinewatchPen},                                         \
      Field{kServerName, kVarLen, kMinewatchPen}, Field{kJa3, kVarLen, kMinewatchPen},                                 \
      Field{kDetectors, kVarLen, kMinewatchPen}, Field{kSizeHistogram, kSizeHistBytes, kMinewatchPen},                 \
      Field{kSizeHistogram | kReverseBit, kSizeHistBytes, kMinewatchPen},                                              \
      Field{kGapHistogram, kGapHistBytes, kMinewatchPen},                                                              \
      Field{kGapHistogram | kReverseBit, kGapHistBytes, kMinewatchPen}, Field {                                        \
    kJa4, kVarLen, kMinewatchPen                                                                                       \
  }

constexpr Field kIpv4Fields[] = {Field{8, 4, 0} /* sourceIPv4Address */, Field{12, 4, 0} /* destinationIPv4Address */,
                                 MINEWATCH_IPFIX_COMMON_FIELDS};
constexpr Field kIpv6Fields[] = {Field{27, 16, 0} /* sourceIPv6Address */,
                                 Field{28, 16, 0} /* destinationIPv6Address */, MINEWATCH_IPFIX_COMMON_FIELDS};
#undef MINEWATCH_IPFIX_COMMON_FIELDS

void put8(std::vector<std::uint8_t> &out, std::uint8_t v) { out.push_back(v); }
void put16(std::vector<std::uint8_t> &out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t> &out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}
void put64(std::vector<std::uint8_t> &out, std::uint64_t v) {
  put32(out, static_cast<std::uint32_t>(v >> 32));
  put32(out, static_cast<std::uint32_t>(v));
}
void set16(std::vector<std::uint8_t> &out, std::size_t at, std::uint16_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}
void set32(std::vector<std::uint8_t> &out, std::size_t at, std::uint32_t v) {
  set16(out, at, static_cast<std::uint16_t>(v >> 16));
  set16(out, at + 2, static_cast<std::uint16_t>(v));
}

/// RFC 7011 section 7: one length byte below 255, else 255 and two bytes.
/// Strings are capped at kMaxString, so the short form always does.
void putString(std::vector<std::uint8_t> &out, const std::string &text) {
  auto n = std::min(text.size(), kMaxString);
  put8(out, static_cast<std::uint8_t>(n));
  out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
}

template <std::size_t N> void putHist(std::vector<std::uint8_t> &out, const std::array<std::uint32_t, N> &hist) {
  for (auto v : hist)
    put32(out, v);
}

void putRecord(std::vector<std::uint8_t> &out, const FlowRecord &r) {
  if (r.ipv6) {
    out.insert(out.end(), r.src.begin(), r.src.end());
    out.insert(out.end(), r.dst.begin(), r.dst.end());
  } else {
    out.insert(out.end(), r.src.begin() + 12, r.src.end());
    out.insert(out.end(), r.dst.begin() + 12, r.dst.end());
  }
  put16(out, r.src_port);
  put16(out, r.dst_port);
  put8(out, r.proto);
  put16(out, r.forward.tcp_flags);
  put16(out, r.reverse.tcp_flags);
  put64(out, r.forward.octets);
  put64(out, r.forward.packets);
  put64(out, r.reverse.octets);
  put64(out, r.reverse.packets);
  put64(out, r.start_ms);
  put64(out, r.end_ms);
  put8(out, static_cast<std::uint8_t>(r.end_reason));
  put8(out, r.verdict);
  put32(out, std::bit_cast<std::uint32_t>(r.confidence));
  putString(out, r.server_name);
  putString(out, r.ja3);
  putString(out, r.detectors);
  putHist(out, r.forward.size_hist);
  putHist(out, r.reverse.size_hist);
  putHist(out, r.forward.gap_hist);
  putHist(out, r.reverse.gap_hist);
  putString(out, r.ja4.substr(0, kMaxJa4));
}

void putTemplate(std::vector<std::uint8_t> &out, std::uint16_t id, std::span<const Field> fields) {
  put16(out, id);
  put16(out, static_cast<std::uint16_t>(fields.size()));
  for (const auto &f : fields) {
    put16(out, static_cast<std::uint16_t>(f.id | (f.pen ? 0x8000 : 0)));
    put16(out, f.length);
    if (f.pen)
      put32(out, f.pen);
  }
}
} // namespace

std::span<const Field> templateFields(bool ipv6) {
  if (ipv6)
    return kIpv6Fields;
  return kIpv4Fields;
}

MessageEncoder::MessageEncoder(std::uint32_t domain_id, std::size_t max_bytes)
    : domain_id_(domain_id), max_bytes_(std::min<std::size_t>(max_bytes, 65535)) {
  if (max_bytes_ < 512)
    throw std::invalid_argument("an IPFIX message must be allowed at least 512 bytes");
}

void MessageEncoder::begin(std::uint32_t export_time_s) {
  out_.clear();
  records_ = 0;
  set_start_ = 0;
  set_id_ = 0;
  put16(out_, kVersion);
  put16(out_, 0); // length, in finish
  put32(out_, export_time_s);
  put32(out_, 0); // sequence, in finish
  put32(out_, domain_id_);
}

void MessageEncoder::addTemplates() {
  closeSet();
  auto start = out_.size();
  put16(out_, kTemplateSetId);
  put16(out_, 0);
  putTemplate(out_, kTemplateIpv4, kIpv4Fields);
  putTemplate(out_, kTemplateIpv6, kIpv6Fields);
  set16(out_, start + 2, static_cast<std::uint16_t>(out_.size() - start));
}

bool MessageEncoder::addRecord(const FlowRecord &record) {
  auto id = record.ipv6 ? kTemplateIpv6 : kTemplateIpv4;
  auto before = out_.size();
  bool opened = false;
  if (set_start_ == 0 || set_id_ != id) {
    closeSet();
    set_start_ = out_.size();
    set_id_ = id;
    put16(out_, id);
    put16(out_, 0);
    opened = true;
  }
  putRecord(out_, record);
  if (out_.size() > max_bytes_) {
    out_.resize(before);
    if (opened)
      set_start_ = 0;
    return false;
  }
  set16(out_, set_start_ + 2, static_cast<std::uint16_t>(out_.size() - set_start_));
  ++records_;
  return true;
}

void MessageEncoder::closeSet() { set_start_ = 0; }

std::vector<std::uint8_t> MessageEncoder::finish() {
  closeSet();
  set16(out_, 2, static_cast<std::uint16_t>(out_.size()));
  set32(out_, 8, sequence_);
  // RFC 7011: the sequence counts data records sent before this message.
  sequence_ += static_cast<std::uint32_t>(records_);
  auto message = std::move(out_);
  out_.clear();
  records_ = 0;
  return message;
}

} // namespace minewatch::ipfix
