// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/rhythm_features.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace minewatch::detect {

namespace {
constexpr std::uint8_t kTlsHandshake = 22;

void widen(std::uint32_t &lo, std::uint32_t &hi, std::uint32_t v) {
  lo = std::min(lo, v);
  hi = std::max(hi, v);
}

double share(unsigned part, unsigned whole) { return whole ? static_cast<double>(part) / whole : 0; }

/// The RTT as the conversation shows it. ClientHello -> ServerHello is a
/// clean turn; otherwise the quickest client -> server turn, which is never
/// longer than the RTT plus the server's work (a push that crosses a
/// request in flight can make it shorter: the window then shrinks, which
/// misses mining rather than inventing it).
bool estimateRtt(const MessageSequence &m, std::uint32_t &rtt, bool &from_handshake) {
  for (std::size_t i = 1; i < m.size(); ++i)
    if (m[i - 1].toServer() && m[i - 1].tls_type == kTlsHandshake && !m[i].toServer() &&
        m[i].tls_type == kTlsHandshake) {
      rtt = m[i].gap_ms;
      from_handshake = true;
      return true;
    }
  bool found = false;
  for (std::size_t i = 1; i < m.size(); ++i)
    if (m[i - 1].toServer() && !m[i].toServer() && (!found || m[i].gap_ms < rtt)) {
      rtt = m[i].gap_ms;
      found = true;
    }
  return found;
}

double coefficientOfVariation(const std::vector<std::uint32_t> &v) {
  if (v.size() < 2)
    return 0;
  double mean = 0, var = 0;
  for (auto x : v)
    mean += x;
  mean /= static_cast<double>(v.size());
  for (auto x : v)
    var += (x - mean) * (x - mean);
  var /= static_cast<double>(v.size());
  return mean > 0 ? std::sqrt(var) / mean : 0;
}

constexpr std::uint8_t kTlsApplicationData = 23;
constexpr std::uint32_t kTlsHeaderBytes = 5;

/// Each TLS write is a record of its own, so an answer whose first
/// application record is shorter than the message holds more than one
/// write: a pool's share result with the next job right behind it (both
/// leave within a millisecond and the data path merges them into one
/// burst). Splitting at the first record keeps the answer an answer and the
/// job a push; the rest is one message (its own records are not known).
/// Only answers to application messages are split: what follows TLS's own
/// handshake (TLS 1.3's session tickets, two records) is not an answer.
MessageSequence splitAnswers(const MessageSequence &m, std::uint32_t answer_window_ms) {
  MessageSequence out;
  out.reserve(m.size() + m.size() / 4);
  for (std::size_t i = 0; i < m.size(); ++i) {
    const auto &msg = m[i];
    std::uint32_t first = msg.tls_length + kTlsHeaderBytes;
    bool answer =
        i > 0 && m[i - 1].direction != msg.direction && !m[i - 1].tlsControl() && msg.gap_ms <= answer_window_ms;
    if (!answer || msg.tls_type != kTlsApplicationData || msg.tls_length == 0 || first >= msg.bytes) {
      out.push_back(msg);
      continue;
    }
    Message head = msg, rest = msg;
    head.bytes = first;
    rest.bytes = msg.bytes - first;
    rest.gap_ms = 0;
    rest.tls_length = 0;
    out.push_back(head);
    out.push_back(rest);
  }
  return out;
}

std::string range(std::uint32_t lo, std::uint32_t hi, const char *unit) {
  if (lo > hi)
    return "none";
  return lo == hi ? fmt::format("{} {}", lo, unit) : fmt::format("{}-{} {}", lo, hi, unit);
}
} // namespace

