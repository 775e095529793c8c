// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's Prometheus page. Names follow Prometheus' conventions:
// counters end in _total, units are base units (seconds, bytes).
#include "api/metrics_text.hpp"
#include "api/queries.hpp"
#include "fleet/configmap_patcher.hpp"
#include "api/json_views.hpp"
#include "classify/text_util.hpp"
#include "judge/suspect_servers.hpp"

#include <string_view>

namespace minewatch::api {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

/// The malformed-packet counters and the label each gets.
constexpr std::pair<minewatch_stat, std::string_view> kMalformed[] = {
    {MINEWATCH_STAT_MALFORMED_ETH, "eth"},
    {MINEWATCH_STAT_MALFORMED_VLAN, "vlan"},
    {MINEWATCH_STAT_VLAN_TOO_DEEP, "vlan_too_deep"},
    {MINEWATCH_STAT_MALFORMED_IPV4, "ipv4"},
    {MINEWATCH_STAT_MALFORMED_IPV4_IHL, "ipv4_ihl"},
    {MINEWATCH_STAT_MALFORMED_IPV6, "ipv6"},
    {MINEWATCH_STAT_IPV6_EXT_TOO_DEEP, "ipv6_ext_too_deep"},
    {MINEWATCH_STAT_MALFORMED_TCP, "tcp"},
    {MINEWATCH_STAT_MALFORMED_UDP, "udp"},
    {MINEWATCH_STAT_MALFORMED_ICMP, "icmp"},
};
constexpr detect::Verdict kVerdicts[] = {detect::Verdict::Suspicious, detect::Verdict::Mining};

/// IPFIX export: only when the config names a collector.
void exportMetrics(MetricsText &m, const ipfix::FlowExport &flow_export) {
  const auto &e = flow_export.exporter();
  const auto &c = e.counters();
  auto target = ipfix::toString(e.options().target);
  m.family("minewatch_export_records_total", "counter", "IPFIX flow records handed to the collector's socket");
  m.sample("minewatch_export_records_total", static_cast<double>(c.records), {{"collector", target}});
  m.family("minewatch_export_dropped_total", "counter",
           "IPFIX flow records dropped, by why: queue_full (the collector is away or slow), refused, "
           "connection_lost, send_error, too_large");
  for (auto reason : ipfix::kDropReasons) {
    auto it = c.dropped.find(reason);
    m.sample("minewatch_export_dropped_total", it == c.dropped.end() ? 0 : static_cast<double>(it->second),
             {{"collector", target}, {"reason", ipfix::toString(reason)}});
  }
  m.family("minewatch_export_queued_records", "gauge", "IPFIX flow records waiting for the collector");
  m.sample("minewatch_export_queued_records", static_cast<double>(e.queued()), {{"collector", target}});
  m.family("minewatch_export_connects_total", "counter", "TCP connections made to the IPFIX collector");
  m.sample("minewatch_export_connects_total", static_cast<double>(c.connects), {{"collector", target}});
}
} // namespace

void DrainHistogram::observe(double seconds) {
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i])
    ++i;
  ++counts[i];
  sum_s += seconds;
}

void renderSuspectServers(MetricsText &page, const judge::SuspectServers &servers) {
  page.family("minewatch_suspect_server_clients", "gauge",
              "Distinct clients on this node with suspicious or mining flows to a server endpoint; "
              "only the metrics.suspect_servers_top endpoints with the most clients");
  for (const auto &s : servers.top) {
    auto port = std::to_string(s.port);
    // The name came off the wire (SNI) or from DNS: a label value must be
    // valid UTF-8, so anything but printable ASCII is replaced.
    auto sni = classify::printableAscii(s.server_name);
    page.sample("minewatch_suspect_server_clients", static_cast<double>(s.clients),
                {{"server", s.server.toString()}, {"port", port}, {"proto", protoName(s.proto)}, {"sni", sni}});
  }
  page.family("minewatch_suspect_servers_dropped", "gauge",
              "Server endpoints with suspicious or mining flows left off minewatch_suspect_server_clients by its cap");
  page.sample("minewatch_suspect_servers_dropped", static_cast<double>(servers.dropped));
}

judge::SuspectServers suspectServers(const AgentView &v, std::uint64_t now_ns) {
  return v.judge.suspectServers(now_ns, std::uint64_t{v.config.suspect_servers_window_s} * kNsPerSec,
                                v.config.suspect_servers_top);
}

