// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's periodic work: drain the flow map, evict what is over, judge
// what changed, act on verdicts. Queries live in agent_queries.cpp.
#include "app/agent.hpp"

#include "app/autoblock_guard.hpp"
#include "app/flow_value.hpp"
#include "app/json_views.hpp"
#include "detect/flow_features.hpp"
#include "fleet/fleet_patch.hpp"
#include "lists/watched_files.hpp"
#include "net/local_addresses.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <chrono>
#include <set>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

} // namespace

Agent::Agent(const config::AgentConfig &config, datapath::SensorObject &sensor, DatapathInfo info,
             util::TimeBase time_base, actions::EventLog &events)
    : config_(config), sensor_(sensor), info_(std::move(info)), time_base_(time_base), events_(events),
      maps_(sensor), rules_(maps_), engine_(config, loadIntel(config, info_.notes)), table_(config.agent_max_flows),
      started_wall_ns_(util::wallNowNs()),
      dirty_(sensor.dirtyFd(), [this](std::span<const std::byte> record) { onDirty(record); }) {
  if (!config_.export_ipfix.empty()) {
    ipfix::FlowExportOptions options;
    options.exporter.target = *ipfix::parseTarget(config_.export_ipfix); // validated with the config
    options.exporter.template_refresh_s = config_.export_template_refresh_s;
    options.exporter.max_queue = config_.export_max_queue;
    // The observation domain is the interface the flows were metered on.
    options.exporter.domain_id = static_cast<std::uint32_t>(info_.ifindex);
    options.active_timeout_s = config_.export_active_timeout_s;
    options.forget_after_ns = 2 * kNsPerSec *
                              (std::uint64_t{config_.export_active_timeout_s} + config_.idle_timeout_s +
                               config_.sweep_every_s);
    export_ = std::make_unique<ipfix::FlowExport>(options, time_base_);
  }
}

void Agent::start(std::uint64_t now_ns) {
  auto wall_ns = util::wallNowNs();
  restoreRules(wall_ns);
  for (const auto &text : config_.allowlist)
    rules_.allow(*rules::parseRuleTarget(text), "config", "listed in the config's allowlist", wall_ns); // validated
  std::set<std::string> in_config;
  for (const auto &text : config_.blocklist) {
    auto target = *rules::parseRuleTarget(text);
    in_config.insert(rules::toString(target));
    if (auto refused = rules_.block(target, 0, now_ns, wall_ns, "config", "listed in the config's blocklist")) {
      reportRefused(target, "config", *refused);
      events_.write({{"event", "warning"}, {"message", refused->message}});
    }
  }
  // A block the last config listed and this one does not goes, as a line
  // gone from a list file does.
  for (const auto &rule : rules_.state().blocks)
    if (rule.source == "config" && !in_config.count(rules::toString(rule.target)))
      rules_.unblock(rule.target);
  // A rule file that is not there at start is a config mistake; later, the
  // same is a reload error that keeps the agent running.
  if (auto missing = lists::expandPaths(watchedPaths()).errors; !missing.empty())
    throw std::runtime_error("rule file " + missing.front());
  if (config_.fleet_share) {
    // Missing credentials are a deployment mistake (no token mounted): said
    // at start. Later they are re-read for every request (token rotation).
    auto access = fleet::loadApiAccess(config_.fleet_share_api, config_.fleet_share_credentials);
    fleet_ = std::make_unique<fleet::ConfigMapPatcher>(
        fleet::PatcherOptions{config_.fleet_share_api, config_.fleet_share_credentials});
    events_.write({{"event", "fleet_share_on"},
                   {"api_server", access.host + ":" + std::to_string(access.port)},
                   {"namespace", access.namespace_name},
                   {"configmap", fleet::FleetTarget{}.configmap}});
  }
  auto loaded = reloadLists(now_ns, true);
  for (const auto &error : loaded.errors)
    events_.write({{"event", "warning"}, {"message", error}});
  events_.write({{"event", "agent_started"},
                 {"interface", info_.interface},
                 {"xdp_mode", info_.xdp_mode},
                 {"tap", info_.tap},
                 {"rules", rules_.blockCount()},
                 {"allows", rules_.allows().size()},
                 {"notes", info_.notes}});
  saveRules();
}

void Agent::onDetached(const std::string &why) {
  if (!info_.attached) {
    // Still away, for a new reason (an attach that failed): said once.
    if (why != info_.detached_reason)
      events_.write({{"event", "warning"}, {"message", why}});
    info_.detached_reason = why;
    return;
  }
  ++counters_.interface_lost;
  events_.write({{"event", "interface_lost"}, {"interface", info_.interface}, {"ifindex", info_.ifindex},
                 {"reason", why}, {"rules", rules_.blockCount()}});
  // The mode stays as it was: the metric's labels do not churn while the
  // interface is away, only its value drops.
  info_.attached = false;
  info_.detached_reason = why;
  info_.detached_since_wall_ns = util::wallNowNs();
  info_.xdp_prog_id = info_.tc_prog_id = info_.tc_ingress_prog_id = 0;
  info_.tc_attached = false;
}

void Agent::onAttached(DatapathInfo info) {
  // What an attachment cannot describe stays as the agent started with it.
  info.rules_file = info_.rules_file;
  info.previous_block_map_id = info_.previous_block_map_id;
  info_ = std::move(info);
  events_.write({{"event", "interface_reattached"},
                 {"interface", info_.interface},
                 {"ifindex", info_.ifindex},
                 {"ingress_hook", info_.ingress_hook},
                 {"xdp_mode", info_.xdp_mode},
                 {"rules", rules_.blockCount()}});
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
    report(key, value, roles, features, notes, now_ns);
}

void Agent::report(const minewatch_flow_key &key, const minewatch_flow_value &value, const FlowRoles &roles,
                   const detect::FlowFeatures &features, FlowNotes &notes, std::uint64_t now_ns) {
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
  d.action =
      notes.assessment.verdict == detect::Verdict::Mining ? act(d.id, roles, value, notes.assessment, now_ns) : "alert";
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

std::string Agent::act(const std::string &flow_id, const FlowRoles &roles, const minewatch_flow_value &value,
                       const detect::Assessment &assessment, std::uint64_t now_ns) {
  if (rules_.isAllowed(roles.server.address, roles.server.port, roles.proto))
    return "allowlisted";
  if (info_.tap || config_.autoblock == config::AutoBlockMode::Off)
    return "alert";
  bool live = info_.xdp_mode != "replay";
  if (auto refusal = autoBlockRefusal(roles, value, live ? PacketSource::Live : PacketSource::Capture,
                                      live ? net::localAddresses() : std::set<net::Address>{})) {
    events_.write({{"event", "block_skipped"}, {"flow", flow_id}, {"why", *refusal}});
    return "alert";
  }
  if (config_.autoblock == config::AutoBlockMode::DryRun)
    return "would-block";
  rules::RuleTarget target = rules::EndpointTarget{roles.server.address, roles.server.port, roles.proto};
  std::string reason = assessment.evidence.empty() ? "mining" : assessment.evidence.front().reason;
  if (auto refused = rules_.block(target, std::uint64_t{config_.block_ttl_s} * kNsPerSec, now_ns, util::wallNowNs(),
                                  "auto", reason)) {
    reportRefused(target, "auto", *refused);
    return "block-refused";
  }
  ++counters_.blocks_added;
  events_.write({{"event", "block_added"},
                 {"target", rules::toString(target)},
                 {"source", "auto"},
                 {"ttl_s", config_.block_ttl_s},
                 {"reason", reason}});
  shareBlock(target, reason);
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
