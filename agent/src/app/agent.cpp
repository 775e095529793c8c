// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's periodic work: drain the flow map, evict what is over, judge
// what changed, act on verdicts. Queries live in agent_queries.cpp.
#include "app/agent.hpp"

#include "app/json_views.hpp"
#include "detect/flow_features.hpp"
#include "lists/watched_files.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <chrono>
#include <set>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

std::uint64_t lastSeen(const minewatch_flow_value &v) {
  return std::max(v.dir[0].last_seen_ns, v.dir[1].last_seen_ns);
}

/// Over when both sides said FIN, or either said RST.
bool closed(const minewatch_flow_value &v) {
  auto f0 = v.dir[0].tcp_flags, f1 = v.dir[1].tcp_flags;
  return ((f0 | f1) & MINEWATCH_TCP_RST) || ((f0 & MINEWATCH_TCP_FIN) && (f1 & MINEWATCH_TCP_FIN));
}

/// Whether a flow saw a packet since the previous drain began: its stamp is
/// this drain's generation or the previous one (a packet that raced the
/// previous drain after it read the flow carries the previous one).
bool changedSince(const minewatch_flow_value &v, std::uint32_t gen) {
  auto recent = [gen](std::uint32_t stamp) { return stamp == gen || stamp == gen - 1; };
  return recent(v.dir[0].drain_gen) || recent(v.dir[1].drain_gen);
}
} // namespace

Agent::Agent(const config::AgentConfig &config, datapath::SensorObject &sensor, DatapathInfo info,
             util::TimeBase time_base, actions::EventLog &events)
    : config_(config), sensor_(sensor), info_(std::move(info)), time_base_(time_base), events_(events),
      maps_(sensor), rules_(maps_), engine_(config, loadIntel(config, info_.notes)), table_(config.agent_max_flows),
      started_wall_ns_(util::wallNowNs()) {}

void Agent::start(std::uint64_t now_ns) {
  rules_.restore(util::wallNowNs());
  for (const auto &text : config_.allowlist)
    rules_.allow(*rules::parseRuleTarget(text)); // validated with the config
  for (const auto &text : config_.blocklist) {
    if (auto refused = rules_.block(*rules::parseRuleTarget(text), 0, now_ns, util::wallNowNs(), "config",
                                    "listed in the config's blocklist"))
      events_.write({{"event", "warning"}, {"message", *refused}});
  }
  // A rule file that is not there at start is a config mistake; later, the
  // same is a reload error that keeps the agent running.
  if (auto missing = lists::expandPaths(watchedPaths()).errors; !missing.empty())
    throw std::runtime_error("rule file " + missing.front());
  auto loaded = reloadLists(now_ns, true);
  for (const auto &error : loaded.errors)
    events_.write({{"event", "warning"}, {"message", error}});
  events_.write({{"event", "agent_started"},
                 {"interface", info_.interface},
                 {"xdp_mode", info_.xdp_mode},
                 {"tap", info_.tap},
                 {"rules", rules_.blockCount()},
                 {"notes", info_.notes}});
}

void Agent::tick(std::uint64_t now_ns) {
  auto began = std::chrono::steady_clock::now();
  // The first drain looks at everything (pinned flows from the last agent
  // included); later ones skip the agent's own bookkeeping for flows nothing
  // happened to. Their verdict cannot have changed from their own traffic;
  // what others learn (a taint, a DNS name) reaches them with their next
  // packet, which a live mining flow sends within its job interval.
  bool full = counters_.ticks == 0;
  auto gen = sensor_.nextDrainGeneration();
  ++counters_.ticks;
  std::vector<minewatch_flow_key> over;
  std::uint64_t seen = 0, bytes = 0, packets = 0;
  auto idle_ns = std::uint64_t{config_.idle_timeout_s} * kNsPerSec;
  auto closed_ns = std::uint64_t{config_.closed_timeout_s} * kNsPerSec;
  auto judge_every_ns = std::uint64_t{config_.judge_quiet_every_s} * kNsPerSec;

  sensor_.flows().forEachBatch([&](const minewatch_flow_key *keys, const minewatch_flow_value *values, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto &key = keys[i];
      const auto &value = values[i];
      ++seen;
      auto flow_bytes = value.dir[0].bytes + value.dir[1].bytes;
      auto flow_packets = value.dir[0].packets + value.dir[1].packets;
      auto last = lastSeen(value);
      auto quiet = now_ns > last ? now_ns - last : 0;
      bool is_idle = quiet >= idle_ns;
      bool is_closed = closed(value) && quiet >= closed_ns;

      if (full || changedSince(value, gen)) {
        auto &record = table_.touch(key);
        // A flow without payload facts can only change verdict through its
        // shape (minutes in the making), its server's name or a taint:
        // judging it every judge_quiet_every_s is soon enough, and most of
        // a busy host's flows are such flows.
        bool news = last != record.evaluated_seen_ns || record.notes_changed;
        bool due = record.notes || record.evaluated_seen_ns == 0 || last - record.evaluated_seen_ns >= judge_every_ns;
        if (news && due)
          evaluate(key, value, record, now_ns);
        record.last_seen_ns = last;
      } else {
        ++counters_.drain_skipped;
      }
      if (is_idle || is_closed) {
        over.push_back(key);
        ++(is_closed ? counters_.flows_deleted_closed : counters_.flows_deleted_idle);
        ended_bytes_ += flow_bytes;
        ended_packets_ += flow_packets;
      } else {
        bytes += flow_bytes;
        packets += flow_packets;
      }
    }
  });
  map_entries_ = seen - over.size();
  live_bytes_ = bytes;
  live_packets_ = packets;
  deleteFlows(over);
  expireRules(now_ns);
  counters_.last_drain_flows = seen;
  counters_.last_drain_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count());
  drain_histogram_.observe(static_cast<double>(counters_.last_drain_ns) / 1e9);
}

