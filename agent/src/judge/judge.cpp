// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Where a verdict is made: a flow the drain read is judged when it has news
// and is due, and a flow that turns suspicious or mining is reported (and,
// when mining, handed to the actor). Samples are in sample_facts.cpp.
#include "judge/judge.hpp"

#include "detect/flow_features.hpp"
#include "drain/flow_value.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace minewatch::judge {

namespace {
/// The data-path clock in whole seconds, as FlowRecord::read_s keeps it.
std::uint32_t secondsOf(std::uint64_t ns) { return static_cast<std::uint32_t>(ns / 1'000'000'000ull); }

/// A flow's windows of `every` (> 0) seconds on the data-path clock, which
/// begin at its own phase (a hash of its key): a host's busy quiet flows
/// come due spread over a window, not all in the tick one begins. The
/// judge's (judge_quiet_every_s) and the reads' (Judge::readFrom) are such.
struct FlowWindows {
  FlowWindows(const minewatch_flow_key &key, std::uint64_t every_s)
      : every(every_s), phase(flows::KeyHash{}(key) % every_s) {}
  /// The window second `s` falls in.
  [[nodiscard]] std::uint64_t of(std::uint64_t s) const { return (s + phase) / every; }
  /// The second window `w` begins.
  [[nodiscard]] std::uint64_t start(std::uint64_t w) const { return w * every - phase; }
  std::uint64_t every, phase;
};
} // namespace

Judge::Judge(const config::AgentConfig &config, detect::IntelFeed intel, util::TimeBase time_base, JudgeHooks hooks,
             bool capture)
    : config_(config), time_base_(time_base), hooks_(std::move(hooks)), capture_(capture),
      engine_(config, std::move(intel)), table_(config.agent_max_flows),
      // The export's records of a flow still going need a read as often.
      read_every_s_(config.export_ipfix.empty()
                        ? config.judge_quiet_every_s
                        : std::min(config.judge_quiet_every_s, config.export_active_timeout_s)) {
  engine_.setConfirmations(hooks_.confirmation);
}

bool Judge::newQuietWindow(const minewatch_flow_key &key, std::uint64_t since_s, std::uint64_t now_s) const {
  if (config_.judge_quiet_every_s == 0)
    return true;
  FlowWindows windows(key, config_.judge_quiet_every_s);
  return windows.of(now_s) != windows.of(since_s);
}

bool Judge::onFlow(const drain::DrainedFlow &flow, std::uint64_t now_ns) {
  const auto &value = flow.value;
  auto bytes = drain::totalBytes(value), packets = drain::totalPackets(value);
  bool created = false;
  if (flow.news) {
    auto &record = table_.touch(flow.key, &created);
    auto last = drain::lastSeen(value);
    // A flow without payload facts or a verdict can only change verdict
    // through what just arrived (a sample's facts, a message), its shape
    // (minutes in the making), its server's name or a taint: judging it
    // then, or once in each judge_quiet_every_s window, is soon enough, and
    // most of a busy host's flows are such flows (every TCP flow with
    // payload has messages, but only its first messages_per_flow).
    bool news = last != record.evaluated_seen_ns || record.facts_changed;
    bool due = record.facts_changed || record.keepsJudging() || record.evaluated_seen_ns == 0 ||
               newQuietWindow(flow.key, secondsOf(record.evaluated_seen_ns), secondsOf(last));
    // Totals move by what changed since this flow was last read (a sweep
    // recounts them from scratch anyway).
    traffic_.live_bytes += bytes - record.totalBytes();
    traffic_.live_packets += packets - record.totalPackets();
    for (unsigned d = 0; d < MINEWATCH_DIRS; ++d) {
      record.packets[d] = value.dir[d].packets;
      record.bytes[d] = value.dir[d].bytes;
    }
    record.first_seen_ns = drain::firstSeen(value);
    record.last_seen_ns = last;
    record.initiator = value.initiator;
    record.flow_flags = static_cast<std::uint8_t>(value.flags);
    record.read_s = secondsOf(now_ns);
    if (news && due && flow.in_key_order)
      evaluate(flow.key, value, record, now_ns);
    else if (news && due)
      deferred_.emplace_back(flow.key, value);
  }
  if (!flow.news) // over with no news: only counted out (a sweep)
    created = table_.find(flow.key) == nullptr;
  if (!flow.ended) {
    drain_live_bytes_ += bytes;
    drain_live_packets_ += packets;
    return created;
  }
  traffic_.ended_bytes += bytes;
  traffic_.ended_packets += packets;
  if (flow.news) { // its bytes were just added to the live ones: they end now
    traffic_.live_bytes -= std::min(traffic_.live_bytes, bytes);
    traffic_.live_packets -= std::min(traffic_.live_packets, packets);
  }
  return created;
}

std::uint32_t Judge::readFrom(const minewatch_flow_key &key, std::uint64_t now_ns) const {
  if (read_every_s_ == 0)
    return 0;
  const auto *record = table_.find(key);
  if (!record || record->facts_changed || record->keepsJudging())
    return 0;
  // the start of the read window after the one it was last read in
  FlowWindows windows(key, read_every_s_);
  auto next = windows.start(windows.of(record->read_s) + 1);
  return next <= secondsOf(now_ns) ? 0 : static_cast<std::uint32_t>(next);
}

void Judge::factsChanged(const minewatch_flow_key &key, FlowRecord &record) {
  if (!record.facts_changed)
    facts_news_.push_back(key);
  record.facts_changed = true;
}

std::vector<minewatch_flow_key> Judge::takeFactsNews() {
  std::vector<minewatch_flow_key> taken;
  taken.swap(facts_news_);
  return taken;
}

bool Judge::onVanished(const minewatch_flow_key &key) {
  // Gone before it was read: what it held until the last read ends with it.
  auto *record = table_.find(key);
  if (!record)
    return false;
  traffic_.live_bytes -= std::min(traffic_.live_bytes, record->totalBytes());
  traffic_.live_packets -= std::min(traffic_.live_packets, record->totalPackets());
  traffic_.ended_bytes += record->totalBytes();
  traffic_.ended_packets += record->totalPackets();
  table_.erase(key);
  return true;
}

void Judge::endDrain(const drain::DrainSummary &summary, std::uint64_t now_ns) {
  // Sorted by position: a first sweep defers every flow, and moving 552-byte
  // entries around was most of its time.
  std::vector<std::uint32_t> order(deferred_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return flows::KeyLess{}(deferred_[a].first, deferred_[b].first); });
  for (auto i : order)
    if (auto *record = table_.find(deferred_[i].first))
      evaluate(deferred_[i].first, deferred_[i].second, *record, now_ns);
  // A first sweep defers every flow: do not keep its room.
  deferred_.clear();
  deferred_.shrink_to_fit();
  if (summary.swept) { // exact again: what every flow in the table holds now
    traffic_.live_bytes = summary.unchanged_bytes + drain_live_bytes_;
    traffic_.live_packets = summary.unchanged_packets + drain_live_packets_;
  }
  drain_live_bytes_ = drain_live_packets_ = 0;
}

void Judge::onMessage(const datapath::FlowMessage &m) {
  if (m.key.proto != IPPROTO_TCP || m.index >= config_.sensor.messages_per_flow)
    return;
  auto &record = table_.touch(m.key);
  auto &messages = record.ensureFacts().messages;
  // The ring hands messages over in the order CPUs finished them; kept in
  // the flow's own order (by index), which they nearly always come in.
  SeenMessage seen{};
  seen.bytes = std::min(m.bytes, SeenMessage::kMaxBytes) & SeenMessage::kMaxBytes;
  seen.tls_type = m.tls_type;
  seen.gap_ms = m.gap_ms;
  seen.index = static_cast<std::uint16_t>(m.index & 0x7fff);
  seen.direction = static_cast<std::uint16_t>(m.direction & 1u);
  seen.tls_length = m.tls_length;
  auto at = std::upper_bound(messages.begin(), messages.end(), seen.index,
                             [](std::uint16_t index, const SeenMessage &e) { return index < e.index; });
  messages.insert(at, seen);
  factsChanged(m.key, record);
}

void Judge::judgeAgain(const datapath::Endpoint &server, std::uint64_t now_ns) {
  std::vector<minewatch_flow_key> again;
  table_.forEach([&](const minewatch_flow_key &key, const FlowRecord &record) {
    if (!record.facts || !record.facts->judged)
      return;
    auto roles = rolesOf(key, *record.facts->judged);
    if (roles.server.address == server.address && roles.server.port == server.port)
      again.push_back(key);
  });
  std::sort(again.begin(), again.end(), flows::KeyLess{});
  for (const auto &key : again)
    if (auto *record = table_.find(key)) {
      auto value = *record->facts->judged; // evaluate replaces it
      evaluate(key, value, *record, now_ns);
    }
}

detect::MessageSequence Judge::sequenceOf(const minewatch_flow_key &key, const minewatch_flow_value &value) const {
  return sequenceOf(key, value, rolesOf(key, value), table_.find(key));
}

detect::MessageSequence Judge::sequenceOf(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                          const FlowRoles &roles, const FlowRecord *record) const {
  detect::MessageSequence out;
  if (key.proto != IPPROTO_TCP)
    return out;
  auto add = [&](unsigned direction, std::uint32_t bytes, std::uint32_t gap_ms, std::uint8_t tls_type,
                 std::uint16_t tls_length) {
    detect::Message message;
    message.direction = (direction & 1u) == roles.client_dir ? detect::Message::Direction::ToServer
                                                             : detect::Message::Direction::ToClient;
    message.bytes = bytes;
    message.gap_ms = gap_ms;
    message.tls_type = tls_type;
    message.tls_length = tls_length;
    out.push_back(message);
  };
  const std::vector<SeenMessage> *seen = record && record->facts ? &record->facts->messages : nullptr;
  if (seen)
    for (const auto &m : *seen)
      add(m.direction, m.bytes, m.gap_ms, static_cast<std::uint8_t>(m.tls_type), m.tls_length);
  if (auto pending = datapath::pendingMessage(key, value, config_.sensor.messages_per_flow);
      pending && (!seen || seen->empty() || pending->index > seen->back().index))
    add(pending->direction, pending->bytes, pending->gap_ms, pending->tls_type, pending->tls_length);
  return out;
}

void Judge::evaluate(const minewatch_flow_key &key, const minewatch_flow_value &value, FlowRecord &record,
                     std::uint64_t now_ns) {
  record.evaluated_seen_ns = drain::lastSeen(value);
  record.facts_changed = false;
  auto roles = rolesOf(key, value);
  if (hooks_.ignore && hooks_.ignore(roles))
    return;
  auto features = detect::featuresOf(key, value, roles.client_dir);
  if (!record.facts || record.facts->server_name.empty())
    if (auto name = dns_.lookup(roles.server.address, now_ns))
      record.ensureFacts().server_name = *name;
  auto sequence = sequenceOf(key, value, roles, &record);
  auto assessment = engine_.evaluate(roles, features, record.facts.get(), &sequence);
  engine_.learn(roles, assessment, now_ns);
  if (assessment.verdict == detect::Verdict::Clean && !record.facts)
    return;
  auto &known = record.ensureFacts();
  known.judged = value;
  auto before = known.assessment.verdict;
  known.assessment = std::move(assessment);
  if (known.assessment.verdict != detect::Verdict::Clean && (!known.reported || known.assessment.verdict > before))
    report(key, value, roles, features, known, now_ns);
  if (hooks_.assessed && !known.assessment.evidence.empty())
    hooks_.assessed({roles, known, known.assessment});
}

void Judge::report(const minewatch_flow_key &key, const minewatch_flow_value &value, const FlowRoles &roles,
                   const detect::FlowFeatures &features, FlowFacts &known, std::uint64_t now_ns) {
  Detection d;
  d.key = key;
  d.id = flowId(key);
  d.roles = roles;
  d.assessment = known.assessment;
  d.first_seen_wall_ns = time_base_.toWall(features.firstSeen());
  // Live, the agent decided now. From a capture, "now" is the first packet
  // after a tick: the packet whose evidence decided tells when it was known.
  auto decided = capture_ ? detect::decidedAt(d.assessment, engine_.thresholds()) : 0;
  d.detected_at_ns = decided ? decided : now_ns;
  d.detected_at_wall_ns = time_base_.toWall(d.detected_at_ns);
  d.server_name = known.server_name;
  d.features = features;
  d.action = known.assessment.verdict == detect::Verdict::Mining && hooks_.act
                 ? hooks_.act({d.id, roles, value, known.assessment, now_ns})
                 : Action::Alert;
  known.reported = true;
  ++counters_.detections;
  std::set<detect::Detector> detectors;
  for (const auto &e : d.assessment.evidence)
    detectors.insert(e.detector);
  for (auto detector : detectors)
    ++detections_by_[{d.assessment.verdict, detector}];
  const auto &stored = detections_.record(d);
  if (hooks_.detected)
    hooks_.detected(stored);
}

std::uint64_t Judge::detectionsBy(detect::Verdict verdict, detect::Detector detector) const {
  auto it = detections_by_.find({verdict, detector});
  return it == detections_by_.end() ? 0 : it->second;
}

SuspectServers Judge::suspectServers(std::uint64_t now_ns, std::uint64_t window_ns, std::size_t top) const {
  // From the detection log, which outlives the flows: a miner blocked at
  // once still counts for the window, so a scrape every 30 s sees it. A flow
  // still tracked counts by its current verdict (it may have cleared since).
  std::vector<SuspectFlow> flows;
  for (const auto &d : detections_.all()) {
    if (const auto *record = table_.find(d.key)) {
      if (!record->facts || record->facts->assessment.verdict == detect::Verdict::Clean)
        continue;
    } else if (now_ns > d.detected_at_ns && now_ns - d.detected_at_ns > window_ns) {
      continue;
    }
    flows.push_back(
        {d.roles.client.address, d.roles.server.address, d.roles.server.port, d.roles.proto, d.server_name});
  }
  return topSuspectServers(flows, top);
}

} // namespace minewatch::judge
