// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's answers to the control API: status, flows, detections,
// explain, and rule changes. Every answer is a JSON value; errors are thrown
// as std::invalid_argument with a sentence meant for the operator.
#include "app/agent.hpp"

#include "app/json_views.hpp"
#include "datapath/blocklist.hpp"

#include <algorithm>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

/// `everything`: the operator said a rule covering all of IPv4 is meant.
/// Deleting one never needs it: whatever exists must be removable.
rules::RuleTarget parseTarget(const std::string &text, bool everything) {
  std::string why;
  auto target = rules::parseRuleTarget(text, &why, everything);
  if (!target)
    throw std::invalid_argument(why);
  return *target;
}
} // namespace

nlohmann::json Agent::status(std::uint64_t now_ns) const {
  auto bpf = sensor_.stats();
  nlohmann::json counters;
  for (int i = 0; i < MINEWATCH_STAT_MAX; ++i)
    counters[datapath::statName(static_cast<minewatch_stat>(i))] = bpf[static_cast<std::size_t>(i)];
  auto created = bpf[MINEWATCH_STAT_FLOWS_CREATED];
  counters["flows_evicted"] = created > flows_deleted_ + map_entries_ ? created - flows_deleted_ - map_entries_ : 0;

  auto *skel = sensor_.skel();
  std::uint64_t refused = 0;
  for (const auto &[source, n] : rules_.refusedFull())
    refused += n;
  nlohmann::json stale = nlohmann::json::array();
  for (const auto *sources : {&block_sources_, &allow_sources_})
    for (const auto &source : sources->stale())
      stale.push_back({{"path", source.path},
                       {"since", util::rfc3339(source.since_wall_ns)},
                       {"error", source.error},
                       {"rules_kept", source.rules_kept}});
  auto notes = info_.notes;
  if (!info_.attached)
    notes.push_back("detached from " + info_.interface + ": " + info_.detached_reason +
                    "; the block rules stay pinned and are enforced again when it returns");
  for (auto &warning : warnings())
    notes.push_back(std::move(warning));
  nlohmann::json out = {
      {"interfaces",
       {{{"name", info_.interface},
         {"xdp_mode", info_.xdp_mode},
         {"via_dispatcher", info_.via_dispatcher},
         {"tc_egress", info_.tc_attached},
         {"ingress_hook", info_.ingress_hook},
         {"tc_ingress_prog_id", info_.tc_ingress_prog_id},
         {"tap", info_.tap},
         {"xdp_prog_id", info_.xdp_prog_id},
         {"tc_prog_id", info_.tc_prog_id},
         {"pin_dir", info_.pin_dir},
         {"ifindex", info_.ifindex},
         {"attached", info_.attached},
         {"detached_reason", info_.detached_reason},
         {"detached_since", info_.attached ? "" : util::rfc3339(info_.detached_since_wall_ns)}}}},
      {"counters", counters},
      {"agent",
       {{"ticks", counters_.ticks},
        {"samples", counters_.samples},
        {"samples_malformed", counters_.samples_malformed},
        {"facts", counters_.facts},
        {"flows_tracked", table_.size()},
        {"flows_tracked_max", table_.capacity()},
        {"flows_dropped_by_agent", table_.evicted()},
        {"flows_deleted_idle", counters_.flows_deleted_idle},
        {"flows_deleted_closed", counters_.flows_deleted_closed},
        {"detections", counters_.detections},
        {"blocks_added", counters_.blocks_added},
        {"blocks_expired", counters_.blocks_expired},
        {"last_drain_ms", static_cast<double>(counters_.last_drain_ns) / 1e6},
        {"last_drain_flows", counters_.last_drain_flows},
        {"sweeps", counters_.sweeps},
        {"kernel_sweeps", counters_.kernel_sweeps},
        {"kernel_sweep_overflows", counters_.kernel_sweep_overflows},
        {"flows_read", counters_.flows_read},
        {"dns_cache", dns_.size()},
        {"interface_lost", counters_.interface_lost}}},
      {"maps",
       {{"flows", {{"entries", map_entries_}, {"max", sensor_.flows().capacity()}}},
        {"block_rules",
         {{"entries", rules_.blockCount()},
          {"max", bpf_map__max_entries(skel->maps.minewatch_block_endpoint)},
          {"refused", refused},
          {"refused_by_source", rules_.refusedFull()}}},
        {"allow_rules", rules_.allows().size()}}},
      {"traffic",
       {{"bytes", live_bytes_ + ended_bytes_},
        {"packets", live_packets_ + ended_packets_},
        {"bytes_of_ended_flows", ended_bytes_}}},
      {"autoblock", config::toString(config_.autoblock)},
      {"uptime_s", (util::wallNowNs() - started_wall_ns_) / kNsPerSec},
      {"now", util::rfc3339(time_base_.toWall(now_ns))},
      {"lists", {{"stale", stale}}},
      {"rule_book",
       {{"file", info_.rules_file},
        {"saves", counters_.rule_book_saves},
        {"save_errors", counters_.rule_book_save_errors},
        {"last_error", save_error_}}},
      {"pins", {{"repinned", counters_.repins}}},
      {"notes", notes}};
  if (export_) {
    const auto &e = export_->exporter();
    nlohmann::json dropped = nlohmann::json::object();
    for (auto reason : ipfix::kDropReasons) {
      auto it = e.counters().dropped.find(reason);
      dropped[ipfix::toString(reason)] = it == e.counters().dropped.end() ? 0 : it->second;
    }
    out["export"] = {{"ipfix", ipfix::toString(e.options().target)},
                     {"records", e.counters().records},
                     {"messages", e.counters().messages},
                     {"dropped", dropped},
                     {"queued", e.queued()},
                     {"connected", e.connected()}};
  }
  return out;
}

