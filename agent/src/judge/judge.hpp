// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "datapath/message_records.hpp"
#include "detect/message_sequence.hpp"
#include "drain/flow_drain.hpp"
#include "flows/flow_table.hpp"
#include "judge/detection_engine.hpp"
#include "judge/detection_log.hpp"
#include "judge/dns_cache.hpp"
#include "judge/flow_record.hpp"
#include "judge/suspect_servers.hpp"
#include "util/time_format.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>

namespace minewatch::judge {

/// A flow judged mining, handed to whoever acts on verdicts.
struct ActRequest {
  const std::string &flow_id;
  const FlowRoles &roles;
  const minewatch_flow_value &value;
  const detect::Assessment &assessment;
  std::uint64_t now_ns;
};
/// A flow judged with some evidence, for whoever may look further (the
/// confirmer asks its server).
struct AssessedFlow {
  const FlowRoles &roles;
  const FlowFacts &facts;
  const detect::Assessment &assessment;
};
/// What the judge hands out: mining flows to act on, every detection made
/// or raised (to be written as an event), flows judged with evidence.
struct JudgeHooks {
  std::function<Action(const ActRequest &)> act;
  std::function<void(const Detection &)> detected;
  std::function<void(const AssessedFlow &)> assessed; // may be empty
  /// Flows not to judge at all: the agent's own (its confirmer's probes).
  std::function<bool(const FlowRoles &)> ignore; // may be empty
  /// The confirmer's result for a server (DetectionEngine::setConfirmations).
  DetectionEngine::ConfirmationLookup confirmation; // may be empty
};

struct JudgeCounters {
  std::uint64_t samples = 0;
  std::uint64_t samples_malformed = 0;
  std::uint64_t facts = 0;
  std::uint64_t detections = 0;
};

/// Bytes and packets of every flow the drains read: live flows as of their
/// last read, plus every flow that ended (as last read), so nothing counted
/// is lost when a flow goes.
struct TrafficTotals {
  std::uint64_t live_bytes = 0, live_packets = 0;
  std::uint64_t ended_bytes = 0, ended_packets = 0;
  [[nodiscard]] std::uint64_t bytes() const { return live_bytes + ended_bytes; }
  [[nodiscard]] std::uint64_t packets() const { return live_packets + ended_packets; }
};

/// Where verdicts are made. Takes the payload samples (facts about a flow)
/// and the flows each drain reads, keeps the agent's per-flow records,
/// runs the detectors over a flow when it has news, records detections and
/// asks the actor to act on mining ones. Flows come in key order and
/// samples in ring order, so the same capture gives the same verdicts.
class Judge {
public:
  /// `capture`: packets come from a capture, so a detection's time is the
  /// capture time of the packet whose evidence decided it.
  Judge(const config::AgentConfig &config, detect::IntelFeed intel, util::TimeBase time_base, JudgeHooks hooks,
        bool capture);

  /// One ring-buffer record (a payload sample), checked for size (sample_facts.cpp).
  void onRecord(std::span<const std::byte> record);
  /// A flow the drain read (changed or over): records it, judges it when it
  /// has news and is due (at once when the drain goes in key order, else
  /// at endDrain, in key order). Returns true when it was new to the agent.
  bool onFlow(const drain::DrainedFlow &flow, std::uint64_t now_ns);
  /// A finished message of a TCP flow: kept for the rhythm detector.
  void onMessage(const datapath::FlowMessage &message);
  /// From when (data-path clock, seconds) a drain should read a flow with
  /// news; 0: now. Not before its next read window (judge_quiet_every_s, or
  /// the export's active timeout when shorter) when reading it could change
  /// nothing but its counters: a flow the agent knows, with no facts since
  /// it was judged, no verdict and no payload facts, already read in this
  /// window (it would not be judged before the next either). Most of a busy
  /// host's flows are such flows, and each read costs the kernel's copy and
  /// a cache miss here (bench/bench_agent).
  [[nodiscard]] std::uint32_t readFrom(const minewatch_flow_key &key, std::uint64_t now_ns) const;
  /// The flows that had facts arrive since the last call: read them now,
  /// whatever readFrom said before.
  std::vector<minewatch_flow_key> takeFactsNews();
  /// A flow's message sequence oriented by role: the finished messages and
  /// the one in progress in `value`.
  [[nodiscard]] detect::MessageSequence sequenceOf(const minewatch_flow_key &key,
                                                   const minewatch_flow_value &value) const;
  /// A flow that is over, after the export saw its last labels.
  void forget(const minewatch_flow_key &key) { table_.erase(key); }
  /// A reported flow the kernel no longer had: true when known.
  bool onVanished(const minewatch_flow_key &key);
  /// After a drain: judges what it deferred, in key order; a sweep makes
  /// the traffic totals exact again.
  void endDrain(const drain::DrainSummary &summary, std::uint64_t now_ns);
  void replaceIntel(detect::IntelFeed intel) { engine_.replaceIntel(std::move(intel)); }
  /// Judges the flows to `server` the judge keeps facts of again now, as
  /// last read: a new result for it (the confirmer's) changes their verdict,
  /// and a blocked pool's other flows may never have news again.
  void judgeAgain(const datapath::Endpoint &server, std::uint64_t now_ns);

