// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/bpf_block_maps.hpp"
#include "actions/event_log.hpp"
#include "actions/rule_book.hpp"
#include "app/detection_engine.hpp"
#include "app/detection_log.hpp"
#include "app/dns_cache.hpp"
#include "app/flow_notes.hpp"
#include "app/suspect_servers.hpp"
#include "bpf/ring_buffer.hpp"
#include "config/agent_config.hpp"
#include "datapath/sensor_object.hpp"
#include "fleet/configmap_patcher.hpp"
#include "export/flow_export.hpp"
#include "flows/flow_table.hpp"
#include "lists/last_good_rules.hpp"
#include "lists/rule_files.hpp"
#include "util/time_format.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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
  std::string ingress_hook = "xdp"; // xdp | tc | replay
  unsigned tc_ingress_prog_id = 0;
  int ifindex = 0;
  // False while the interface is gone (see InterfaceKeeper): the programs
  // are off it, the pinned maps and rules wait for it to come back.
  bool attached = true;
  std::string detached_reason{};
  std::uint64_t detached_since_wall_ns = 0;
  std::string rules_file{};               // the saved rule book; empty: not kept (replay)
  std::uint32_t previous_block_map_id = 0; // the block map pinned at start (MapPinning)
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
  std::uint64_t drain_skipped = 0;   // flows a sweep read but had no news of
  std::uint64_t sweeps = 0;          // drains that read the whole flow table
  std::uint64_t kernel_sweeps = 0;   // ... of which walked it in the kernel
  std::uint64_t kernel_sweep_overflows = 0; // in-kernel sweeps with more to hand out than fit: batched instead
  std::uint64_t flows_read = 0;      // flows read by every drain so far
  std::uint64_t dirty_malformed = 0; // "flow has news" records of the wrong size
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_error = 0;   // a reload that met an unreadable path or a bad line
  std::uint64_t last_reload_wall_ns = 0;
  std::uint64_t interface_lost = 0;  // times the interface went away under the agent
  std::uint64_t repins = 0;          // sweeps that found pins removed and pinned them again
  std::uint64_t last_repin_wall_ns = 0;
  std::uint64_t rule_book_saves = 0;
  std::uint64_t rule_book_save_errors = 0;
};

/// Drain times, as a Prometheus histogram: bucket bounds in seconds, counts
/// per bucket (not cumulative), the last one for anything slower.
struct DrainHistogram {
  static constexpr std::array<double, 12> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  double sum_s = 0;
  void observe(double seconds);
};

/// What a reload of the watched rule and intel files changed.
struct ListReload {
  bool changed = false; // false: same content as last time, nothing done
  std::size_t blocks_added = 0, blocks_removed = 0, allows_added = 0, allows_removed = 0;
  std::size_t blocks_refused = 0; // the block map was full
  std::size_t block_rules = 0, allow_rules = 0, intel_entries = 0;
  std::vector<std::string> errors; // "FILE:LINE: why", unreadable paths, refused blocks
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
  /// A ClientHello's packet, sampled long (minewatch_hello_sample).
  void onHelloSample(const minewatch_hello_sample &sample);
  /// The periodic work: drain, evict, detect, act, expire rules.
  void tick(std::uint64_t now_ns);
  /// Rereads the blocklist, allowlist and intel files (config
  /// blocklist_files, allowlist_files, intel.feeds) and applies the
  /// difference. Without `force`, returns at once when nothing changed.
  /// Never throws for bad content: bad lines are skipped and reported.
  ListReload reloadLists(std::uint64_t now_ns, bool force = false);
  /// On the way out, by config.shutdown: fail-open removes every block rule
  /// from the kernel; the others leave them. Returns how many were removed.
  std::size_t shutdown();
  /// The interface went away (`why`): status, metrics and readiness say
  /// so until onAttached. Writes an interface_lost event.
  void onDetached(const std::string &why);
  /// The programs are on the interface again, as `info` describes them.
  /// Writes an interface_reattached event.
  void onAttached(DatapathInfo info);
  [[nodiscard]] const DatapathInfo &datapath() const { return info_; }
  /// Called at every sweep: pins again whatever was unpinned under the
  /// agent and names it (live_runner hands in Sensor::repinLost).
  void setPinCheck(std::function<std::vector<std::string>()> check) { pin_check_ = std::move(check); }
  /// Writes the rule book to DatapathInfo::rules_file when it changed since
  /// the last write. A failure is reported and retried at the next change.
  void saveRules();
  /// Every path whose change means a reload.
  [[nodiscard]] std::vector<std::string> watchedPaths() const;
  /// The Prometheus page (see metrics in agent_metrics.cpp).
  [[nodiscard]] std::string metricsText(std::uint64_t now_ns) const;
  /// Server endpoints with suspicious or mining flows, capped (the fleet
  /// alert's input; see topSuspectServers).
  [[nodiscard]] SuspectServers suspectServers(std::uint64_t now_ns) const;

