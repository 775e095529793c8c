// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/json_carry.hpp"
#include "detect/assessment.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace minewatch::app {

/// One thing a classifier learned from a payload sample, kept in words.
struct FactNote {
  std::string protocol;      // stratum-v1, monero-stratum, eth-proxy, tls, ...
  bool mining = false;       // a mining protocol signature
  std::string side;          // client | server: who sent it
  std::string summary;       // "login, agent XMRig/6.16.4"
  std::uint64_t ts_ns = 0;   // data-path clock
};

/// The client's ClientHello as explain shows it.
struct TlsHelloNote {
  std::string sni;
  std::vector<std::string> alpn;
  std::string ja3; // MD5; empty when cut short
  std::string ja4; // empty when cut short
  bool complete = false;
  std::size_t bytes_seen = 0, bytes_total = 0;
};

/// What the agent knows of a flow beyond the BPF counters. Most flows never
/// need one, so records hold it behind a pointer: the per-flow cost of a
/// quiet flow stays small.
struct FlowNotes {
  static constexpr std::size_t kMaxFacts = 8;

  std::vector<FactNote> facts;
  std::string server_name;      // TLS SNI, or a DNS answer for the server
  std::string tls_fingerprint;  // JA3-style
  std::optional<TlsHelloNote> tls_hello;
  // The first part of a ClientHello whose record goes on in the next
  // segment (a minewatch_hello_sample of kind TLS_HELLO_CONT follows).
  std::vector<std::uint8_t> hello_head;
  detect::Assessment assessment;
  bool reported = false;        // a detection entry exists for this flow
  std::array<classify::JsonCarry, 2> json_carry; // by data-path direction
};

/// The agent's per-flow record.
struct FlowRecord {
  std::uint64_t last_seen_ns = 0;      // newest packet, data-path clock
  std::uint64_t evaluated_seen_ns = 0; // last_seen at the last evaluation
  std::uint64_t bytes = 0, packets = 0; // both directions, as last read
  bool notes_changed = false;          // facts arrived since then
  std::unique_ptr<FlowNotes> notes;

  FlowNotes &ensureNotes() {
    if (!notes)
      notes = std::make_unique<FlowNotes>();
    return *notes;
  }
};

} // namespace minewatch::app