  /// Server endpoints with suspicious or mining flows in the last
  /// `window_ns`, capped at `top` (the fleet alert's input).
  [[nodiscard]] SuspectServers suspectServers(std::uint64_t now_ns, std::uint64_t window_ns, std::size_t top) const;

  [[nodiscard]] const flows::FlowTable<FlowRecord> &table() const { return table_; }
  [[nodiscard]] const DetectionLog &detections() const { return detections_; }
  [[nodiscard]] const DetectionEngine &engine() const { return engine_; }
  [[nodiscard]] const DnsCache &dns() const { return dns_; }
  [[nodiscard]] const JudgeCounters &counters() const { return counters_; }
  [[nodiscard]] const TrafficTotals &traffic() const { return traffic_; }
  /// Detections by verdict and by each detector that gave evidence.
  [[nodiscard]] std::uint64_t detectionsBy(detect::Verdict verdict, detect::Detector detector) const;

private:
  /// Whether `now_s` is in another of this flow's judge_quiet_every_s
  /// windows (FlowWindows, judge.cpp) than `since_s` (data-path clock, seconds).
  [[nodiscard]] bool newQuietWindow(const minewatch_flow_key &key, std::uint64_t since_s, std::uint64_t now_s) const;
  /// Facts arrived for a flow: judged at its next read, read at the next drain.
  void factsChanged(const minewatch_flow_key &key, FlowRecord &record);
  void onPayload(const minewatch_sample &header, std::span<const std::uint8_t> data);
  void onSample(const minewatch_sample &sample);
  void onHelloSample(const minewatch_hello_sample &sample);
  /// A sample's text, after the JSON its direction's last sample cut off.
  std::string joinedText(const minewatch_sample &sample, std::span<const std::uint8_t> bytes);
  detect::MessageSequence sequenceOf(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                     const FlowRoles &roles, const FlowRecord *record) const;
  void evaluate(const minewatch_flow_key &key, const minewatch_flow_value &value, FlowRecord &record,
                std::uint64_t now_ns);
  void report(const minewatch_flow_key &key, const minewatch_flow_value &value, const FlowRoles &roles,
              const detect::FlowFeatures &features, FlowFacts &known, std::uint64_t now_ns);

  config::AgentConfig config_;
  util::TimeBase time_base_;
  JudgeHooks hooks_;
  bool capture_;
  DetectionEngine engine_;
  DetectionLog detections_;
  DnsCache dns_;
  flows::FlowTable<FlowRecord> table_;
  JudgeCounters counters_;
  TrafficTotals traffic_;
  std::uint64_t drain_live_bytes_ = 0, drain_live_packets_ = 0;               // this drain's flows that stay
  std::vector<std::pair<minewatch_flow_key, minewatch_flow_value>> deferred_; // to judge at endDrain
  std::vector<minewatch_flow_key> facts_news_;                                // see takeFactsNews
  std::uint32_t read_every_s_;                                                // see readFrom
  std::map<std::pair<detect::Verdict, detect::Detector>, std::uint64_t> detections_by_;
};

} // namespace minewatch::judge