  // Control API, each answering JSON (see docs in control/commands.cpp).
  nlohmann::json status(std::uint64_t now_ns) const;
  nlohmann::json flows(std::size_t top, const std::string &sort, std::uint64_t now_ns) const;
  nlohmann::json detections() const;
  nlohmann::json explain(const std::string &flow) const; // throws std::invalid_argument on unknown
  /// `everything`: a rule covering all of IPv4 is meant (see parseRuleTarget).
  nlohmann::json blockAdd(const std::string &target, std::uint64_t ttl_s, std::uint64_t now_ns,
                          bool everything = false);
  nlohmann::json blockDel(const std::string &target);
  nlohmann::json blockList(std::uint64_t now_ns) const;
  /// The rules one at a time, in list order, skipping `offset` and giving at
  /// most `limit`: a long list is answered without building it whole.
  using JsonSink = std::function<void(const nlohmann::json &)>;
  void forEachBlock(std::uint64_t now_ns, std::uint64_t offset, std::optional<std::uint64_t> limit,
                    const JsonSink &sink) const;
  void forEachAllow(std::uint64_t offset, std::optional<std::uint64_t> limit, const JsonSink &sink) const;
  nlohmann::json allowAdd(const std::string &target, bool everything = false);
  nlohmann::json allowDel(const std::string &target);
  nlohmann::json allowList() const;

  [[nodiscard]] const DetectionLog &detectionLog() const { return detections_; }
  [[nodiscard]] const AgentCounters &counters() const { return counters_; }
  [[nodiscard]] std::size_t trackedFlows() const { return table_.size(); }

private:
  /// A sample's header (a minewatch_sample's; the hello record's is the
  /// same) and the payload bytes it carries.
  void onPayload(const minewatch_sample &header, std::span<const std::uint8_t> data);
  struct DrainPass;
  void sweepAll(DrainPass &pass);
  bool sweepInKernel(DrainPass &pass);
  void sweepBatched(DrainPass &pass);
  void readNews(DrainPass &pass);
  void readOne(const minewatch_sweep_record &read, DrainPass &pass);
  /// One flow read by a drain; true when it is over (idle or closed).
  bool visit(const minewatch_flow_key &key, const minewatch_flow_value &value, bool changed, DrainPass &pass);
  void onDirty(std::span<const std::byte> record);
  /// A sample's text, after the JSON its direction's last sample cut off.
  std::string joinedText(const minewatch_sample &sample, std::span<const std::uint8_t> bytes);
  void evaluate(const minewatch_flow_key &key, const minewatch_flow_value &value, FlowRecord &record,
                std::uint64_t now_ns);
  void report(const minewatch_flow_key &key, const minewatch_flow_value &value, const FlowRoles &roles,
              const detect::FlowFeatures &features, FlowNotes &notes, std::uint64_t now_ns);
  std::string act(const std::string &flow_id, const FlowRoles &roles, const minewatch_flow_value &value,
                  const detect::Assessment &assessment, std::uint64_t now_ns);
  /// fleet_share (agent_fleet.cpp): an auto-block handed to the patcher;
  /// what the patcher did since last tick, as events and counts.
  void shareBlock(const rules::RuleTarget &target, const std::string &reason);
  void collectFleetShare();
  void deleteFlows(const std::vector<minewatch_flow_key> &keys);
  /// Hands a flow the drain read to the export (agent_export.cpp).
  void exportFlow(const minewatch_flow_key &key, const minewatch_flow_value &value,
                  std::optional<ipfix::EndReason> ended, std::uint64_t now_ns);
  void expireRules(std::uint64_t now_ns);
  void restoreRules(std::uint64_t wall_ns);
  void checkPins();
  void warn(const std::string &message);
  /// Reports a block the map had no room for (event, counted by the book).
  void reportRefused(const rules::RuleTarget &target, const std::string &source, const actions::BlockRefusal &why);
  [[nodiscard]] std::vector<std::string> warnings() const;
  void applyFileAllows(const std::vector<lists::RuleLine> &lines, ListReload &out);
  void applyFileBlocks(const std::vector<lists::RuleLine> &lines, std::uint64_t now_ns, ListReload &out);

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
  // Metrics: detections by verdict and detector, drain times.
  std::map<std::pair<std::string, std::string>, std::uint64_t> detections_by_;
  DrainHistogram drain_histogram_;
  // What the watched files put in the rule book, to undo what they drop.
  std::uint64_t lists_fingerprint_ = 0;
  std::map<std::string, rules::RuleTarget> file_blocks_, file_allows_; // by canonical text
  // Each configured list path's last good rules: an unreadable one keeps them.
  lists::LastGoodRules allow_sources_, block_sources_;
  // The saved rule book and the pins behind it (agent_rule_state.cpp).
  std::uint64_t saved_generation_ = ~0ull;
  std::string save_error_;
  std::function<std::vector<std::string>()> pin_check_;
  std::size_t intel_entries_ = 0;
  // The drain (agent_drain.cpp): reports of flows with news, flows to read
  // again next tick, and when the table was last swept.
  std::vector<minewatch_flow_key> news_, recheck_;
  std::uint64_t last_sweep_ns_ = 0;
  std::uint64_t dirty_drops_seen_ = 0;
  bpf::RingBuffer dirty_;
  std::unique_ptr<ipfix::FlowExport> export_; // null: export off
  // fleet_share: null when off. Declared last, so it stops (and joins its
  // thread) before anything else goes.
  std::map<std::string, std::uint64_t> fleet_share_by_result_;
  std::unique_ptr<fleet::ConfigMapPatcher> fleet_;
};

} // namespace minewatch::app