RhythmFeatures measureRhythm(const MessageSequence &recorded, const RhythmSettings &s) {
  RhythmFeatures f;
  if (!estimateRtt(recorded, f.rtt_ms, f.rtt_from_handshake))
    return f;
  f.rtt_known = true;
  f.answer_window_ms = static_cast<std::uint32_t>(s.answer_rtt_factor * f.rtt_ms) + s.answer_slack_ms;
  const MessageSequence m = splitAnswers(recorded, f.answer_window_ms);
  auto answers = [&](std::size_t i) { // does message i answer message i-1?
    return i > 0 && i < m.size() && m[i].direction != m[i - 1].direction && m[i].gap_ms <= f.answer_window_ms;
  };

  std::uint64_t up = 0, down = 0, time_ms = 0;
  std::vector<std::uint64_t> push_times;
  unsigned push_fit = 0, request_fit = 0, reply_fit = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    time_ms += m[i].gap_ms;
    if (m[i].tlsControl())
      continue;
    (m[i].toServer() ? up : down) += m[i].bytes;
    if (answers(i) && m[i].toServer())
      ++f.client_replies;
    bool last = i + 1 == m.size();
    if (answers(i) || last)
      continue;
    bool answered = answers(i + 1);
    if (m[i].toServer()) {
      ++f.requests;
      if (!answered)
        continue;
      ++f.answered_requests;
      widen(f.request_bytes_min, f.request_bytes_max, m[i].bytes);
      widen(f.reply_bytes_min, f.reply_bytes_max, m[i + 1].bytes);
      widen(f.answer_gap_min_ms, f.answer_gap_max_ms, m[i + 1].gap_ms);
      request_fit += s.request_band.holds(m[i].bytes);
      reply_fit += s.reply_band.holds(m[i + 1].bytes);
    } else {
      ++f.pushes;
      if (answered)
        continue;
      ++f.unanswered_pushes;
      widen(f.push_bytes_min, f.push_bytes_max, m[i].bytes);
      push_fit += s.push_band.holds(m[i].bytes);
      push_times.push_back(time_ms);
    }
  }

  std::vector<std::uint32_t> intervals;
  for (std::size_t k = 1; k < push_times.size(); ++k)
    intervals.push_back(static_cast<std::uint32_t>(push_times[k] - push_times[k - 1]));
  unsigned in_band = 0;
  for (auto iv : intervals) {
    widen(f.push_interval_min_ms, f.push_interval_max_ms, iv);
    in_band += iv >= s.push_interval_min_ms && iv <= s.push_interval_max_ms;
  }
  f.push_interval_cv = coefficientOfVariation(intervals);
  f.intervals_in_band = share(in_band, static_cast<unsigned>(intervals.size()));
  f.push_size_fit = share(push_fit, f.unanswered_pushes);
  f.request_size_fit = share(request_fit, f.answered_requests);
  f.reply_size_fit = share(reply_fit, f.answered_requests);
  f.up_down = down ? static_cast<double>(up) / static_cast<double>(down) : 0;

  f.enough = (f.unanswered_pushes >= s.min_unanswered_pushes && f.answered_requests >= s.min_answered_requests) ||
             (f.unanswered_pushes >= s.few_unanswered_pushes &&
              f.answered_requests >= s.min_answered_requests_with_few_pushes);
  f.pairing = share(f.unanswered_pushes, f.pushes) >= s.min_unanswered_push_share &&
              share(f.answered_requests, f.requests) >= s.min_answered_request_share;
  f.intervals = f.intervals_in_band >= s.min_intervals_in_band;
  f.sizes =
      f.push_size_fit >= s.min_size_fit && f.request_size_fit >= s.min_size_fit && f.reply_size_fit >= s.min_size_fit;
  f.balance = f.up_down >= s.min_up_down && f.up_down <= s.max_up_down;
  return f;
}

std::vector<std::string> RhythmFeatures::lines() const {
  std::vector<std::string> out;
  if (!rtt_known)
    return {"rtt: unknown (no client->server turn)"};
  out.push_back(fmt::format("rtt: {} ms ({}), answer window {} ms", rtt_ms,
                            rtt_from_handshake ? "TLS handshake" : "quickest turn", answer_window_ms));
  out.push_back(fmt::format("server pushes: {} of {} unanswered, {}, every {} (cv {:.2f}, {:.0f}% in band)",
                            unanswered_pushes, pushes, range(push_bytes_min, push_bytes_max, "B"),
                            range(push_interval_min_ms, push_interval_max_ms, "ms"), push_interval_cv,
                            intervals_in_band * 100));
  out.push_back(fmt::format("client requests: {} of {} answered in {}, {} answered by {}", answered_requests, requests,
                            range(answer_gap_min_ms, answer_gap_max_ms, "ms"),
                            range(request_bytes_min, request_bytes_max, "B"),
                            range(reply_bytes_min, reply_bytes_max, "B")));
  out.push_back(fmt::format("client replies to pushes: {}", client_replies));
  out.push_back(fmt::format("size fit: pushes {:.0f}%, requests {:.0f}%, replies {:.0f}%", push_size_fit * 100,
                            request_size_fit * 100, reply_size_fit * 100));
  out.push_back(fmt::format("up/down bytes: {:.2f}", up_down));
  out.push_back(fmt::format("met: enough={} pairing={} intervals={} sizes={} balance={}", enough, pairing, intervals,
                            sizes, balance));
  return out;
}

} // namespace minewatch::detect
