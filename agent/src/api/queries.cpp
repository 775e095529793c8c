// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's answers to the control API: status, flows, detections,
// explain, and rule changes. Every answer is a JSON value; errors are thrown
// as std::invalid_argument with a sentence meant for the operator.
#include "api/queries.hpp"

#include "api/json_views.hpp"
#include "datapath/blocklist.hpp"
#include "detect/flow_features.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace minewatch::api {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

} // namespace

nlohmann::json status(const AgentView &v, std::uint64_t now_ns) {
  const auto &info = v.datapath;
  const auto &rules = v.enforcer.rules();
  const auto &drained = v.drain.counters();
  const auto &judged = v.judge.counters();
  const auto &enforced = v.enforcer.counters();
  nlohmann::json counters;
  for (int i = 0; i < MINEWATCH_STAT_MAX; ++i)
    counters[datapath::statName(static_cast<minewatch_stat>(i))] = v.drain.stat(static_cast<minewatch_stat>(i));
  counters["flows_evicted"] = v.drain.evicted();

  std::uint64_t refused = 0;
  nlohmann::json refused_by_source = nlohmann::json::object();
  for (const auto &[source, n] : rules.refusedFull()) {
    refused += n;
    refused_by_source[actions::toString(source)] = n;
  }
  nlohmann::json stale = nlohmann::json::array();
  for (const auto &source : v.lists.stale())
    stale.push_back({{"path", source.path},
                     {"since", util::rfc3339(source.since_wall_ns)},
                     {"error", source.error},
                     {"rules_kept", source.rules_kept}});
  auto notes = info.notes;
  notes.insert(notes.end(), v.drain.notes().begin(), v.drain.notes().end());
  if (!info.attached)
    notes.push_back("detached from " + info.interface + ": " + info.detached_reason +
                    "; the block rules stay pinned and are enforced again when it returns");
  for (auto &warning : v.enforcer.warnings())
    notes.push_back(std::move(warning));
  for (auto &warning : v.lists.warnings())
    notes.push_back(std::move(warning));
  nlohmann::json out = {{"interfaces",
                         {{{"name", info.interface},
                           {"xdp_mode", datapath::toString(info.xdp_mode)},
                           {"via_dispatcher", info.via_dispatcher},
                           {"tc_egress", info.tc_attached},
                           {"ingress_hook", datapath::ingressHookName(info.ingress_hook)},
                           {"tc_ingress_prog_id", info.tc_ingress_prog_id},
                           {"tap", info.tap},
                           {"xdp_prog_id", info.xdp_prog_id},
                           {"tc_prog_id", info.tc_prog_id},
                           {"pin_dir", info.pin_dir},
                           {"ifindex", info.ifindex},
                           {"attached", info.attached},
                           {"detached_reason", info.detached_reason},
                           {"detached_since", info.attached ? "" : util::rfc3339(info.detached_since_wall_ns)}}}},
                        {"counters", counters},
                        {"agent",
                         {{"ticks", v.ticks},
                          {"samples", judged.samples},
                          {"samples_malformed", judged.samples_malformed},
                          {"facts", judged.facts},
                          {"flows_tracked", v.judge.table().size()},
                          {"flows_tracked_max", v.judge.table().capacity()},
                          {"flows_dropped_by_agent", v.judge.table().evicted()},
                          {"flows_deleted_idle", drained.deleted_idle},
                          {"flows_deleted_closed", drained.deleted_closed},
                          {"detections", judged.detections},
                          {"blocks_added", enforced.blocks_added},
                          {"blocks_expired", enforced.blocks_expired},
                          {"last_drain_ms", static_cast<double>(drained.last_ns) / 1e6},
                          {"last_drain_flows", drained.last_flows},
                          {"flows_held", drained.held},
                          {"sweeps", drained.sweeps},
                          {"kernel_sweeps", drained.kernel_sweeps},
                          {"kernel_sweep_overflows", drained.kernel_sweep_overflows},
                          {"flows_read", drained.flows_read},
                          {"dns_cache", v.judge.dns().size()},
                          {"interface_lost", v.interface_lost}}},
                        {"maps",
                         {{"flows", {{"entries", v.drain.mapEntries()}, {"max", v.drain.mapCapacity()}}},
                          {"block_rules",
                           {{"entries", rules.blockCount()},
                            {"max", v.enforcer.blockCapacity()},
                            {"refused", refused},
                            {"refused_by_source", refused_by_source}}},
                          {"allow_rules", rules.allows().size()}}},
                        {"traffic",
                         {{"bytes", v.judge.traffic().bytes()},
                          {"packets", v.judge.traffic().packets()},
                          {"bytes_of_ended_flows", v.judge.traffic().ended_bytes}}},
                        {"autoblock", config::toString(v.config.autoblock)},
                        {"uptime_s", (util::wallNowNs() - v.started_wall_ns) / kNsPerSec},
                        {"now", util::rfc3339(v.time_base.toWall(now_ns))},
                        {"lists", {{"stale", stale}}},
                        {"rule_book",
                         {{"file", info.rules_file},
                          {"saves", enforced.rule_book_saves},
                          {"save_errors", enforced.rule_book_save_errors},
                          {"last_error", v.enforcer.saveError()}}},
                        {"pins", {{"repinned", enforced.repins}}},
                        {"notes", notes}};
  if (v.flow_export) {
    const auto &e = v.flow_export->exporter();
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
  if (v.confirmer) {
    const auto &c = v.confirmer->counters();
    nlohmann::json probes = nlohmann::json::object();
    for (auto result : confirm::kConfirmResults)
      probes[std::string(confirm::toString(result))] = c.probes[static_cast<unsigned>(result)];
    out["confirm"] = {{"probes", probes},
                      {"pending", v.confirmer->pending()},
                      {"refused", c.refused},
                      {"dropped", c.dropped},
                      {"skipped", c.skipped}};
  }
  return out;
}

nlohmann::json flows(const AgentView &v, std::size_t top, FlowSort sort, std::uint64_t now_ns) {
  // The flows as the last drain read them: the judge's records, not the
  // kernel's map (a busy host's table is ~0.5 KiB a flow to copy out).
  struct Row {
    const minewatch_flow_key *key;
    const judge::FlowRecord *record;
    std::uint64_t bytes, packets, first;
  };
  std::vector<Row> rows;
  rows.reserve(v.judge.table().size());
  v.judge.table().forEach([&](const minewatch_flow_key &key, const judge::FlowRecord &r) {
    rows.push_back({&key, &r, r.totalBytes(), r.totalPackets(), r.first_seen_ns});
  });
  auto by = [sort](const Row &a, const Row &b) {
    if (sort == FlowSort::Packets)
      return a.packets > b.packets;
    if (sort == FlowSort::Age)
      return a.first < b.first;
    return a.bytes > b.bytes;
  };
  // key order breaks ties, so the page does not depend on the table's order
  std::sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
    if (by(a, b) || by(b, a))
      return by(a, b);
    return std::memcmp(a.key, b.key, sizeof *a.key) < 0;
  });
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size() && (top == 0 || i < top); ++i) {
    const auto &r = *rows[i].record;
    auto roles = judge::rolesOf(*rows[i].key, r.initiator, r.flow_flags);
    auto up = roles.client_dir, down = roles.client_dir ^ 1u;
    auto first = rows[i].first;
    out.push_back({{"id", judge::flowId(*rows[i].key)},
                   {"flow", flowJson(roles)},
                   {"packets_up", r.packets[up]},
                   {"packets_down", r.packets[down]},
                   {"bytes_up", r.bytes[up]},
                   {"bytes_down", r.bytes[down]},
                   {"first_seen", util::rfc3339(v.time_base.toWall(first))},
                   {"last_seen", util::rfc3339(v.time_base.toWall(r.lastSeen()))},
                   {"age_s", now_ns > first ? (now_ns - first) / kNsPerSec : 0},
                   {"verdict", r.facts ? detect::toString(r.facts->assessment.verdict) : "clean"},
                   {"server_name", r.facts ? r.facts->server_name : ""}});
  }
  return out;
}

