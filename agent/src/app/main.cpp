// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// minewatch-agent: attach to an interface and watch it, or replay a capture.
#include "app/live_runner.hpp"
#include "app/replay_runner.hpp"
#include "app/requirements.hpp"
#include "lists/rule_files.hpp"
#include "lists/watched_files.hpp"
#include "config/agent_config.hpp"
#include "datapath/libbpf_log.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <exception>

int main(int argc, char **argv) {
  CLI::App app{"minewatch-agent: catches cryptojacking from network traffic and blocks mining pools.\n"
               "Examples:\n"
               "  minewatch-agent --iface eth0 --config /etc/minewatch/agent.yaml\n"
               "  minewatch-agent --iface mirror0 --tap          # SPAN port: alert only\n"
               "  minewatch-agent --replay capture.pcapng        # offline, prints detections"};
  std::string iface, config_path, mode, ingress, replay_file, socket_path, events;
  std::string check_config;
  bool tap = false, json = false, verbose = false, print_requirements = false;
  app.add_option("-i,--iface", iface, "interface to watch (overrides the config's `interface`)");
  app.add_option("-c,--config", config_path, "YAML config file (see deploy/agent.example.yaml)")
      ->check(CLI::ExistingFile);
  app.add_option("-m,--mode", mode, "XDP attach mode: auto (native, else generic), native or generic")
      ->check(CLI::IsMember({"auto", "native", "generic"}));
  app.add_option("--ingress", ingress,
                 "where ingress is seen: xdp (earliest drop) or tc (after GRO: for veth and virtio NICs, where "
                 "any XDP program cuts 64 KiB packets to the MTU); overrides the config's `ingress_hook`")
      ->check(CLI::IsMember({"xdp", "tc"}));
  app.add_flag("--tap", tap, "mirror/SPAN port: ingress only, alert without dropping");
  app.add_option("--replay", replay_file, "push a pcap/pcapng file through the BPF programs and print detections")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", json, "with --replay: print detections as JSON");
  app.add_option("--socket", socket_path, "control socket path (default /run/minewatch/minewatch.sock)");
  app.add_option("--events", events, "JSON-lines events: - for stdout (default), or a file to append to");
  app.add_flag("-v,--verbose", verbose, "libbpf/libxdp debug output, verifier logs included");
  app.add_option("--check-config", check_config,
                 "validate a config file (and that its rule and feed paths can be read), then exit");
  app.add_flag("--requirements", print_requirements,
               "print, as JSON, what this config needs to run: capabilities, host paths, ports, memory");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    fmt::print(stderr, "minewatch-agent: {} (see --help)\n", e.what());
    return 2;
  }

  try {
    if (!check_config.empty()) {
      auto checked = minewatch::config::loadConfig(check_config);
      auto files = minewatch::lists::expandPaths(minewatch::config::watchedPaths(checked));
      if (!files.errors.empty()) {
        fmt::print(stderr, "minewatch-agent: {}: {}\n", check_config, files.errors.front());
        return 2;
      }
      auto rules = minewatch::lists::loadRuleFiles(checked.blocklist_files);
      auto allows = minewatch::lists::loadRuleFiles(checked.allowlist_files);
      rules.errors.insert(rules.errors.end(), allows.errors.begin(), allows.errors.end());
      for (const auto &error : rules.errors)
        fmt::print(stderr, "minewatch-agent: {}\n", error);
      if (!rules.errors.empty())
        return 2;
      fmt::print("{}: ok ({} block and {} allow rules in files)\n", check_config, rules.rules.size(),
                 allows.rules.size());
      return 0;
    }
    minewatch::datapath::installLibbpfLogger(verbose);
    auto config = config_path.empty() ? minewatch::config::AgentConfig{} : minewatch::config::loadConfig(config_path);
    if (!iface.empty())
      config.interface = iface;
    if (!mode.empty())
      config.xdp_mode = minewatch::datapath::parseXdpMode(mode);
    if (!ingress.empty())
      config.ingress_hook = minewatch::datapath::parseIngressHook(ingress);
    if (tap)
      config.tap = true;
    if (!socket_path.empty())
      config.socket_path = socket_path;
    if (!events.empty())
      config.events = events;

    if (print_requirements) {
      fmt::print("{}\n", minewatch::app::requirements(config, config_path).dump(2));
      return 0;
    }
    if (!replay_file.empty()) {
      // 0: the whole capture was read; 3: only part of it (the report
      // covers that part, stderr says where and why it stopped).
      return minewatch::app::runReplay(config, {replay_file, json}).cut_short.empty() ? 0 : 3;
    }
    if (config.interface.empty()) {
      fmt::print(stderr, "minewatch-agent: no interface: give --iface IF (or `interface:` in the config), "
                         "or --replay FILE\n");
      return 2;
    }
    return minewatch::app::runLive(config, verbose);
  } catch (const minewatch::config::ConfigError &e) {
    fmt::print(stderr, "minewatch-agent: config error: {}\n", e.what());
    return 2;
  } catch (const std::exception &e) {
    fmt::print(stderr, "minewatch-agent: {}\n", e.what());
    return 1;
  }
}
