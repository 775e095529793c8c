// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// YAML config: a table of known keys, each with a setter that checks its
// value. Errors carry file, line and key so an operator can fix them at once.
#include "config/agent_config.hpp"

#include "export/ipfix_exporter.hpp"
#include "minewatch_abi.h"
#include "net/address.hpp"
#include "rules/rule_target.hpp"

#include <grp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

namespace minewatch::config {

namespace {

struct Located {
  const std::string &origin;
  std::string key;
  const YAML::Node &node;

  [[noreturn]] void fail(const std::string &why) const {
    throw ConfigError(origin + ":" + std::to_string(node.Mark().line + 1) + ": " + key + ": " + why);
  }

  std::string scalar() const {
    if (!node.IsScalar())
      fail("expected a single value");
    return node.Scalar();
  }

  /// Decimal only: YAML 1.1 reads "0100" as octal 64 and "0x10" as 16, and
  /// an operator who wrote either most likely meant something else, so a
  /// leading zero is refused rather than guessed.
  template <typename T> T integer(T min, T max) const {
    auto text = scalar();
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 10);
    if (text.empty() || end != text.data() + text.size() || ec == std::errc::invalid_argument)
      fail("'" + text + "' is not a whole number");
    if (ec == std::errc::result_out_of_range)
      fail("'" + text + "' is too large");
    if (text.size() > 1 && (text[0] == '0' || (text[0] == '-' && text[1] == '0')))
      fail("'" + text + "' has a leading zero: write the number in decimal (YAML would read it as octal)");
    if (value < static_cast<long long>(min) || value > static_cast<long long>(max))
      fail(std::to_string(value) + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return static_cast<T>(value);
  }

  double fraction() const {
    auto text = scalar();
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    if (used == 0 || used != text.size() || !(value > 0.0 && value <= 1.0))
      fail("'" + text + "' must be a number in (0, 1]");
    return value;
  }

  bool boolean() const {
    auto text = scalar();
    if (text == "true" || text == "yes" || text == "on")
      return true;
    if (text == "false" || text == "no" || text == "off")
      return false;
    fail("'" + text + "' must be true or false");
  }

  std::string oneOf(std::initializer_list<const char *> choices) const {
    auto text = scalar();
    std::string list;
    for (const char *c : choices) {
      if (text == c)
        return text;
      list += (list.empty() ? "" : ", ") + std::string(c);
    }
    fail("'" + text + "' must be one of " + list);
  }