nlohmann::json detections(const AgentView &v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto &d : v.judge.detections().all())
    out.push_back(detectionJson(d));
  return out;
}

nlohmann::json confirmations(const AgentView &v) {
  if (!v.confirmer)
    return nullptr;
  nlohmann::json out = nlohmann::json::array();
  for (const auto &c : v.confirmer->all())
    out.push_back(confirmationJson(c));
  return out;
}

namespace {
minewatch_flow_value countsOf(const judge::FlowRecord &r) {
  minewatch_flow_value value{};
  for (unsigned d = 0; d < MINEWATCH_DIRS; ++d) {
    value.dir[d].packets = r.packets[d];
    value.dir[d].bytes = r.bytes[d];
    // the record keeps the flow's first and last packet, not each direction's
    value.dir[d].first_seen_ns = r.packets[d] ? r.first_seen_ns : 0;
    value.dir[d].last_seen_ns = r.packets[d] ? r.last_seen_ns : 0;
  }
  value.initiator = r.initiator;
  value.flags = r.flow_flags;
  return value;
}
} // namespace

nlohmann::json explain(const AgentView &v, const std::string &flow) {
  // A flow is named by its id, as `flows` and `detections` print it.
  const judge::Detection *detection = v.judge.detections().find(flow);
  const minewatch_flow_key *live_key = nullptr;
  const judge::FlowRecord *live = nullptr;
  if (detection) {
    live = v.judge.table().find(detection->key);
    live_key = &detection->key;
  } else {
    v.judge.table().forEach([&](const minewatch_flow_key &key, const judge::FlowRecord &r) {
      if (!live && judge::flowId(key) == flow) {
        live = &r;
        live_key = &key;
      }
    });
  }
  if (!detection && !live)
    throw std::invalid_argument("unknown flow '" + flow + "' (ids come from `minewatch flows` or `detections`)");

  nlohmann::json out;
  detect::Assessment assessment;
  datapath::Endpoint server;
  const auto &engine = v.judge.engine();
  if (live) {
    // As the judge last saw it: the flow's counters at its last evaluation
    // when it keeps facts of the flow; otherwise the counts the last drain
    // read (a flow with nothing to explain keeps no histograms).
    const auto &value = live->facts && live->facts->judged ? *live->facts->judged : countsOf(*live);
    auto roles = judge::rolesOf(*live_key, value);
    server = roles.server;
    auto features = detect::featuresOf(*live_key, value, roles.client_dir);
    const judge::FlowFacts *known = live->facts.get();
    auto sequence = v.judge.sequenceOf(*live_key, value);
    assessment = engine.evaluate(roles, features, known, &sequence);
    out["flow"] = flowJson(roles);
    out["features"] = featuresJson(features);
    out["behaviour"] = behaviourJson(engine.behaviour(features));
    out["rhythm"] = {{"messages", sequence.size()}, {"measured", engine.rhythm(sequence).lines()}};
    out["facts"] = nlohmann::json::array();
    if (known) {
      for (const auto &fact : known->payload)
        out["facts"].push_back({{"protocol", classify::protocolName(fact.protocol)},
                                {"mining", fact.mining},
                                {"side", judge::toString(fact.side)},
                                {"summary", fact.summary}});
      out["server_name"] = known->server_name;
      out["tls_fingerprint"] = known->tls_fingerprint;
      if (const auto &h = known->tls_hello)
        out["tls_hello"] = {{"sni", h->sni},
                            {"alpn", h->alpn},
                            {"ja3", h->ja3},
                            {"ja4", h->ja4},
                            {"complete", h->complete},
                            {"bytes_seen", h->bytes_seen},
                            {"bytes_total", h->bytes_total}};
    }
    out["live"] = true;
  } else {
    assessment = detection->assessment;
    server = detection->roles.server;
    out["flow"] = flowJson(detection->roles);
    out["features"] = featuresJson(detection->features);
    out["behaviour"] = behaviourJson(engine.behaviour(detection->features));
    out["facts"] = nlohmann::json::array();
    out["server_name"] = detection->server_name;
    out["live"] = false;
  }
  out["id"] = flow;
  out["verdict"] = detect::toString(assessment.verdict);
  out["confidence"] = std::round(assessment.confidence * 1000.0) / 1000.0;
  out["evidence"] = nlohmann::json::array();
  for (const auto &e : assessment.evidence)
    out["evidence"].push_back({{"detector", detect::toString(e.detector)}, {"weight", e.weight}, {"reason", e.reason}});
  if (detection)
    out["detection"] = detectionJson(*detection);
  // What asking the server in Stratum showed: the exchange itself.
  if (const auto *c = v.confirmer ? v.confirmer->find(server) : nullptr)
    out["confirmation"] = confirmationJson(*c);
  return out;
}

