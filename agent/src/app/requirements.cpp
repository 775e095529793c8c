// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/requirements.hpp"

#include "judge/flow_record.hpp"

#include "datapath/sensor_options.hpp"
#include "export/ipfix_encoder.hpp"
#include "minewatch_abi.h"

#include <initializer_list>
#include <vector>

namespace minewatch::app {

namespace {
// A hash map element carries ~48 bytes of kernel bookkeeping (htab_elem,
// LRU node) besides key and value; round up.
constexpr std::uint64_t kHashElemOverhead = 64;
// Measured by bench/bench_agent: 130-220 bytes per tracked flow; 300 leaves
// room for flows with payload facts. A flow with facts also keeps the value
// it was last judged on and, over TCP, its message sequence (perFlowBytes).
constexpr std::uint64_t kAgentBytesPerFlow = 300;
// Binary, libraries, intel feeds, JSON answers, the HTTP thread.
constexpr std::uint64_t kAgentBase = 64ull << 20;
// A queued IPFIX record: the struct and its strings.
constexpr std::uint64_t kExportRecordBytes = sizeof(ipfix::FlowRecord) + 3 * 64;
} // namespace

std::uint64_t memoryEstimate(const config::AgentConfig &config) {
  const auto &s = config.sensor;
  std::uint64_t flows =
      std::uint64_t{s.max_flows} * (sizeof(minewatch_flow_key4) + sizeof(minewatch_flow_value) + kHashElemOverhead) +
      std::uint64_t{datapath::ipv6FlowCapacity(s.max_flows)} *
          (sizeof(minewatch_flow_key) + sizeof(minewatch_flow_value) + kHashElemOverhead);
  std::uint64_t rules = std::uint64_t{s.max_block_rules} * (sizeof(minewatch_endpoint_key) + sizeof(minewatch_lpm_key) +
                                                            2 * sizeof(minewatch_block_rule) + 2 * kHashElemOverhead);
  // the arrays the drain reads through (records out, keys in)
  std::uint64_t sweep = std::uint64_t{datapath::sweepRecordCapacity(s.max_flows)} *
                        (sizeof(minewatch_sweep_record) + sizeof(minewatch_flow_key));
  std::uint64_t export_queue =
      config.export_ipfix.empty() ? 0 : std::uint64_t{config.export_max_queue} * kExportRecordBytes;
  std::uint64_t per_flow = kAgentBytesPerFlow + sizeof(minewatch_flow_value) +
                           std::uint64_t{s.messages_per_flow} * sizeof(judge::SeenMessage);
  std::uint64_t messages_ring = s.messages_per_flow ? s.message_ring_bytes : 0;
  return flows + rules + sweep + s.ring_buffer_bytes + s.dirty_ring_bytes + messages_ring +
         std::uint64_t{config.agent_max_flows} * per_flow + kAgentBase + export_queue;
}

nlohmann::json requirements(const config::AgentConfig &config, const std::string &config_path) {
  nlohmann::json http = nullptr;
  if (auto listen = config::parseListen(config.http_listen))
    http = {{"listen", config.http_listen},
            {"port", listen->port},
            {"metrics", "/metrics"},
            {"liveness", "/healthz"},
            {"readiness", "/readyz"}};
  nlohmann::json watched = config::watchedPaths(config);
  // fleet_share: the one API call the agent makes, and all it may make. Off,
  // it needs no token at all, so none should be mounted.
  nlohmann::json api = nullptr;
  if (config.fleet_share)
    api = {{"service_account_token", config.fleet_share_credentials},
           {"server", config.fleet_share_api.empty() ? "KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT"
                                                     : config.fleet_share_api},
           {"why", "fleet_share: auto-blocks added to the fleet blocklist ConfigMap"},
           {"rules",
            {{{"apiGroups", {""}},
              {"resources", {"configmaps"}},
              {"resourceNames", {"minewatch-blocklist"}},
              {"verbs", {"patch"}}}}}};
  // Connections the agent opens itself (a NetworkPolicy must let them out).
  nlohmann::json outbound = nlohmann::json::array();
  if (!config.export_ipfix.empty())
    outbound.push_back({{"to", config.export_ipfix}, {"why", "IPFIX flow records to the collector (export.ipfix)"}});
  if (config.confirm.on)
    outbound.push_back({{"to", "suspected servers, TCP (public addresses" +
                                   std::string(config.confirm.allow_private ? " and private ones" : "") + ")"},
                        {"why", "confirm.mode: a Stratum login to a suspected server before its flows are mining"}});
  return {
      // BPF: load programs, create and pin maps. NET_ADMIN: attach XDP and
      // TC. PERFMON: without it the verifier treats the loader as
      // unprivileged for pointer arithmetic and refuses the parser
      // (container_rootfs_test drops each one in turn and sees the agent
      // refuse). No SYS_ADMIN: bpffs must already be mounted (the host path
      // below), and detach and take-over go by netlink alone.
      {"capabilities", {"BPF", "NET_ADMIN", "PERFMON"}},
      {"host_network", true}, // the interface watched is the node's
      {"host_paths",
       {{{"path", "/sys/fs/bpf"}, {"why", "pinned maps: block rules and flows survive a restart"}},
        {{"path", "/sys/kernel/btf"}, {"why", "kernel BTF for CO-RE relocations (read-only)"}},
        {{"path", config.state_dir},
         {"why", "the rule book: sources, reasons and allow rules survive a restart (writable)"}}}},
      {"pin_root", config.pin_root},
      {"http", http},
      {"watched_paths", watched},
      {"api_access", api},
      {"outbound", outbound},
      {"config", config_path},
      {"socket", config.socket_path},
      {"shutdown", config::toString(config.shutdown)},
      {"memory_bytes", memoryEstimate(config)},
  };
}

} // namespace minewatch::app
