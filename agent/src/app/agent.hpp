// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/bpf_block_maps.hpp"
#include "actions/event_log.hpp"
#include "actions/rule_book.hpp"
#include "app/detection_engine.hpp"
#include "app/detection_log.hpp"
#include "app/dns_cache.hpp"
#include "app/flow_notes.hpp"
#include "config/agent_config.hpp"
#include "datapath/sensor_object.hpp"
#include "flows/flow_table.hpp"
#include "util/time_format.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace minewatch::app {

/// Facts about the data path the agent reports but does not own.
struct DatapathInfo {
  std::string interface;
  std::string xdp_mode;     // native | generic | replay
  bool via_dispatcher = false;
  bool tc_attached = false;
  bool tap = false;
  unsigned xdp_prog_id = 0;
  unsigned tc_prog_id = 0;
  std::string pin_dir;
  std::vector<std::string> notes;
};

/// Counters of the agent's own work (the BPF ones live in the stats map).
struct AgentCounters {
  std::uint64_t ticks = 0;
  std::uint64_t samples = 0;
  std::uint64_t samples_malformed = 0;
  std::uint64_t facts = 0;
  std::uint64_t flows_deleted_idle = 0;
  std::uint64_t flows_deleted_closed = 0;
  std::uint64_t detections = 0;
  std::uint64_t blocks_added = 0;
  std::uint64_t blocks_expired = 0;
  std::uint64_t last_drain_ns = 0;   // wall time the last drain took
  std::uint64_t last_drain_flows = 0;
};

/// The agent's brain, independent of how packets arrive (live interface or
/// pcap replay) and of how it is asked (control socket, replay report):
/// drains the flow map, reads samples, runs the detectors, acts, answers.
class Agent {
public:
  Agent(const config::AgentConfig &config, datapath::SensorObject &sensor, DatapathInfo info,
        util::TimeBase time_base, actions::EventLog &events);

  /// Applies the config's manual blocks and allowlist, adopts pinned rules.
  void start(std::uint64_t now_ns);
  /// One ring-buffer record: checked for size, decoded, handed to onSample.
  void onRecord(std::span<const std::byte> record);
  /// One payload sample from the ring buffer.
  void onSample(const minewatch_sample &sample);
  /// The periodic work: drain, evict, detect, act, expire rules.
  void tick(std::uint64_t now_ns);

  // Control API, each answering JSON (see docs in control/commands.cpp).
  nlohmann::json status(std::uint64_t now_ns) const;
  nlohmann::json flows(std::size_t top, const std::string &sort, std::uint64_t now_ns) const;
  nlohmann::json detections() const;
  nlohmann::json explain(const std::string &flow) const; // throws std::invalid_argument on unknown
  nlohmann::json blockAdd(const std::string &target, std::uint64_t ttl_s, std::uint64_t now_ns);
  nlohmann::json blockDel(const std::string &target);
  nlohmann::json blockList(std::uint64_t now_ns) const;
  nlohmann::json allowAdd(const std::string &target);
  nlohmann::json allowDel(const std::string &target);
  nlohmann::json allowList() const;

  [[nodiscard]] const DetectionLog &detectionLog() const { return detections_; }
  [[nodiscard]] const AgentCounters &counters() const { return counters_; }
  [[nodiscard]] std::size_t trackedFlows() const { return table_.size(); }

private:
  void evaluate(const minewatch_flow_key &key, const minewatch_flow_value &value, FlowRecord &record,
                std::uint64_t now_ns);
  void report(const minewatch_flow_key &key, const FlowRoles &roles, const detect::FlowFeatures &features,
              FlowNotes &notes, std::uint64_t now_ns);
  std::string act(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns);
  void deleteFlows(const std::vector<minewatch_flow_key> &keys);
  void expireRules(std::uint64_t now_ns);

  config::AgentConfig config_;
  datapath::SensorObject &sensor_;
  DatapathInfo info_;
  util::TimeBase time_base_;
  actions::EventLog &events_;
  actions::BpfBlockMaps maps_;
  actions::RuleBook rules_;
  DetectionEngine engine_;
  DetectionLog detections_;
  DnsCache dns_;
  flows::FlowTable<FlowRecord> table_;
  AgentCounters counters_;
  std::uint64_t started_wall_ns_;
  std::uint64_t map_entries_ = 0;
  std::uint64_t flows_deleted_ = 0; // from the BPF map, for deriving LRU evictions
  // Traffic totals: live flows as of the last drain, plus every flow deleted
  // so far (as last read), so nothing counted is lost when a flow ends.
  std::uint64_t live_bytes_ = 0, live_packets_ = 0;
  std::uint64_t ended_bytes_ = 0, ended_packets_ = 0;
};

} // namespace minewatch::app