namespace {
/// [offset, offset + limit) of n, clipped.
std::pair<std::uint64_t, std::uint64_t> page(std::uint64_t n, std::uint64_t offset,
                                             std::optional<std::uint64_t> limit) {
  if (offset >= n)
    return {n, n};
  auto end = limit && *limit < n - offset ? offset + *limit : n;
  return {offset, end};
}
} // namespace

void forEachBlock(const AgentView &v, std::uint64_t now_ns, std::uint64_t offset, std::optional<std::uint64_t> limit,
                  const JsonSink &sink) {
  auto rules = v.enforcer.rules().blocks();
  auto [from, to] = page(rules.size(), offset, limit);
  for (auto i = from; i < to; ++i)
    sink(ruleJson(rules[i], now_ns, v.time_base));
}

void forEachAllow(const AgentView &v, std::uint64_t offset, std::optional<std::uint64_t> limit, const JsonSink &sink) {
  const auto &allows = v.enforcer.rules().allows();
  auto [from, to] = page(allows.size(), offset, limit);
  for (auto i = from; i < to; ++i)
    sink({{"target", rules::toString(allows[i].target)}, {"source", actions::toString(allows[i].source)}});
}

nlohmann::json blockList(const AgentView &v, std::uint64_t now_ns) {
  nlohmann::json out = nlohmann::json::array();
  forEachBlock(v, now_ns, 0, std::nullopt, [&](const nlohmann::json &rule) { out.push_back(rule); });
  return out;
}

nlohmann::json allowList(const AgentView &v) {
  nlohmann::json out = nlohmann::json::array();
  forEachAllow(v, 0, std::nullopt, [&](const nlohmann::json &rule) { out.push_back(rule); });
  return out;
}

} // namespace minewatch::api