  /// A group name or a numeric gid, looked up now: a typo must stop the
  /// agent here, not leave the socket to the wrong group.
  gid_t group() const {
    auto text = scalar();
    if (!text.empty() && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return integer<gid_t>(0, 0x7fffffff);
    struct group buffer {};
    struct group *found = nullptr;
    std::vector<char> scratch(16384);
    if (::getgrnam_r(text.c_str(), &buffer, scratch.data(), scratch.size(), &found) != 0 || !found)
      fail("unknown group '" + text + "' (a group name or a numeric gid)");
    return found->gr_gid;
  }

  std::vector<std::string> strings() const {
    if (!node.IsSequence())
      fail("expected a list");
    std::vector<std::string> out;
    for (const auto &item : node) {
      if (!item.IsScalar())
        Located{origin, key, item}.fail("list items must be single values");
      out.push_back(item.Scalar());
    }
    return out;
  }

  /// Absolute paths: the agent's working directory is nobody's business
  /// (a DaemonSet's is "/"), so a relative path is a mistake waiting.
  std::vector<std::string> paths() const {
    auto items = strings();
    std::size_t i = 0;
    for (const auto &item : node) {
      if (items[i].empty() || items[i][0] != '/')
        Located{origin, key, item}.fail("'" + items[i] + "' must be an absolute path");
      ++i;
    }
    return items;
  }

  std::vector<std::string> cidrs() const {
    auto items = strings();
    std::size_t i = 0;
    for (const auto &item : node) {
      std::string why;
      if (!net::Cidr::parse(items[i], &why))
        Located{origin, key, item}.fail(why);
      ++i;
    }
    return items;
  }

  std::vector<std::string> ruleTargets() const {
    auto items = strings();
    std::size_t i = 0;
    for (const auto &item : node) {
      std::string why;
      if (!rules::parseRuleTarget(items[i], &why))
        Located{origin, key, item}.fail(why);
      ++i;
    }
    return items;
  }
};

using Setter = std::function<void(const Located &, AgentConfig &)>;

const std::map<std::string, Setter> &setters() {
  using L = const Located &;
  using C = AgentConfig &;
  constexpr auto kU32 = std::numeric_limits<std::uint32_t>::max();
  static const std::map<std::string, Setter> table = {
      {"interface", [](L v, C c) { c.interface = v.scalar(); }},
      {"xdp_mode",
       [](L v, C c) {
         c.xdp_mode = datapath::parseXdpMode(v.oneOf({"auto", "native", "generic"}));
       }},
      {"ingress_hook",
       [](L v, C c) {
         c.ingress_hook = datapath::parseIngressHook(v.oneOf({"xdp", "tc"}));
       }},
      {"tap", [](L v, C c) { c.tap = v.boolean(); }},
      {"pin_root", [](L v, C c) { c.pin_root = v.scalar(); }},
      {"state_dir", [](L v, C c) { c.state_dir = v.scalar(); }},
      {"socket", [](L v, C c) { c.socket_path = v.scalar(); }},
      {"socket_group",
       [](L v, C c) {
         c.socket_group = v.scalar();
         c.socket_gid = c.socket_group.empty() ? std::nullopt : std::optional<gid_t>(v.group());
       }},
      {"events", [](L v, C c) { c.events = v.scalar(); }},
      {"http.listen",
       [](L v, C c) {
         auto text = v.scalar();
         std::string why;
         if (!text.empty() && !parseListen(text, &why))
           v.fail(why);
         c.http_listen = text;
       }},
      {"shutdown",
       [](L v, C c) {
         auto mode = v.oneOf({"fail-safe", "fail-open", "keep-attached"});
         c.shutdown = mode == "fail-open"       ? ShutdownMode::FailOpen
                      : mode == "keep-attached" ? ShutdownMode::KeepAttached
                                                : ShutdownMode::FailSafe;
       }},
      {"datapath.max_flows", [](L v, C c) { c.sensor.max_flows = v.integer<std::uint32_t>(1, 1u << 24); }},
      {"datapath.ring_buffer_bytes",
       [](L v, C c) { c.sensor.ring_buffer_bytes = v.integer<std::uint32_t>(4096, 1u << 30); }},
      {"datapath.max_block_rules", [](L v, C c) { c.sensor.max_block_rules = v.integer<std::uint32_t>(1, 1u << 20); }},
      {"datapath.samples_per_direction",
       [](L v, C c) { c.sensor.samples_per_direction = v.integer<std::uint32_t>(0, 64); }},
      {"datapath.precise_clock", [](L v, C c) { c.sensor.precise_clock = v.boolean(); }},
      {"datapath.dirty_ring_bytes",
       [](L v, C c) { c.sensor.dirty_ring_bytes = v.integer<std::uint32_t>(4096, 1u << 30); }},
      {"datapath.sample_bytes", [](L v, C c) { c.sensor.sample_bytes = v.integer<std::uint32_t>(1, 256); }},
      {"datapath.messages_per_flow",
       [](L v, C c) { c.sensor.messages_per_flow = v.integer<std::uint32_t>(0, MINEWATCH_MESSAGES_MAX); }},
      {"datapath.dns_samples_per_sec",
       [](L v, C c) { c.sensor.dns_samples_per_sec = v.integer<std::uint32_t>(0, 1000000); }},
      {"agent.tick_ms", [](L v, C c) { c.tick_ms = v.integer<std::uint32_t>(10, 60000); }},
      {"agent.max_flows", [](L v, C c) { c.agent_max_flows = v.integer<std::uint32_t>(1, 1u << 24); }},
      {"agent.idle_timeout_s", [](L v, C c) { c.idle_timeout_s = v.integer<std::uint32_t>(1, kU32); }},
      {"agent.closed_timeout_s", [](L v, C c) { c.closed_timeout_s = v.integer<std::uint32_t>(0, kU32); }},
      {"agent.sweep_every_s", [](L v, C c) { c.sweep_every_s = v.integer<std::uint32_t>(0, 3600); }},
      {"agent.sweep_in_kernel", [](L v, C c) { c.sweep_in_kernel = v.boolean(); }},
      {"agent.judge_quiet_every_s", [](L v, C c) { c.judge_quiet_every_s = v.integer<std::uint32_t>(0, 3600); }},
      {"export.ipfix",
       [](L v, C c) {
         auto text = v.scalar();
         std::string why;
         if (!text.empty() && !ipfix::parseTarget(text, &why))
           v.fail(why);
         c.export_ipfix = text;
       }},
      {"export.active_timeout_s", [](L v, C c) { c.export_active_timeout_s = v.integer<std::uint32_t>(1, 86400); }},
      {"export.template_refresh_s", [](L v, C c) { c.export_template_refresh_s = v.integer<std::uint32_t>(1, 86400); }},
      {"export.max_queue", [](L v, C c) { c.export_max_queue = v.integer<std::uint32_t>(1, 1u << 20); }},
      {"detection.mining_threshold", [](L v, C c) { c.mining_threshold = v.fraction(); }},
      {"detection.suspicious_threshold", [](L v, C c) { c.suspicious_threshold = v.fraction(); }},
      {"detection.min_duration_s", [](L v, C c) { c.min_duration_s = v.integer<std::uint32_t>(0, kU32); }},
      {"metrics.suspect_servers_top", [](L v, C c) { c.suspect_servers_top = v.integer<std::uint32_t>(0, 1000); }},
      {"metrics.suspect_servers_window_s",
       [](L v, C c) { c.suspect_servers_window_s = v.integer<std::uint32_t>(0, 7u * 86400u); }},
      {"detection.correlation_clients", [](L v, C c) { c.correlation_clients = v.integer<std::uint32_t>(2, 100000); }},
      {"actions.autoblock",
       [](L v, C c) {
         auto mode = v.oneOf({"off", "dry-run", "on"});
         c.autoblock = mode == "on"        ? AutoBlockMode::On
                       : mode == "dry-run" ? AutoBlockMode::DryRun
                                           : AutoBlockMode::Off;
       }},
      {"actions.block_ttl_s", [](L v, C c) { c.block_ttl_s = v.integer<std::uint32_t>(1, 365u * 86400u); }},
      {"actions.allowlist", [](L v, C c) { c.allowlist = v.ruleTargets(); }},
      {"actions.blocklist", [](L v, C c) { c.blocklist = v.ruleTargets(); }},
      {"actions.blocklist_files", [](L v, C c) { c.blocklist_files = v.paths(); }},
      {"actions.allowlist_files", [](L v, C c) { c.allowlist_files = v.paths(); }},
      {"actions.fleet_share",
       [](L v, C c) {
         c.fleet_share = v.oneOf({"off", "on"}) == "on";
       }},
      {"actions.fleet_share_api",
       [](L v, C c) {
         // Checked fully when the agent starts (fleet/patch_request.cpp);
         // here the mistake that would leak the token: plain http.
         auto text = v.scalar();
         if (!text.empty() && text.rfind("https://", 0) != 0)
           v.fail("'" + text + "' must be https://HOST[:PORT]: the request carries the service-account token");
         c.fleet_share_api = text;
       }},
      {"actions.fleet_share_credentials",
       [](L v, C c) {
         auto text = v.scalar();
         if (text.empty() || text[0] != '/')
           v.fail("'" + text + "' must be an absolute path");
         c.fleet_share_credentials = text;
       }},
      {"confirm.mode", [](L v, C c) { c.confirm.on = v.oneOf({"on", "off"}) == "on"; }},
      {"confirm.when",
       [](L v, C c) {
         c.confirm.when = v.oneOf({"suspicious", "evidence"}) == "evidence" ? ConfirmConfig::When::Evidence
                                                                            : ConfirmConfig::When::Suspicious;
       }},
      {"confirm.cache_ttl_s", [](L v, C c) { c.confirm.cache_ttl_s = v.integer<std::uint32_t>(60, 365u * 86400u); }},
      {"confirm.retry_s", [](L v, C c) { c.confirm.retry_s = v.integer<std::uint32_t>(1, 86400); }},
      {"confirm.min_interval_s", [](L v, C c) { c.confirm.min_interval_s = v.integer<std::uint32_t>(0, 86400); }},
      {"confirm.concurrency", [](L v, C c) { c.confirm.concurrency = v.integer<std::uint32_t>(1, 16); }},
      {"confirm.queue", [](L v, C c) { c.confirm.queue = v.integer<std::uint32_t>(1, 100000); }},
      // At most 5 s and 16 KB: a probe is a question, never a download.
      {"confirm.timeout_ms", [](L v, C c) { c.confirm.timeout_ms = v.integer<std::uint32_t>(100, 5000); }},
      {"confirm.read_cap", [](L v, C c) { c.confirm.read_cap = v.integer<std::uint32_t>(256, 16384); }},
      {"confirm.allow_private", [](L v, C c) { c.confirm.allow_private = v.boolean(); }},
      {"confirm.never", [](L v, C c) { c.confirm.never = v.cidrs(); }},
      {"intel.feeds", [](L v, C c) { c.intel_feeds = v.paths(); }},
      {"intel.ports",
       [](L v, C c) {
         if (!v.node.IsSequence())
           v.fail("expected a list of ports");
         c.intel_ports.clear();
         for (const auto &item : v.node)
           c.intel_ports.push_back(Located{v.origin, v.key, item}.integer<std::uint16_t>(1, 65535));
       }},
  };
  return table;
}

void apply(const std::string &origin, const YAML::Node &map, const std::string &prefix, AgentConfig &config) {
  // yaml-cpp keeps a repeated key and lets the last one win: two values
  // for one setting is a mistake to show, not a choice to make silently.
  std::map<std::string, int> seen; // key -> line (1-based)
  for (const auto &entry : map) {
    if (!entry.first.IsScalar())
      Located{origin, prefix.empty() ? "(key)" : prefix, entry.first}.fail("a key must be a plain name");
    auto name = entry.first.Scalar();
    auto line = entry.first.Mark().line + 1;
    if (auto [it, fresh] = seen.emplace(name, line); !fresh)
      Located{origin, prefix.empty() ? name : prefix + "." + name, entry.first}.fail("set twice (first on line " +
                                                                                     std::to_string(it->second) + ")");
    auto key = prefix.empty() ? name : prefix + "." + name;
    const auto &table = setters();
    if (auto it = table.find(key); it != table.end()) {
      it->second(Located{origin, key, entry.second}, config);
      continue;
    }
    bool is_section =
        std::any_of(table.begin(), table.end(), [&](const auto &kv) { return kv.first.rfind(key + ".", 0) == 0; });
    if (is_section && entry.second.IsMap()) {
      apply(origin, entry.second, key, config);
      continue;
    }
    Located{origin, key, entry.first}.fail(is_section ? "expected a section of keys" : "unknown key");
  }
}

void validateWhole(const std::string &origin, const AgentConfig &c) {
  if (c.suspicious_threshold >= c.mining_threshold)
    throw ConfigError(origin + ": detection.suspicious_threshold must be below detection.mining_threshold");
  try {
    datapath::validate(c.sensor);
  } catch (const std::invalid_argument &e) {
    throw ConfigError(origin + ": datapath." + e.what());
  }
}

} // namespace

AgentConfig parseConfig(const std::string &yaml, const std::string &origin) {
  AgentConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception &e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (root.IsNull())
    return config; // an empty file means all defaults
  if (!root.IsMap())
    throw ConfigError(origin + ":" + std::to_string(root.Mark().line + 1) + ": expected a map of settings");
  try {
    apply(origin, root, "", config);
  } catch (const YAML::Exception &e) { // a shape no setter foresaw: still located
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  validateWhole(origin, config);
  return config;
}

AgentConfig loadConfig(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw ConfigError(path + ": cannot read the config file");
  std::stringstream text;
  text << in.rdbuf();
  return parseConfig(text.str(), path);
}

const char *toString(AutoBlockMode mode) {
  switch (mode) {
  case AutoBlockMode::Off: return "off";
  case AutoBlockMode::DryRun: return "dry-run";
  case AutoBlockMode::On: return "on";
  }
  return "off";
}

std::vector<std::string> watchedPaths(const AgentConfig &config) {
  std::vector<std::string> paths = config.blocklist_files;
  paths.insert(paths.end(), config.allowlist_files.begin(), config.allowlist_files.end());
  paths.insert(paths.end(), config.intel_feeds.begin(), config.intel_feeds.end());
  return paths;
}

const char *toString(ShutdownMode mode) {
  switch (mode) {
  case ShutdownMode::FailSafe: return "fail-safe";
  case ShutdownMode::FailOpen: return "fail-open";
  case ShutdownMode::KeepAttached: return "keep-attached";
  }
  return "fail-safe";
}

std::optional<ListenAddress> parseListen(const std::string &text, std::string *why) {
  auto fail = [&](const std::string &reason) -> std::optional<ListenAddress> {
    if (why)
      *why = "'" + text + "' " + reason;
    return std::nullopt;
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    return fail("must be HOST:PORT, [IPV6]:PORT or :PORT");
  ListenAddress out;
  out.host = text.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  else if (out.host.find(':') != std::string::npos)
    return fail("needs brackets around an IPv6 address: [::]:9405");
  if (out.host.empty())
    out.host = "0.0.0.0";
  if (!net::Address::parse(out.host))
    return fail("has no IP address to listen on (host names are not resolved)");
  auto port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535)
    return fail("needs a port 1-65535");
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return out;
}

} // namespace minewatch::config