nlohmann::json Agent::flows(std::size_t top, const std::string &sort, std::uint64_t now_ns) const {
  if (sort != "bytes" && sort != "packets" && sort != "age")
    throw std::invalid_argument("sort must be bytes, packets or age, not '" + sort + "'");
  struct Row {
    nlohmann::json json;
    std::uint64_t bytes, packets, first;
  };
  std::vector<Row> rows;
  sensor_.flows().forEachBatch([&](const minewatch_flow_key *keys, const minewatch_flow_value *values, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      auto roles = rolesOf(keys[i], values[i]);
      auto f = detect::featuresOf(keys[i], values[i], roles.client_dir);
      const auto *record = table_.find(keys[i]);
      const FlowNotes *notes = record ? record->notes.get() : nullptr;
      auto first = f.firstSeen();
      nlohmann::json j = {{"id", flowId(keys[i])},
                          {"flow", flowJson(roles)},
                          {"packets_up", f.client.packets},
                          {"packets_down", f.server.packets},
                          {"bytes_up", f.client.bytes},
                          {"bytes_down", f.server.bytes},
                          {"first_seen", util::rfc3339(time_base_.toWall(first))},
                          {"last_seen", util::rfc3339(time_base_.toWall(f.lastSeen()))},
                          {"age_s", now_ns > first ? (now_ns - first) / kNsPerSec : 0},
                          {"verdict", notes ? detect::toString(notes->assessment.verdict) : "clean"},
                          {"server_name", notes ? notes->server_name : ""}};
      rows.push_back({std::move(j), f.client.bytes + f.server.bytes, f.client.packets + f.server.packets, first});
    }
  });
  std::sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
    if (sort == "packets")
      return a.packets > b.packets;
    if (sort == "age")
      return a.first < b.first;
    return a.bytes > b.bytes;
  });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size() && (top == 0 || i < top); ++i)
    out.push_back(std::move(rows[i].json));
  return out;
}

nlohmann::json Agent::detections() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto &d : detections_.all())
    out.push_back(detectionJson(d));
  return out;
}

nlohmann::json Agent::explain(const std::string &flow) const {
  // A flow is named by its id, as `flows` and `detections` print it.
  const Detection *detection = detections_.find(flow);
  std::optional<std::pair<minewatch_flow_key, minewatch_flow_value>> live;
  if (detection) {
    if (auto value = sensor_.flows().lookup(detection->key))
      live.emplace(detection->key, *value);
  } else {
    sensor_.flows().forEachBatch([&](const minewatch_flow_key *keys, const minewatch_flow_value *values,
                                     std::uint32_t n) {
      for (std::uint32_t i = 0; i < n && !live; ++i)
        if (flowId(keys[i]) == flow)
          live.emplace(keys[i], values[i]);
    });
  }
  if (!detection && !live)
    throw std::invalid_argument("unknown flow '" + flow + "' (ids come from `minewatch flows` or `detections`)");

  nlohmann::json out;
  detect::Assessment assessment;
  if (live) {
    auto roles = rolesOf(live->first, live->second);
    auto features = detect::featuresOf(live->first, live->second, roles.client_dir);
    const auto *record = table_.find(live->first);
    const FlowNotes *notes = record ? record->notes.get() : nullptr;
    assessment = engine_.evaluate(roles, features, notes);
    out["flow"] = flowJson(roles);
    out["features"] = featuresJson(features);
    out["behaviour"] = behaviourJson(engine_.behaviour(features));
    out["facts"] = nlohmann::json::array();
    if (notes) {
      for (const auto &fact : notes->facts)
        out["facts"].push_back({{"protocol", fact.protocol}, {"mining", fact.mining}, {"side", fact.side},
                                {"summary", fact.summary}});
      out["server_name"] = notes->server_name;
      out["tls_fingerprint"] = notes->tls_fingerprint;
      if (const auto &h = notes->tls_hello)
        out["tls_hello"] = {{"sni", h->sni},           {"alpn", h->alpn},
                            {"ja3", h->ja3},           {"ja4", h->ja4},
                            {"complete", h->complete}, {"bytes_seen", h->bytes_seen},
                            {"bytes_total", h->bytes_total}};
    }
    out["live"] = true;
  } else {
    assessment = detection->assessment;
    out["flow"] = flowJson(detection->roles);
    out["features"] = featuresJson(detection->features);
    out["behaviour"] = behaviourJson(engine_.behaviour(detection->features));
    out["facts"] = nlohmann::json::array();
    out["server_name"] = detection->server_name;
    out["live"] = false;
  }
  out["id"] = flow;
  out["verdict"] = detect::toString(assessment.verdict);
  out["confidence"] = std::round(assessment.confidence * 1000.0) / 1000.0;
  out["evidence"] = nlohmann::json::array();
  for (const auto &e : assessment.evidence)
    out["evidence"].push_back({{"detector", e.detector}, {"weight", e.weight}, {"reason", e.reason}});
  if (detection) {
    out["detection"] = detectionJson(*detection);
  }
  return out;
}

