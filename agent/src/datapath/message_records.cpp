// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/message_records.hpp"

#include <cstring>

namespace minewatch::datapath {

namespace {
/// The fields a ring record and a flow's message in progress share.
template <typename Fields>
FlowMessage messageOf(const minewatch_flow_key &key, std::uint32_t index, std::uint8_t direction, const Fields &m,
                      bool finished) {
  FlowMessage out;
  out.key = key;
  out.index = index;
  out.direction = static_cast<minewatch_direction>(direction);
  out.bytes = m.bytes;
  out.gap_ms = m.gap_ms;
  out.start_ns = m.start_ns;
  out.tls_type = m.tls_type;
  out.tls_length = m.tls_len;
  out.finished = finished;
  return out;
}
} // namespace

namespace {
bool tlsType(std::uint8_t t) { return t == 0 || (t >= 20 && t <= 24); }
} // namespace

std::optional<FlowMessage> decodeMessage(std::span<const std::byte> record, std::string &error) {
  if (record.size() != sizeof(minewatch_message)) {
    error = "message record of " + std::to_string(record.size()) + " bytes, expected " +
            std::to_string(sizeof(minewatch_message));
    return std::nullopt;
  }
  minewatch_message m;
  std::memcpy(&m, record.data(), sizeof m);
  // What the data path never writes: a record like this is not one of ours.
  if (m.direction >= MINEWATCH_DIRS || !tlsType(m.tls_type) || m.bytes == 0 ||
      (m.key.family != MINEWATCH_FAMILY_IPV4 && m.key.family != MINEWATCH_FAMILY_IPV6) ||
      m.index >= MINEWATCH_MESSAGES_MAX) {
    error = "malformed message record (direction " + std::to_string(m.direction) + ", tls type " +
            std::to_string(m.tls_type) + ", " + std::to_string(m.bytes) + " bytes, family " +
            std::to_string(m.key.family) + ", index " + std::to_string(m.index) + ")";
    return std::nullopt;
  }
  return messageOf(m.key, m.index, m.direction, m, true);
}

std::vector<FlowMessage> decodeMessages(std::span<const std::byte> records, std::string &error) {
  std::vector<FlowMessage> out;
  if (records.size() % sizeof(minewatch_message) != 0) {
    error = std::to_string(records.size()) + " bytes of message records: not a whole number of " +
            std::to_string(sizeof(minewatch_message)) + "-byte records";
    return {};
  }
  out.reserve(records.size() / sizeof(minewatch_message));
  for (std::size_t off = 0; off < records.size(); off += sizeof(minewatch_message)) {
    auto m = decodeMessage(records.subspan(off, sizeof(minewatch_message)), error);
    if (!m)
      return {};
    out.push_back(*m);
  }
  return out;
}

std::optional<FlowMessage> pendingMessage(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                          std::uint32_t messages_per_flow) {
  const auto &m = value.msg;
  // count is the number begun; past messages_per_flow the last one went out
  if (m.count == 0 || m.count > messages_per_flow || m.dir >= MINEWATCH_DIRS)
    return std::nullopt;
  return messageOf(key, m.count - 1, m.dir, m, false);
}

} // namespace minewatch::datapath
