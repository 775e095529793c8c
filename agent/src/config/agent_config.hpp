// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/sensor_options.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace minewatch::config {

enum class AutoBlockMode { Off, DryRun, On };

/// What a graceful stop (SIGTERM, SIGINT) leaves in the kernel.
///  FailSafe:     detach; block rules stay pinned and the next agent restores
///                them, so a restart loses none.
///  FailOpen:     detach and remove every block rule: nothing of the agent
///                keeps dropping traffic once it is gone.
///  KeepAttached: stay attached: the rules keep dropping while no agent runs
///                (a DaemonSet's rolling update); the next agent takes the
///                programs over. Flows go unwatched until it does.
enum class ShutdownMode { FailSafe, FailOpen, KeepAttached };

/// The confirmer (agent/src/confirm/): asks a suspected server endpoint in
/// Stratum whether it is a pool before a TLS flow may be judged mining.
struct ConfirmConfig {
  enum class When : std::uint8_t {
    Suspicious, // a suspicious flow, or rhythm/behaviour evidence on a TLS flow with no intel
    Evidence,   // any flow with evidence at all
  };
  bool on = true;
  When when = When::Suspicious;
  std::uint32_t cache_ttl_s = 86400; // a result stands this long
  std::uint32_t retry_s = 300;       // after a probe that could not connect; doubles, up to cache_ttl_s
  std::uint32_t min_interval_s = 10; // at most one probe started this often
  std::uint32_t concurrency = 2;     // probes at once
  std::uint32_t queue = 64;          // endpoints waiting for a probe; more are dropped (and asked again later)
  std::uint32_t timeout_ms = 3000;   // connect, and each read
  std::uint32_t read_cap = 16384;    // bytes read from one connection at most
  bool allow_private = false;        // RFC 1918, CGNAT, ULA: labs, on-prem pools
  std::vector<std::string> never;    // CIDRs never probed, beside loopback, link-local and (by default) private
};

/// Everything the agent can be told in its config file. Defaults are what an
/// operator gets with no file at all.
struct AgentConfig {
  std::string interface; // --iface wins over this
  datapath::XdpMode xdp_mode = datapath::XdpMode::Auto;
  datapath::IngressHook ingress_hook = datapath::IngressHook::Xdp;
  bool tap = false; // mirror port: alert only, never drop
  std::string pin_root = "/sys/fs/bpf/minewatch";
  // The rule book (sources, reasons, allow rules) beside the pins, as
  // <state_dir>/<interface>/rules.json: bpffs holds no regular files.
  // Empty: not kept (a restart brings blocks back as "restored", no allows).
  std::string state_dir = "/var/lib/minewatch";
  std::string socket_path = "/run/minewatch/minewatch.sock";
  std::string socket_group;        // as written: a group name or gid; empty = the agent's group
  std::optional<gid_t> socket_gid; // socket_group resolved when the config was read
  std::string events = "-";        // "-" = stdout, else a file appended to
  std::string http_listen;         // "ADDR:PORT" for /metrics, /healthz, /readyz; empty = off
  ShutdownMode shutdown = ShutdownMode::FailSafe;

  datapath::SensorOptions sensor; // BPF sizing and sampling

  std::uint32_t tick_ms = 1000;
  std::uint32_t agent_max_flows = 100000; // flows the agent tracks in memory
  std::uint32_t idle_timeout_s = 300;     // no packet for this long: evict
  std::uint32_t closed_timeout_s = 10;    // after FIN/RST from both sides
  std::uint32_t judge_quiet_every_s = 10; // flows with no payload facts: judged at most this often
  std::uint32_t sweep_every_s = 30;       // full read of the flow table; between, only flows with news
  bool sweep_in_kernel = true;            // walk the table in the kernel; false: copy it all out in batches

  // Export (IPFIX): "HOST:PORT[/tcp|/udp]" of a collector; empty = off
  std::string export_ipfix;
  std::uint32_t export_active_timeout_s = 60;   // a record for a flow still going, this often
  std::uint32_t export_template_refresh_s = 60; // UDP: the templates again, this often
  std::uint32_t export_max_queue = 4096;        // records waiting for a slow or absent collector

  // Detection
  double mining_threshold = 0.8; // confidence at which a flow is "mining"
  double suspicious_threshold = 0.4;
  std::uint32_t min_duration_s = 120;    // behaviour needs this much history
  std::uint32_t correlation_clients = 3; // clients on one server for correlation

  // Metrics: minewatch_suspect_server_clients, one series per server endpoint
  // with suspicious or mining flows, the `top` with the most clients (0: none;
  // at most 1000, so a node under attack cannot flood Prometheus). A flow
  // counts while it is tracked, or `window_s` after its detection.
  std::uint32_t suspect_servers_top = 20;
  std::uint32_t suspect_servers_window_s = 900;

  // Actions
  AutoBlockMode autoblock = AutoBlockMode::Off;
  std::uint32_t block_ttl_s = 3600;
  std::vector<std::string> allowlist;       // CIDR or ADDR:PORT[/proto]
  std::vector<std::string> blocklist;       // manual rules applied at start
  std::vector<std::string> blocklist_files; // files or directories of rules, watched
  std::vector<std::string> allowlist_files; // the same, for the allowlist
  std::vector<std::string> intel_feeds;     // files or directories: plain lists or hosts format, watched
  // Auto-blocks sent to the fleet blocklist ConfigMap through the API server
  // (fleet/configmap_patcher.hpp); needs the service-account token mounted.
  bool fleet_share = false;
  std::string fleet_share_api; // "https://HOST:PORT"; empty: KUBERNETES_SERVICE_HOST/PORT
  std::string fleet_share_credentials = "/var/run/secrets/kubernetes.io/serviceaccount"; // token, ca.crt, namespace
  // Ports mining pools commonly listen on (Falco's miner_ports, less the
  // ordinary web and mail ports): weak evidence, never enough alone.
  ConfirmConfig confirm;
  std::vector<std::uint16_t> intel_ports = {3333, 3334, 3335, 3336, 3357, 4444, 5555, 5556,  5588,  5730,  6099, 6666,
                                            7777, 7778, 8008, 8888, 8899, 9332, 9999, 14433, 14444, 45560, 45700};
};

/// A config problem, located: "config.yaml:12: autoblock.mode: must be one of off, dry-run, on".
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads and validates a YAML file. Unknown keys are errors (a typo must
/// not silently fall back to a default). Throws ConfigError.
AgentConfig loadConfig(const std::string &path);
/// The same, from text (tests); `origin` names it in errors.
AgentConfig parseConfig(const std::string &yaml, const std::string &origin);

/// Every file or directory the agent reads lists from (blocklist_files,
/// allowlist_files, intel.feeds): what it watches and reloads.
std::vector<std::string> watchedPaths(const AgentConfig &config);

const char *toString(AutoBlockMode mode);
const char *toString(ShutdownMode mode);

/// A listen address split: host ("0.0.0.0", "::", "127.0.0.1") and port.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
/// Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses); nullopt with
/// the reason in `why` otherwise.
std::optional<ListenAddress> parseListen(const std::string &text, std::string *why = nullptr);

} // namespace minewatch::config