void Agent::evaluate(const minewatch_flow_key &key, const minewatch_flow_value &value, FlowRecord &record,
                     std::uint64_t now_ns) {
  record.evaluated_seen_ns = lastSeen(value);
  record.notes_changed = false;
  auto roles = rolesOf(key, value);
  auto features = detect::featuresOf(key, value, roles.client_dir);
  if (record.notes && record.notes->server_name.empty()) {
    if (auto name = dns_.lookup(roles.server.address, now_ns))
      record.notes->server_name = *name;
  } else if (!record.notes) {
    if (auto name = dns_.lookup(roles.server.address, now_ns))
      record.ensureNotes().server_name = *name;
  }
  auto assessment = engine_.evaluate(roles, features, record.notes.get());
  engine_.learn(roles, assessment, now_ns);
  if (assessment.verdict == detect::Verdict::Clean && !record.notes)
    return;
  auto &notes = record.ensureNotes();
  auto before = notes.assessment.verdict;
  notes.assessment = std::move(assessment);
  if (notes.assessment.verdict != detect::Verdict::Clean &&
      (!notes.reported || notes.assessment.verdict > before))
    report(key, roles, features, notes, now_ns);
}

void Agent::report(const minewatch_flow_key &key, const FlowRoles &roles, const detect::FlowFeatures &features,
                   FlowNotes &notes, std::uint64_t now_ns) {
  Detection d;
  d.key = key;
  d.id = flowId(key);
  d.roles = roles;
  d.assessment = notes.assessment;
  d.first_seen_wall_ns = time_base_.toWall(features.firstSeen());
  d.detected_at_ns = now_ns;
  d.detected_at_wall_ns = time_base_.toWall(now_ns);
  d.server_name = notes.server_name;
  d.features = features;
  d.action = notes.assessment.verdict == detect::Verdict::Mining ? act(roles, notes.assessment, now_ns) : "alert";
  notes.reported = true;
  ++counters_.detections;
  std::set<std::string> detectors;
  for (const auto &e : d.assessment.evidence)
    detectors.insert(e.detector);
  for (const auto &detector : detectors)
    ++detections_by_[{detect::toString(d.assessment.verdict), detector}];
  const auto &stored = detections_.record(d);
  auto event = detectionJson(stored);
  event["event"] = "detection";
  events_.write(event);
}

std::string Agent::act(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns) {
  if (rules_.isAllowed(roles.server.address, roles.server.port, roles.proto))
    return "allowlisted";
  if (info_.tap)
    return "alert";
  switch (config_.autoblock) {
  case config::AutoBlockMode::Off:
    return "alert";
  case config::AutoBlockMode::DryRun:
    return "would-block";
  case config::AutoBlockMode::On:
    break;
  }
  rules::RuleTarget target = rules::EndpointTarget{roles.server.address, roles.server.port, roles.proto};
  std::string reason = assessment.evidence.empty() ? "mining" : assessment.evidence.front().reason;
  if (auto refused = rules_.block(target, std::uint64_t{config_.block_ttl_s} * kNsPerSec, now_ns, util::wallNowNs(),
                                  "auto", reason))
    return "block-refused";
  ++counters_.blocks_added;
  events_.write({{"event", "block_added"},
                 {"target", rules::toString(target)},
                 {"source", "auto"},
                 {"ttl_s", config_.block_ttl_s},
                 {"reason", reason}});
  return "blocked";
}

void Agent::deleteFlows(const std::vector<minewatch_flow_key> &keys) {
  if (keys.empty())
    return;
  flows_deleted_ += sensor_.flows().eraseAll(keys);
  for (const auto &key : keys)
    table_.erase(key);
}

void Agent::expireRules(std::uint64_t now_ns) {
  for (const auto &rule : rules_.sweepExpired(now_ns)) {
    ++counters_.blocks_expired;
    events_.write({{"event", "block_expired"}, {"target", rules::toString(rule.target)}, {"hits", rule.hits}});
  }
}

} // namespace minewatch::app
