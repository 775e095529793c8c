// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// rhythm_features: the rhythm detector's features of recorded flows.
//
//   tools/message_sequences.py CAPTURE --labels L | build/tools/rhythm_features/rhythm_features
//
// Reads one flow per JSON line (message_sequences.py's output: "messages"
// as [dir, bytes, gap_ms, tls_type, tls_length]) and writes one JSON line
// per flow: its key and class, measureRhythm over the whole sequence, and
// over every prefix at which a verdict bit changes, so a fit sees each
// state the judge could have met as the flow grew. Only the first
// kDataPathMessages messages count: the data path keeps no more.
#include "detect/rhythm_features.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <iostream>
#include <string>

namespace {
using minewatch::detect::Message;
using minewatch::detect::MessageSequence;
using minewatch::detect::RhythmFeatures;
using nlohmann::json;

// The data path's default datapath.messages_per_flow.
constexpr std::size_t kDataPathMessages = 64;

MessageSequence sequenceOf(const json &messages) {
  MessageSequence out;
  for (const auto &m : messages) {
    if (out.size() == kDataPathMessages)
      break;
    Message msg;
    msg.direction = m.at(0).get<std::string>() == "up" ? Message::Direction::ToServer : Message::Direction::ToClient;
    msg.bytes = m.at(1).get<std::uint32_t>();
    msg.gap_ms = m.at(2).get<std::uint32_t>();
    msg.tls_type = m.at(3).get<std::uint8_t>();
    msg.tls_length = m.at(4).get<std::uint16_t>();
    out.push_back(msg);
  }
  return out;
}

std::array<bool, 5> bitsOf(const RhythmFeatures &f) { return {f.enough, f.pairing, f.intervals, f.sizes, f.balance}; }

// An empty range (min > max) is null, not UINT32_MAX.
json range(std::uint32_t lo, std::uint32_t hi) { return lo > hi ? json(nullptr) : json::array({lo, hi}); }

json toJson(const RhythmFeatures &f, std::size_t messages) {
  return {{"messages", messages},
          {"enough", f.enough},
          {"pairing", f.pairing},
          {"intervals", f.intervals},
          {"sizes", f.sizes},
          {"balance", f.balance},
          {"rtt_known", f.rtt_known},
          {"rtt_from_handshake", f.rtt_from_handshake},
          {"rtt_ms", f.rtt_ms},
          {"answer_window_ms", f.answer_window_ms},
          {"pushes", f.pushes},
          {"unanswered_pushes", f.unanswered_pushes},
          {"requests", f.requests},
          {"answered_requests", f.answered_requests},
          {"client_replies", f.client_replies},
          {"push_interval_ms", range(f.push_interval_min_ms, f.push_interval_max_ms)},
          {"answer_gap_ms", range(f.answer_gap_min_ms, f.answer_gap_max_ms)},
          {"push_bytes", range(f.push_bytes_min, f.push_bytes_max)},
          {"request_bytes", range(f.request_bytes_min, f.request_bytes_max)},
          {"reply_bytes", range(f.reply_bytes_min, f.reply_bytes_max)},
          {"push_interval_cv", f.push_interval_cv},
          {"intervals_in_band", f.intervals_in_band},
          {"push_size_fit", f.push_size_fit},
          {"request_size_fit", f.request_size_fit},
          {"reply_size_fit", f.reply_size_fit},
          {"up_down", f.up_down}};
}

json flowFeatures(const json &flow) {
  const MessageSequence all = sequenceOf(flow.at("messages"));
  json out = {{"capture", flow.value("capture", "")},
              {"flow", flow.value("flow", "")},
              {"class", flow.value("class", json(nullptr))}};
  json prefixes = json::array();
  std::array<bool, 5> last{}; // no messages: every verdict false
  MessageSequence prefix;
  for (const auto &m : all) {
    prefix.push_back(m);
    auto f = minewatch::detect::measureRhythm(prefix);
    if (bitsOf(f) != last)
      prefixes.push_back(toJson(f, prefix.size()));
    last = bitsOf(f);
  }
  out["whole"] = toJson(minewatch::detect::measureRhythm(all), all.size());
  out["prefixes"] = std::move(prefixes);
  return out;
}
} // namespace

int main() {
  std::string line;
  std::size_t number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    try {
      std::cout << flowFeatures(json::parse(line)).dump() << '\n';
    } catch (const json::exception &e) {
      std::cerr << "rhythm_features: line " << number << ": " << e.what() << '\n';
      return 2;
    }
  }
  return std::cout.good() ? 0 : 1;
}
