// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/requirements.hpp"
#include "config/agent_config.hpp"

#include <boost/test/unit_test.hpp>

using minewatch::config::AgentConfig;
using minewatch::config::ConfigError;
using minewatch::config::parseConfig;

namespace {
/// The message a config is refused with ("" when it is accepted).
std::string refusal(const std::string &yaml) {
  try {
    parseConfig(yaml, "agent.yaml");
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "";
}
} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(empty_file_means_defaults) {
  auto c = parseConfig("", "agent.yaml");
  BOOST_TEST(c.tick_ms == 1000u);
  BOOST_TEST(c.sensor.max_flows == 262144u);
  BOOST_TEST(c.sensor.messages_per_flow == 64u);
  BOOST_TEST(std::string(toString(c.autoblock)) == "off");
  BOOST_TEST(c.socket_path == "/run/minewatch/minewatch.sock");
}

BOOST_AUTO_TEST_CASE(every_section_is_read) {
  auto c = parseConfig(R"(
interface: eth1
xdp_mode: generic
tap: true
socket: /tmp/mw.sock
events: /var/log/minewatch.jsonl
datapath:
  max_flows: 1024
  ring_buffer_bytes: 65536
  samples_per_direction: 2
  sample_bytes: 128
  dns_samples_per_sec: 10
  messages_per_flow: 16
agent:
  tick_ms: 250
  max_flows: 500
  idle_timeout_s: 60
  closed_timeout_s: 5
detection:
  mining_threshold: 0.9
  suspicious_threshold: 0.5
  min_duration_s: 30
  correlation_clients: 4
actions:
  autoblock: dry-run
  block_ttl_s: 600
  allowlist: [192.0.2.0/24, "[2001:db8::1]:443/tcp"]
  blocklist: [198.51.100.7:3333]
intel:
  feeds: [/etc/minewatch/pools.txt]
  ports: [3333, 14444]
)",
                       "agent.yaml");
  BOOST_TEST(c.interface == "eth1");
  BOOST_TEST((c.xdp_mode == minewatch::datapath::XdpMode::Generic));
  BOOST_TEST(c.tap);
  BOOST_TEST(c.sensor.max_flows == 1024u);
  BOOST_TEST(c.sensor.sample_bytes == 128u);
  BOOST_TEST(c.sensor.messages_per_flow == 16u);
  BOOST_TEST(c.tick_ms == 250u);
  BOOST_TEST(c.agent_max_flows == 500u);
  BOOST_TEST(c.mining_threshold == 0.9);
  BOOST_TEST(c.correlation_clients == 4u);
  BOOST_TEST(std::string(toString(c.autoblock)) == "dry-run");
  BOOST_TEST(c.allowlist.size() == 2u);
  BOOST_TEST(c.blocklist.front() == "198.51.100.7:3333");
  BOOST_TEST(c.intel_ports.size() == 2u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_line_and_key) {
  BOOST_TEST(refusal("agent:\n  tick_ms: 5\n") == "agent.yaml:2: agent.tick_ms: 5 is out of range 10-60000");
  BOOST_TEST(refusal("agent:\n  tick_ms: soon\n") == "agent.yaml:2: agent.tick_ms: 'soon' is not a whole number");
  BOOST_TEST(refusal("datapath:\n  messages_per_flow: 5000\n") ==
             "agent.yaml:2: datapath.messages_per_flow: 5000 is out of range 0-4096");
  BOOST_TEST(parseConfig("datapath:\n  messages_per_flow: 0\n", "a").sensor.messages_per_flow == 0u); // off
  BOOST_TEST(refusal("tick_ms: 50\n") == "agent.yaml:1: tick_ms: unknown key");
  BOOST_TEST(refusal("agent:\n  tickms: 50\n") == "agent.yaml:2: agent.tickms: unknown key");
  BOOST_TEST(refusal("actions:\n  autoblock: maybe\n") ==
             "agent.yaml:2: actions.autoblock: 'maybe' must be one of off, dry-run, on");
  BOOST_TEST(refusal("tap: perhaps\n") == "agent.yaml:1: tap: 'perhaps' must be true or false");
  BOOST_TEST(refusal("agent: 5\n") == "agent.yaml:1: agent: expected a section of keys");
  BOOST_TEST(refusal("detection:\n  mining_threshold: 1.5\n") ==
             "agent.yaml:2: detection.mining_threshold: '1.5' must be a number in (0, 1]");
}

BOOST_AUTO_TEST_CASE(bad_rules_are_located_to_their_own_line) {
  auto why = refusal("actions:\n  allowlist:\n    - 10.0.0.0/8\n    - 10.0.0.1/8\n");
  BOOST_TEST(why.find("agent.yaml:4: actions.allowlist:") == 0u);
  BOOST_TEST(why.find("host bits") != std::string::npos);
  BOOST_TEST(refusal("actions:\n  blocklist: [198.51.100.7:70000]\n").find("port '70000' must be 0-65535") !=
             std::string::npos);
  BOOST_TEST(refusal("intel:\n  ports: [0]\n") == "agent.yaml:2: intel.ports: 0 is out of range 1-65535");
}

BOOST_AUTO_TEST_CASE(whole_config_checks) {
  BOOST_TEST(refusal("detection:\n  mining_threshold: 0.5\n  suspicious_threshold: 0.6\n")
                 .find("suspicious_threshold must be below") != std::string::npos);
  BOOST_TEST(refusal("datapath:\n  ring_buffer_bytes: 5000\n").find("power of two") != std::string::npos);
  BOOST_TEST(refusal("interface: [a, b\n").find("not valid YAML") != std::string::npos);
  BOOST_TEST(refusal("- a\n- b\n") == "agent.yaml:1: expected a map of settings");
}

BOOST_AUTO_TEST_CASE(shapes_yaml_allows_but_a_config_must_not_have) {
  struct Case {
    const char *yaml, *refusal;
  };
  const Case cases[] = {
      // YAML 1.1 octal: 0100 would silently be 64
      {"agent:\n  max_flows: 0100\n", "agent.yaml:2: agent.max_flows: '0100' has a leading zero: write the "
                                      "number in decimal (YAML would read it as octal)"},
      {"agent:\n  tick_ms: 0x40\n", "agent.yaml:2: agent.tick_ms: '0x40' is not a whole number"},
      {"agent:\n  tick_ms: +50\n", "agent.yaml:2: agent.tick_ms: '+50' is not a whole number"},
      {"agent:\n  tick_ms: 99999999999999999999\n", "agent.yaml:2: agent.tick_ms: '99999999999999999999' is too large"},
      // a key that is itself a map or a list (yaml-cpp's own message had no file or line)
      {"? [a, b]\n: 1\n", "agent.yaml:1: (key): a key must be a plain name"},
      {"agent:\n  ? {x: 1}\n  : 2\n", "agent.yaml:2: agent: a key must be a plain name"},
      // last-one-wins would hide the first value
      {"agent:\n  tick_ms: 50\n  tick_ms: 60\n", "agent.yaml:3: agent.tick_ms: set twice (first on line 2)"},
      {"tap: true\ntap: false\n", "agent.yaml:2: tap: set twice (first on line 1)"},
  };
  for (const auto &c : cases)
    BOOST_TEST(refusal(c.yaml) == c.refusal, c.yaml);
  BOOST_TEST(parseConfig("agent:\n  tick_ms: 50\n", "a").tick_ms == 50u);
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_clear_error) {
  BOOST_CHECK_EXCEPTION(
      minewatch::config::loadConfig("/nonexistent/agent.yaml"), ConfigError,
      [](const ConfigError &e) { return std::string(e.what()).find("cannot read") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(socket_group_by_name_or_gid) {
  BOOST_TEST(!parseConfig("", "agent.yaml").socket_gid.has_value());
  BOOST_TEST(!parseConfig("socket_group: \"\"\n", "agent.yaml").socket_gid.has_value());
  BOOST_TEST(parseConfig("socket_group: root\n", "agent.yaml").socket_gid.value() == 0u);
  BOOST_TEST(parseConfig("socket_group: 4242\n", "agent.yaml").socket_gid.value() == 4242u);
  auto why = refusal("socket: /tmp/x.sock\nsocket_group: no-such-group-mw\n");
  BOOST_TEST(why.find("agent.yaml:2: socket_group: unknown group 'no-such-group-mw'") != std::string::npos, why);
  BOOST_TEST(refusal("socket_group: [a, b]\n").find("socket_group") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(config_export)

BOOST_AUTO_TEST_CASE(export_keys_are_read_and_checked) {
  auto c = parseConfig("", "agent.yaml");
  BOOST_TEST(c.export_ipfix.empty());
  BOOST_TEST(c.export_active_timeout_s == 60u);
  BOOST_TEST(c.export_template_refresh_s == 60u);
  BOOST_TEST(c.export_max_queue == 4096u);
  c = parseConfig("export:\n  ipfix: 10.0.0.5:4739/tcp\n  active_timeout_s: 30\n  template_refresh_s: 10\n",
                  "agent.yaml");
  BOOST_TEST(c.export_ipfix == "10.0.0.5:4739/tcp");
  BOOST_TEST(c.export_active_timeout_s == 30u);
  BOOST_TEST(c.export_template_refresh_s == 10u);
  BOOST_TEST(refusal("export:\n  ipfix: collector:4739\n").find("agent.yaml:2: export.ipfix:") == 0);
  BOOST_TEST(refusal("export:\n  ipfix: 10.0.0.5:4739/sctp\n").find("export.ipfix") != std::string::npos);
  BOOST_TEST(refusal("export:\n  active_timeout_s: 0\n").find("out of range") != std::string::npos);
  BOOST_TEST(refusal("export:\n  template_refresh: 5\n").find("unknown key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(requirements_name_the_collector_and_count_its_queue) {
  auto off = parseConfig("confirm:\n  mode: off\n", "agent.yaml");
  auto on = parseConfig("confirm:\n  mode: off\nexport:\n  ipfix: 10.0.0.5:4739\n  max_queue: 1000\n", "agent.yaml");
  BOOST_TEST(minewatch::app::requirements(off, "agent.yaml")["outbound"].empty());
  auto outbound = minewatch::app::requirements(on, "agent.yaml")["outbound"];
  BOOST_REQUIRE(outbound.size() == 1u);
  BOOST_TEST(outbound[0]["to"].get<std::string>() == "10.0.0.5:4739");
  BOOST_TEST(minewatch::app::memoryEstimate(on) > minewatch::app::memoryEstimate(off) + 1000u * 400u);
  // The confirmer (on by default) connects to suspected servers: said so.
  auto confirming = minewatch::app::requirements(parseConfig("", "agent.yaml"), "agent.yaml")["outbound"];
  BOOST_REQUIRE(confirming.size() == 1u);
  BOOST_TEST(confirming[0]["why"].get<std::string>().find("confirm.mode") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(confirm_settings_are_checked) {
  auto c = parseConfig("confirm:\n  mode: off\n  when: evidence\n  allow_private: true\n  never: [192.0.2.0/24]\n"
                       "  timeout_ms: 500\n  read_cap: 4096\n",
                       "agent.yaml");
  BOOST_TEST(!c.confirm.on);
  BOOST_TEST((c.confirm.when == minewatch::config::ConfirmConfig::When::Evidence));
  BOOST_TEST(c.confirm.allow_private);
  BOOST_TEST(c.confirm.never.size() == 1u);
  BOOST_TEST(parseConfig("", "agent.yaml").confirm.on);
  struct Bad {
    const char *yaml;
    const char *says;
  };
  const Bad bad[] = {
      {"confirm:\n  mode: maybe\n", "must be one of on, off"}, {"confirm:\n  timeout_ms: 6000\n", "out of range"},
      {"confirm:\n  read_cap: 100000\n", "out of range"},      {"confirm:\n  never: [10.0.0.1/8]\n", "confirm.never"},
      {"confirm:\n  when: always\n", "must be one of"},        {"confirm:\n  probes: 3\n", "unknown key"},
  };
  for (const auto &b : bad)
    BOOST_TEST(refusal(b.yaml).find(b.says) != std::string::npos, b.yaml << " -> " << refusal(b.yaml));
}

BOOST_AUTO_TEST_SUITE_END()