nlohmann::json Agent::blockAdd(const std::string &text, std::uint64_t ttl_s, std::uint64_t now_ns, bool everything) {
  auto target = parseTarget(text, everything);
  if (auto refused =
          rules_.block(target, ttl_s * kNsPerSec, now_ns, util::wallNowNs(), "manual", "added by an operator")) {
    reportRefused(target, "manual", *refused);
    throw std::invalid_argument(refused->message);
  }
  ++counters_.blocks_added;
  events_.write({{"event", "block_added"}, {"target", rules::toString(target)}, {"source", "manual"}, {"ttl_s", ttl_s}});
  saveRules();
  return {{"added", rules::toString(target)}};
}

nlohmann::json Agent::blockDel(const std::string &text) {
  auto target = parseTarget(text, true);
  if (!rules_.unblock(target))
    throw std::invalid_argument("no block rule for " + rules::toString(target));
  events_.write({{"event", "block_removed"}, {"target", rules::toString(target)}});
  saveRules();
  return {{"removed", rules::toString(target)}};
}

nlohmann::json Agent::blockList(std::uint64_t now_ns) const {
  nlohmann::json out = nlohmann::json::array();
  forEachBlock(now_ns, 0, std::nullopt, [&](const nlohmann::json &rule) { out.push_back(rule); });
  return out;
}

void Agent::forEachBlock(std::uint64_t now_ns, std::uint64_t offset, std::optional<std::uint64_t> limit,
                         const JsonSink &sink) const {
  auto rules = rules_.blocks();
  auto end = rules.size();
  if (offset >= end)
    return;
  if (limit && *limit < end - offset)
    end = offset + *limit;
  for (auto i = offset; i < end; ++i)
    sink(ruleJson(rules[i], now_ns, time_base_));
}

nlohmann::json Agent::allowAdd(const std::string &text, bool everything) {
  auto target = parseTarget(text, everything);
  auto lifted = rules_.allow(target, "manual", "added by an operator", util::wallNowNs());
  nlohmann::json removed = nlohmann::json::array();
  for (const auto &rule : lifted)
    removed.push_back(rules::toString(rule.target));
  events_.write({{"event", "allow_added"}, {"target", rules::toString(target)}, {"lifted_blocks", removed}});
  saveRules();
  return {{"added", rules::toString(target)}, {"lifted_blocks", removed}};
}

nlohmann::json Agent::allowDel(const std::string &text) {
  auto target = parseTarget(text, true);
  if (!rules_.disallow(target))
    throw std::invalid_argument("no allow rule for " + rules::toString(target));
  saveRules();
  return {{"removed", rules::toString(target)}};
}

nlohmann::json Agent::allowList() const {
  nlohmann::json out = nlohmann::json::array();
  forEachAllow(0, std::nullopt, [&](const nlohmann::json &rule) { out.push_back(rule); });
  return out;
}

void Agent::forEachAllow(std::uint64_t offset, std::optional<std::uint64_t> limit, const JsonSink &sink) const {
  const auto &allows = rules_.allows();
  auto end = allows.size();
  if (offset >= end)
    return;
  if (limit && *limit < end - offset)
    end = offset + *limit;
  for (auto i = offset; i < end; ++i)
    sink({{"target", rules::toString(allows[i].target)}, {"source", allows[i].source}});
}

} // namespace minewatch::app
