// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Flow metering for export: when a record is due and what it counts.
#include "export/flow_meter.hpp"

#include <algorithm>
#include <arpa/inet.h>

namespace minewatch::ipfix {

namespace {
constexpr std::uint64_t kNsPerMs = 1'000'000ull;

std::uint64_t firstSeen(const minewatch_flow_value &v) {
  auto a = v.dir[0].first_seen_ns, b = v.dir[1].first_seen_ns;
  return a && b ? std::min(a, b) : std::max(a, b);
}
std::uint64_t lastSeen(const minewatch_flow_value &v) { return std::max(v.dir[0].last_seen_ns, v.dir[1].last_seen_ns); }
} // namespace

std::optional<FlowRecord> FlowMeter::observe(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                             unsigned initiator_dir, const FlowLabels *labels,
                                             std::optional<EndReason> ended, std::uint64_t now_ns) {
  auto it = exported_.find(key);
  auto first = firstSeen(value), last = lastSeen(value);
  if (!ended) {
    auto since = it != exported_.end() ? it->second.at_ns : first;
    if (active_ns_ == 0 || now_ns < since + active_ns_)
      return std::nullopt;
  }
  Exported before = it != exported_.end() ? it->second : Exported{};
  auto delta = [](std::uint64_t now, std::uint64_t then) { return now > then ? now - then : 0; };
  FlowRecord r;
  unsigned fwd = initiator_dir & 1, rev = fwd ^ 1;
  bool a_first = fwd == MINEWATCH_DIR_A_TO_B;
  r.ipv6 = key.family == MINEWATCH_FAMILY_IPV6;
  std::copy(std::begin(a_first ? key.addr_a : key.addr_b), std::end(a_first ? key.addr_a : key.addr_b), r.src.begin());
  std::copy(std::begin(a_first ? key.addr_b : key.addr_a), std::end(a_first ? key.addr_b : key.addr_a), r.dst.begin());
  r.src_port = ntohs(a_first ? key.port_a : key.port_b);
  r.dst_port = ntohs(a_first ? key.port_b : key.port_a);
  r.proto = key.proto;
  auto fill = [&](FlowRecord::Direction &out, unsigned d) {
    const auto &s = value.dir[d];
    out.octets = delta(s.bytes, before.bytes[d]);
    out.packets = delta(s.packets, before.packets[d]);
    out.tcp_flags = static_cast<std::uint16_t>(s.tcp_flags & 0xff);
    std::copy(std::begin(s.size_hist), std::end(s.size_hist), out.size_hist.begin());
    std::copy(std::begin(s.iat_hist), std::end(s.iat_hist), out.gap_hist.begin());
  };
  fill(r.forward, fwd);
  fill(r.reverse, rev);
  if (!ended && r.forward.packets == 0 && r.reverse.packets == 0) {
    // Nothing since the last record: wait for news (or the end).
    if (it != exported_.end())
      it->second.at_ns = now_ns;
    return std::nullopt;
  }
  // A continuation record starts where the one before ended: its first
  // packet came later, but the sensor keeps no per-record first packet.
  auto start = it != exported_.end() ? before.last_seen_ns : first;
  r.start_ms = time_base_.toWall(start) / kNsPerMs;
  r.end_ms = time_base_.toWall(last) / kNsPerMs;
  r.end_reason = ended.value_or(EndReason::Active);
  if (labels) {
    r.verdict = labels->verdict;
    r.confidence = static_cast<float>(labels->confidence);
    r.server_name = labels->server_name;
    r.ja3 = labels->ja3;
    r.ja4 = labels->ja4;
    r.detectors = labels->detectors;
  }
  if (ended) {
    if (it != exported_.end())
      exported_.erase(it);
  } else {
    auto &e = exported_[key];
    for (unsigned d = 0; d < MINEWATCH_DIRS; ++d) {
      e.packets[d] = value.dir[d].packets;
      e.bytes[d] = value.dir[d].bytes;
    }
    e.at_ns = now_ns;
    e.last_seen_ns = last;
  }
  return r;
}

void FlowMeter::forgetQuiet(std::uint64_t now_ns, std::uint64_t quiet_ns) {
  std::erase_if(exported_, [&](const auto &kv) { return now_ns > kv.second.at_ns + quiet_ns; });
}

} // namespace minewatch::ipfix