std::string metricsText(const AgentView &v, std::uint64_t now_ns) {
  auto stat = [&](minewatch_stat s) { return static_cast<double>(v.drain.stat(s)); };
  const auto &info = v.datapath;
  const auto &rules = v.enforcer.rules();
  const auto &drained = v.drain.counters();
  const auto &enforced = v.enforcer.counters();
  const auto &reloads = v.lists.counters();
  MetricsText m;

  m.family("minewatch_up", "gauge", "1 while the agent runs with its programs attached, 0 while its interface is gone");
  m.sample("minewatch_up", info.attached ? 1 : 0,
           {{"interface", info.interface}, {"xdp_mode", datapath::toString(info.xdp_mode)}});
  m.family("minewatch_interface_lost_total", "counter",
           "Times the interface went away under the agent (deleted, renamed, moved to another namespace)");
  m.sample("minewatch_interface_lost_total", static_cast<double>(v.interface_lost));
  m.family("minewatch_start_time_seconds", "gauge", "When the agent started, Unix time");
  m.sample("minewatch_start_time_seconds", static_cast<double>(v.started_wall_ns / kNsPerSec));

  m.family("minewatch_detections_total", "counter",
           "Flows reported suspicious or mining, by verdict and by each detector that gave evidence");
  for (auto verdict : kVerdicts)
    for (auto detector : detect::kDetectors)
      m.sample("minewatch_detections_total", static_cast<double>(v.judge.detectionsBy(verdict, detector)),
               {{"verdict", detect::toString(verdict)}, {"detector", detect::toString(detector)}});

  renderSuspectServers(m, suspectServers(v, now_ns));

  if (v.confirmer) {
    const auto &c = v.confirmer->counters();
    m.family("minewatch_confirm_total", "counter", "Probes of suspected servers in Stratum, by result");
    for (auto result : confirm::kConfirmResults)
      m.sample("minewatch_confirm_total", static_cast<double>(c.probes[static_cast<unsigned>(result)]),
               {{"result", std::string(confirm::toString(result))}});
    m.family("minewatch_confirm_refused_total", "counter",
             "Suspected servers not probed: loopback, link-local, private (confirm.allow_private), confirm.never, "
             "allowlisted");
    m.sample("minewatch_confirm_refused_total", static_cast<double>(c.refused));
    m.family("minewatch_confirm_dropped_total", "counter", "Probe requests the full queue turned away (confirm.queue)");
    m.sample("minewatch_confirm_dropped_total", static_cast<double>(c.dropped));
    m.family("minewatch_confirm_skipped_total", "counter",
             "Queued servers not probed because a block rule dropped them by their turn");
    m.sample("minewatch_confirm_skipped_total", static_cast<double>(c.skipped));
    m.family("minewatch_confirm_pending", "gauge", "Suspected servers queued or being probed");
    m.sample("minewatch_confirm_pending", static_cast<double>(v.confirmer->pending()));
  }

  m.family("minewatch_packets_total", "counter", "Packets the sensor accounted, by hook");
  m.sample("minewatch_packets_total", stat(MINEWATCH_STAT_XDP_PACKETS), {{"hook", "xdp"}});
  m.sample("minewatch_packets_total", stat(MINEWATCH_STAT_TC_PACKETS), {{"hook", "tc"}});
  m.sample("minewatch_packets_total", stat(MINEWATCH_STAT_TC_INGRESS_PACKETS), {{"hook", "tc_ingress"}});
  m.family("minewatch_flow_bytes_total", "counter", "Bytes of every flow seen, as of the last drain");
  m.sample("minewatch_flow_bytes_total", static_cast<double>(v.judge.traffic().bytes()));
  m.family("minewatch_dropped_packets_total", "counter", "Packets dropped by a block rule, by hook");
  m.sample("minewatch_dropped_packets_total", stat(MINEWATCH_STAT_BLOCKED_XDP), {{"hook", "xdp"}});
  m.sample("minewatch_dropped_packets_total", stat(MINEWATCH_STAT_BLOCKED_TC), {{"hook", "tc"}});
  m.sample("minewatch_dropped_packets_total", stat(MINEWATCH_STAT_BLOCKED_TC_INGRESS), {{"hook", "tc_ingress"}});
  m.family("minewatch_dropped_bytes_total", "counter", "Bytes dropped by a block rule, by hook");
  m.sample("minewatch_dropped_bytes_total", stat(MINEWATCH_STAT_BLOCKED_XDP_BYTES), {{"hook", "xdp"}});
  m.sample("minewatch_dropped_bytes_total", stat(MINEWATCH_STAT_BLOCKED_TC_BYTES), {{"hook", "tc"}});
  m.sample("minewatch_dropped_bytes_total", stat(MINEWATCH_STAT_BLOCKED_TC_INGRESS_BYTES), {{"hook", "tc_ingress"}});
  m.family("minewatch_would_drop_packets_total", "counter", "Packets a block rule matched in tap mode");
  m.sample("minewatch_would_drop_packets_total", stat(MINEWATCH_STAT_BLOCK_WOULD_DROP));
  m.family("minewatch_malformed_packets_total", "counter", "Packets the parser refused, by what was wrong");
  for (const auto &[s, kind] : kMalformed)
    m.sample("minewatch_malformed_packets_total", stat(s), {{"kind", kind}});
  m.family("minewatch_non_ip_packets_total", "counter", "Packets that were not IP (ARP, LLDP, ...)");
  m.sample("minewatch_non_ip_packets_total", stat(MINEWATCH_STAT_NON_IP));

  m.family("minewatch_samples_total", "counter", "Payload samples the sensor sent to the ring buffer");
  m.sample("minewatch_samples_total", stat(MINEWATCH_STAT_SAMPLES));
  m.family("minewatch_ringbuf_drops_total", "counter", "Payload samples lost because the ring buffer was full");
  m.sample("minewatch_ringbuf_drops_total", stat(MINEWATCH_STAT_RINGBUF_DROPS));
  m.family("minewatch_flow_map_full_total", "counter", "New flows the kernel could not insert");
  m.sample("minewatch_flow_map_full_total", stat(MINEWATCH_STAT_FLOW_INSERT_FAILED));
  m.family("minewatch_flows_created_total", "counter", "Flows the sensor created");
  m.sample("minewatch_flows_created_total", stat(MINEWATCH_STAT_FLOWS_CREATED));
  m.family("minewatch_flow_evictions_total", "counter",
           "Flows the kernel's LRU evicted before the agent drained them to the end");
  m.sample("minewatch_flow_evictions_total", static_cast<double>(v.drain.evicted()));

  m.family("minewatch_flow_map_entries", "gauge", "Flows in the kernel's flow map at the last drain");
  m.sample("minewatch_flow_map_entries", static_cast<double>(v.drain.mapEntries()));
  m.family("minewatch_flow_map_capacity", "gauge", "Size of the kernel's flow map");
  m.sample("minewatch_flow_map_capacity", static_cast<double>(v.drain.mapCapacity()));
  m.family("minewatch_flows_tracked", "gauge", "Flows the agent keeps state for");
  m.sample("minewatch_flows_tracked", static_cast<double>(v.judge.table().size()));
  m.family("minewatch_flows_dropped_by_agent_total", "counter", "Flow states the agent evicted at its own limit");
  m.sample("minewatch_flows_dropped_by_agent_total", static_cast<double>(v.judge.table().evicted()));

  auto sources = rules.countBySource();
  m.family("minewatch_block_rules", "gauge", "Block rules in force, by who added them");
  for (auto source : actions::kRuleSources) {
    auto it = sources.find(source);
    m.sample("minewatch_block_rules", it == sources.end() ? 0 : static_cast<double>(it->second),
             {{"source", actions::toString(source)}});
  }
  m.family("minewatch_block_rules_refused_total", "counter",
           "Block rules refused because the kernel map was full, by who asked");
  for (auto source : actions::kRuleSources) {
    auto it = rules.refusedFull().find(source);
    m.sample("minewatch_block_rules_refused_total",
             it == rules.refusedFull().end() ? 0 : static_cast<double>(it->second),
             {{"source", actions::toString(source)}});
  }
  m.family("minewatch_block_rules_capacity", "gauge", "Block rules each kernel map holds");
  m.sample("minewatch_block_rules_capacity", v.enforcer.blockCapacity());
  m.family("minewatch_allow_rules", "gauge", "Allow rules in force");
  m.sample("minewatch_allow_rules", static_cast<double>(rules.allows().size()));
  m.family("minewatch_blocks_added_total", "counter", "Automatic blocks added");
  m.sample("minewatch_blocks_added_total", static_cast<double>(enforced.blocks_added));
  m.family("minewatch_blocks_expired_total", "counter", "Blocks removed when their TTL ran out");
  m.sample("minewatch_blocks_expired_total", static_cast<double>(enforced.blocks_expired));

  m.family("minewatch_drain_duration_seconds", "histogram", "Time one drain of the flow map took");
  m.histogram("minewatch_drain_duration_seconds", v.tick_times.kBounds, v.tick_times.counts, v.tick_times.sum_s);
  m.family("minewatch_last_drain_flows", "gauge", "Flows read by the last drain");
  m.sample("minewatch_last_drain_flows", static_cast<double>(drained.last_flows));
  m.family("minewatch_drain_flows_held", "gauge",
           "Flows with news the last drain left for later (busy, nothing to judge before their next window)");
  m.sample("minewatch_drain_flows_held", static_cast<double>(drained.held));
  m.family("minewatch_drain_flows_read_total", "counter", "Flows read from the kernel by all drains");
  m.sample("minewatch_drain_flows_read_total", static_cast<double>(drained.flows_read));
  m.family("minewatch_drain_sweeps_total", "counter", "Drains that read the whole flow table");
  m.sample("minewatch_drain_sweeps_total", static_cast<double>(drained.sweeps));
  m.family("minewatch_drain_kernel_sweeps_total", "counter",
           "Sweeps that walked the flow table in the kernel; overflow: more flows to hand out than fit, "
           "so it was read whole instead");
  m.sample("minewatch_drain_kernel_sweeps_total",
           static_cast<double>(drained.kernel_sweeps - drained.kernel_sweep_overflows), {{"result", "ok"}});
  m.sample("minewatch_drain_kernel_sweeps_total", static_cast<double>(drained.kernel_sweep_overflows),
           {{"result", "overflow"}});
  m.family("minewatch_dirty_drops_total", "counter",
           "Reports of flows with news lost to a full ring (each forces a sweep)");
  m.sample("minewatch_dirty_drops_total", stat(MINEWATCH_STAT_DIRTY_DROPS));

  m.family("minewatch_reloads_total", "counter",
           "Reloads of the watched rule and intel files; error: a path was unreadable or a line bad");
  m.sample("minewatch_reloads_total", static_cast<double>(reloads.reloads_ok), {{"result", "ok"}});
  m.sample("minewatch_reloads_total", static_cast<double>(reloads.reloads_error), {{"result", "error"}});
  m.family("minewatch_last_reload_timestamp_seconds", "gauge", "When the watched files were last loaded, Unix time");
  m.sample("minewatch_last_reload_timestamp_seconds", static_cast<double>(reloads.last_reload_wall_ns / kNsPerSec));
  m.family("minewatch_list_source_stale", "gauge",
           "1 while a configured list path cannot be read and its last good rules stand in for it");
  for (const auto *paths : {&v.config.blocklist_files, &v.config.allowlist_files})
    for (const auto &path : *paths)
      m.sample("minewatch_list_source_stale", v.lists.isStale(path) ? 1 : 0, {{"path", path}});
  m.family("minewatch_pins_restored_total", "counter",
           "Sweeps that found pinned maps removed under the agent and pinned them again");
  m.sample("minewatch_pins_restored_total", static_cast<double>(enforced.repins));
  m.family("minewatch_rule_book_save_errors_total", "counter", "Failed writes of the saved rule book");
  m.sample("minewatch_rule_book_save_errors_total", static_cast<double>(enforced.rule_book_save_errors));
  if (const auto *fleet = v.enforcer.fleetShare()) {
    m.family("minewatch_fleet_share_total", "counter",
             "Attempts to add an auto-block to the fleet blocklist ConfigMap, by result (queue_full: dropped unsent)");
    for (const char *result : fleet::kShareResults) {
      m.sample("minewatch_fleet_share_total", static_cast<double>(v.enforcer.fleetShared(result)),
               {{"result", result}});
    }
    m.family("minewatch_fleet_share_pending", "gauge",
             "Auto-blocks waiting to be sent or being sent (retries included)");
    m.sample("minewatch_fleet_share_pending", static_cast<double>(fleet->pending()));
  }
  m.family("minewatch_intel_entries", "gauge", "Domains and networks in the loaded intel feeds");
  m.sample("minewatch_intel_entries", static_cast<double>(v.judge.engine().intel().size()));
  if (v.flow_export)
    exportMetrics(m, *v.flow_export);
  return m.text();
}

} // namespace minewatch::api
