// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "detect/message_sequence.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::detect {

/// A closed range of message sizes in bytes, TCP payload of the whole run.
struct ByteBand {
  std::uint32_t min = 0;
  std::uint32_t max = 0;
  [[nodiscard]] bool holds(std::uint32_t bytes) const { return bytes >= min && bytes <= max; }
};

/// Thresholds of the rhythm features. Sizes are Stratum's (signatures.md:
/// login ~200-400 B, job ~250-700 B, submit ~150-300 B, result ~60-120 B)
/// plus 22-29 B of TLS per record, widened so plaintext Stratum fits too.
struct RhythmSettings {
  // An answer comes within answer_rtt_factor * RTT + answer_slack_ms: the
  // pool's work and the sensor's ms clock need room beyond one RTT.
  double answer_rtt_factor = 2.0;
  std::uint32_t answer_slack_ms = 30;
  // Say nothing with less conversation than this: three jobs and two
  // answered shares, or -- a pool with slow jobs (a minute or more apart)
  // has pushed only twice within three minutes -- two jobs and four shares.
  unsigned min_unanswered_pushes = 3;
  unsigned min_answered_requests = 2;
  unsigned few_unanswered_pushes = 2;
  unsigned min_answered_requests_with_few_pushes = 4;
  // The pairing pattern: the pool's pushes (jobs) go unanswered, the
  // miner's requests (submits, keepalived) are answered.
  double min_unanswered_push_share = 0.75;
  double min_answered_request_share = 0.6;
  // Jobs come at the pool's rhythm: 5 s to several minutes apart.
  std::uint32_t push_interval_min_ms = 4'000;
  std::uint32_t push_interval_max_ms = 600'000;
  double min_intervals_in_band = 0.75;
  ByteBand push_band{230, 760};    // job (+ TLS)
  ByteBand request_band{100, 480}; // submit, keepalived, login (+ TLS)
  ByteBand reply_band{55, 160};    // result, KEEPALIVED status (+ TLS)
  double min_size_fit = 0.7;
  // Upload about equal to download, or a little above (Monero ~1.3).
  double min_up_down = 0.4;
  double max_up_down = 2.5;
};

/// Who answered whom in a message sequence, and the numbers behind it;
/// what `explain` prints. Times in ms, sizes in bytes.
struct RhythmFeatures {
  bool rtt_known = false;
  bool rtt_from_handshake = false; // ClientHello -> ServerHello, else the quickest turn
  std::uint32_t rtt_ms = 0;
  std::uint32_t answer_window_ms = 0;

  unsigned pushes = 0;            // server messages that answer nothing (jobs)
  unsigned unanswered_pushes = 0; // ... the client did not answer
  unsigned requests = 0;          // client messages that answer nothing (submits)
  unsigned answered_requests = 0; // ... the server answered within the window
  unsigned client_replies = 0;    // client messages answering a push (acks, pongs)

  // Ranges; min > max when empty.
  std::uint32_t push_interval_min_ms = UINT32_MAX, push_interval_max_ms = 0;
  std::uint32_t answer_gap_min_ms = UINT32_MAX, answer_gap_max_ms = 0;
  std::uint32_t push_bytes_min = UINT32_MAX, push_bytes_max = 0;       // unanswered pushes
  std::uint32_t request_bytes_min = UINT32_MAX, request_bytes_max = 0; // answered requests
  std::uint32_t reply_bytes_min = UINT32_MAX, reply_bytes_max = 0;     // the answers to them

  double push_interval_cv = 0;  // spread of the unanswered pushes' intervals
  double intervals_in_band = 0; // share of those intervals in the job band
  double push_size_fit = 0;     // shares of messages in their Stratum band
  double request_size_fit = 0;
  double reply_size_fit = 0;
  double up_down = 0; // application bytes up / down

  // The verdicts on the features (RhythmSettings).
  bool enough = false;    // minimum conversation
  bool pairing = false;   // jobs unanswered, requests answered
  bool intervals = false; // jobs' rhythm
  bool sizes = false;     // all three size bands fit
  bool balance = false;   // up ~ down

  /// One "name: value" line per feature, for `explain`.
  [[nodiscard]] std::vector<std::string> lines() const;
};

/// Pairs messages into turns and measures them. Messages of TLS's own
/// handshake give the RTT but are neither pushes nor requests. The last
/// message is not counted: whether it will be answered is not known yet.
/// A TLS answer holding more than its first application record is taken as
/// two writes: that record (the answer), then the rest (a push).
RhythmFeatures measureRhythm(const MessageSequence &messages, const RhythmSettings &settings = {});

} // namespace minewatch::detect
