// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"
#include "classify/json_carry.hpp"
#include "detect/assessment.hpp"
#include "judge/flow_roles.hpp"
#include "minewatch_abi.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace minewatch::judge {

/// One thing a classifier learned from a payload sample.
struct PayloadFact {
  classify::Protocol protocol = classify::Protocol::Unknown;
  bool mining = false;      // a mining protocol signature
  Side side = Side::Client; // who sent it
  std::string summary;      // "login, agent XMRig/6.16.4"
  std::uint64_t ts_ns = 0;  // data-path clock
};

/// The client's ClientHello as explain shows it.
struct TlsHelloFact {
  std::string sni;
  std::vector<std::string> alpn;
  std::string ja3; // MD5; empty when cut short
  std::string ja4; // empty when cut short
  bool complete = false;
  std::size_t bytes_seen = 0, bytes_total = 0;
};

/// One finished message of the flow as the data path handed it over (see
/// datapath::FlowMessage), kept small: a TCP flow keeps its first
/// datapath.messages_per_flow of them.
struct SeenMessage {
  static constexpr std::uint32_t kMaxBytes = (1u << 24) - 1; // bytes saturate here: rhythm reads small messages

  std::uint32_t bytes : 24 = 0;
  std::uint32_t tls_type : 8 = 0; // the TLS record type its first segment began with; 0: none
  std::uint32_t gap_ms = 0;
  std::uint16_t index : 15 = 0;    // position in the flow's sequence (< MINEWATCH_MESSAGES_MAX)
  std::uint16_t direction : 1 = 0; // data-path direction: oriented by role when judged
  std::uint16_t tls_length = 0;    // that TLS record's length field: where its first write ends
};
static_assert(sizeof(SeenMessage) == 12, "12 bytes a message: a TCP flow keeps up to messages_per_flow");

/// What the agent knows of a flow beyond the BPF counters. Most flows never
/// need one, so records hold it behind a pointer: the per-flow cost of a
/// quiet flow stays small.
struct FlowFacts {
  static constexpr std::size_t kMaxFacts = 8;

  std::vector<PayloadFact> payload; // what the samples said, at most kMaxFacts
  std::string server_name;          // TLS SNI, or a DNS answer for the server
  std::string tls_fingerprint;      // JA3-style
  std::optional<TlsHelloFact> tls_hello;
  // The first part of a ClientHello whose record goes on in the next
  // segment (a minewatch_hello_sample of kind TLS_HELLO_CONT follows).
  std::vector<std::uint8_t> hello_head;
  detect::Assessment assessment;
  bool reported = false;                         // a detection entry exists for this flow
  std::array<classify::JsonCarry, 2> json_carry; // by data-path direction
  std::vector<SeenMessage> messages;             // the message sequence so far, in ring order
  // The kernel's value at the last evaluation: what `explain` shows and
  // judges again. Only flows with something to explain keep it.
  std::optional<minewatch_flow_value> judged;
};

/// The agent's per-flow record: what the drain last read of it (for
/// `flows`, without asking the kernel), what the judge concluded. Kept to
/// 72 bytes: a busy tick touches every record it reads.
struct FlowRecord {
  std::array<std::uint64_t, MINEWATCH_DIRS> packets{}, bytes{}; // by data-path direction
  std::uint64_t first_seen_ns = 0;                              // first packet either way (0: none)
  std::uint64_t last_seen_ns = 0;                               // newest packet either way
  std::uint64_t evaluated_seen_ns = 0;                          // last packet at the last evaluation
  std::unique_ptr<FlowFacts> facts;
  std::uint8_t initiator = 0;  // as minewatch_flow_value
  std::uint8_t flow_flags = 0; // its low byte
  bool facts_changed = false;  // facts arrived since then
  std::uint32_t read_s = 0;    // data-path clock, seconds, when a drain last read it (see Judge::readFrom)

  [[nodiscard]] std::uint64_t lastSeen() const { return last_seen_ns; }
  /// Judged at every drain that reads it: a flow with payload facts (they
  /// may be joined by more) or a verdict (it may rise or clear).
  [[nodiscard]] bool keepsJudging() const {
    return facts && (!facts->payload.empty() || facts->assessment.verdict != detect::Verdict::Clean);
  }
  [[nodiscard]] std::uint64_t totalBytes() const { return bytes[0] + bytes[1]; }
  [[nodiscard]] std::uint64_t totalPackets() const { return packets[0] + packets[1]; }
  FlowFacts &ensureFacts() {
    if (!facts)
      facts = std::make_unique<FlowFacts>();
    return *facts;
  }
};
static_assert(sizeof(FlowRecord) == 72, "a record a tick touches: keep it small");

} // namespace minewatch::judge
