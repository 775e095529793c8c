// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The pieces a fleet deployment leans on: config keys for HTTP, shutdown and
// watched files; rule files in a ConfigMap's layout; the metrics format; and
// fleet-patch values the agent reads back.
#include "api/metrics_text.hpp"
#include "config/agent_config.hpp"
#include "fleet/fleet_patch.hpp"
#include "lists/path_watch.hpp"
#include "lists/rule_files.hpp"
#include "lists/watched_files.hpp"

#include <boost/test/unit_test.hpp>

#include <poll.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using minewatch::config::parseConfig;

namespace {
std::string refusal(const std::string &yaml) {
  try {
    parseConfig(yaml, "agent.yaml");
  } catch (const minewatch::config::ConfigError &e) {
    return e.what();
  }
  return "";
}

/// A temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mw-fleet-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const fs::path &rel, const std::string &text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
};

/// Lays `dir` out as the kubelet does a ConfigMap volume, generation `gen`.
void publishConfigMap(const TempDir &dir, int gen, const std::vector<std::pair<std::string, std::string>> &data) {
  auto stamp = "..2026_11_23_00_00_0" + std::to_string(gen);
  for (const auto &[key, value] : data)
    dir.write(fs::path(stamp) / key, value);
  fs::create_directory_symlink(stamp, dir.path / "..data_tmp");
  fs::rename(dir.path / "..data_tmp", dir.path / "..data");
  for (const auto &[key, value] : data)
    if (!fs::is_symlink(dir.path / key))
      fs::create_symlink(fs::path("..data") / key, dir.path / key);
}

bool readableWithin(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}
} // namespace

BOOST_AUTO_TEST_SUITE(fleet_config)

BOOST_AUTO_TEST_CASE(http_shutdown_and_files_are_read) {
  auto c = parseConfig(R"(
http:
  listen: 0.0.0.0:9405
shutdown: keep-attached
actions:
  blocklist_files: [/etc/minewatch/blocklist.d]
  allowlist_files: [/etc/minewatch/allow.txt]
intel:
  feeds: [/etc/minewatch/intel.d]
)",
                       "agent.yaml");
  BOOST_TEST(c.http_listen == "0.0.0.0:9405");
  BOOST_TEST(std::string(toString(c.shutdown)) == "keep-attached");
  BOOST_TEST(c.blocklist_files.at(0) == "/etc/minewatch/blocklist.d");
  BOOST_TEST(c.allowlist_files.at(0) == "/etc/minewatch/allow.txt");
  BOOST_TEST(c.intel_feeds.at(0) == "/etc/minewatch/intel.d");
  BOOST_TEST(std::string(toString(parseConfig("", "x").shutdown)) == "fail-safe");
  BOOST_TEST(parseConfig("", "x").http_listen.empty());
}

BOOST_AUTO_TEST_CASE(bad_fleet_keys_are_refused_with_line_and_key) {
  BOOST_TEST(refusal("shutdown: maybe\n") ==
             "agent.yaml:1: shutdown: 'maybe' must be one of fail-safe, fail-open, keep-attached");
  BOOST_TEST(refusal("http:\n  listen: 9405\n") ==
             "agent.yaml:2: http.listen: '9405' must be HOST:PORT, [IPV6]:PORT or :PORT");
  BOOST_TEST(refusal("http:\n  listen: 0.0.0.0:70000\n") ==
             "agent.yaml:2: http.listen: '0.0.0.0:70000' needs a port 1-65535");
  BOOST_TEST(refusal("http:\n  listen: localhost:9405\n").find("host names are not resolved") != std::string::npos);
  BOOST_TEST(refusal("http:\n  listen: ::1:9405\n").find("needs brackets") != std::string::npos);
  BOOST_TEST(refusal("actions:\n  blocklist_files: [rules.txt]\n") ==
             "agent.yaml:2: actions.blocklist_files: 'rules.txt' must be an absolute path");
}

BOOST_AUTO_TEST_CASE(listen_addresses_split) {
  auto v6 = minewatch::config::parseListen("[::]:9405");
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->host == "::");
  BOOST_TEST(v6->port == 9405);
  auto any = minewatch::config::parseListen(":9100");
  BOOST_REQUIRE(any);
  BOOST_TEST(any->host == "0.0.0.0");
}

BOOST_AUTO_TEST_CASE(rule_lines_skip_bad_ones_and_keep_comments) {
  auto set = minewatch::lists::parseRules("# fleet list\n\n198.51.100.7:3333/tcp  # pool.example\n"
                                          "198.51.100.300/32\n  203.0.113.0/24\r\n",
                                          "rules");
  BOOST_TEST(set.rules.size() == 2u);
  BOOST_TEST(set.rules[0].origin == "rules:3");
  BOOST_TEST(set.rules[0].comment == "pool.example");
  BOOST_TEST(minewatch::rules::toString(set.rules[1].target) == "203.0.113.0/24");
  BOOST_REQUIRE(set.errors.size() == 1u);
  BOOST_TEST(set.errors[0].rfind("rules:4: ", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_configmap_volume_reads_as_its_keys) {
  TempDir dir;
  publishConfigMap(dir, 1, {{"a", "198.51.100.7:3333\n"}, {"b", "203.0.113.0/24\n"}});
  auto set = minewatch::lists::loadRuleFiles({dir.path.string()});
  BOOST_TEST(set.errors.empty());
  BOOST_TEST(set.files == 2u); // ..data and ..2026_* are not read as keys
  BOOST_TEST(set.rules.size() == 2u);
}

// Entries of a list directory that cannot be lists were skipped in silence:
// each is reported by name and why, and the good files still apply.
BOOST_AUTO_TEST_CASE(dangling_links_loops_and_subdirectories_are_reported_not_silent) {
  TempDir dir;
  dir.write("good", "198.51.100.7:3333\n");
  fs::create_symlink("nowhere", dir.path / "dangling");
  fs::create_symlink("loop-b", dir.path / "loop-a");
  fs::create_symlink("loop-a", dir.path / "loop-b");
  fs::create_directory(dir.path / "sub");
  auto set = minewatch::lists::loadRuleFiles({dir.path.string()});
  BOOST_TEST(set.rules.size() == 1u);
  BOOST_TEST(set.unreadable.empty()); // the directory itself is fine
  std::set<std::string> errors(set.errors.begin(), set.errors.end());
  auto at = [&](const char *name) { return (dir.path / name).string() + ": skipped: "; };
  BOOST_TEST(errors.count(at("dangling") + "a dangling link"), set.errors.size());
  BOOST_TEST(errors.count(at("loop-a") + "a link loop"));
  BOOST_TEST(errors.count(at("loop-b") + "a link loop"));
  BOOST_TEST(errors.count(at("sub") + "a directory (lists are not read recursively)"));
  BOOST_TEST(set.errors.size() == 4u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_path_is_an_error_not_an_empty_list) {
  auto set = minewatch::lists::loadRuleFiles({"/nonexistent/minewatch/rules"});
  BOOST_REQUIRE(set.errors.size() == 1u);
  BOOST_TEST(set.errors[0].find("/nonexistent/minewatch/rules: cannot read") == 0u);
}

BOOST_AUTO_TEST_CASE(fingerprint_changes_with_content_and_keys) {
  TempDir dir;
  publishConfigMap(dir, 1, {{"a", "198.51.100.7:3333\n"}});
  auto first = minewatch::lists::fingerprint({dir.path.string()});
  BOOST_TEST(first == minewatch::lists::fingerprint({dir.path.string()}));
  publishConfigMap(dir, 2, {{"a", "198.51.100.8:3333\n"}});
  auto second = minewatch::lists::fingerprint({dir.path.string()});
  BOOST_TEST(second != first);
  dir.write("c", "198.51.100.9/32\n");
  BOOST_TEST(minewatch::lists::fingerprint({dir.path.string()}) != second);
}

BOOST_AUTO_TEST_CASE(watch_sees_the_kubelets_data_swap) {
  TempDir dir;
  publishConfigMap(dir, 1, {{"a", "198.51.100.7:3333\n"}});
  minewatch::lists::PathWatch watch({dir.path.string()});
  BOOST_TEST(watch.watched() == 1u);
  BOOST_TEST(!watch.drain()); // nothing yet
  publishConfigMap(dir, 2, {{"a", "198.51.100.8:3333\n"}});
  BOOST_TEST(readableWithin(watch.fd(), 5000));
  BOOST_TEST(watch.drain());
  BOOST_TEST(!watch.drain());
}

BOOST_AUTO_TEST_CASE(watch_on_a_file_sees_it_replaced_by_rename) {
  TempDir dir;
  dir.write("rules.txt", "198.51.100.7/32\n");
  minewatch::lists::PathWatch watch({(dir.path / "rules.txt").string()});
  dir.write("rules.txt.new", "198.51.100.8/32\n");
  watch.drain();
  fs::rename(dir.path / "rules.txt.new", dir.path / "rules.txt");
  BOOST_TEST(readableWithin(watch.fd(), 5000));
}

BOOST_AUTO_TEST_CASE(metrics_text_is_the_exposition_format) {
  minewatch::api::MetricsText m;
  m.family("minewatch_x_total", "counter", "Things, with a back\\slash\nand a newline");
  m.sample("minewatch_x_total", 3, {{"reason", "say \"hi\"\n"}});
  m.family("minewatch_t_seconds", "histogram", "Times");
  std::array<double, 2> bounds{0.01, 0.1};
  std::array<std::uint64_t, 3> counts{2, 1, 4};
  m.histogram("minewatch_t_seconds", bounds, counts, 1.5);
  BOOST_TEST(m.text() == "# HELP minewatch_x_total Things, with a back\\\\slash\\nand a newline\n"
                         "# TYPE minewatch_x_total counter\n"
                         "minewatch_x_total{reason=\"say \\\"hi\\\"\\n\"} 3\n"
                         "# HELP minewatch_t_seconds Times\n"
                         "# TYPE minewatch_t_seconds histogram\n"
                         "minewatch_t_seconds_bucket{le=\"0.01\"} 2\n"
                         "minewatch_t_seconds_bucket{le=\"0.1\"} 3\n"
                         "minewatch_t_seconds_bucket{le=\"+Inf\"} 7\n"
                         "minewatch_t_seconds_sum 1.5\n"
                         "minewatch_t_seconds_count 7\n");
}

BOOST_AUTO_TEST_CASE(fleet_patch_values_read_back_as_the_same_rule) {
  for (std::string rule : {"198.51.100.7:3333/tcp", "[2001:db8::7]:443/udp", "203.0.113.0/24"}) {
    auto patch = minewatch::fleet::fleetPatch(rule, "mining 0.99 on node-a: it's \"XMRig\"\nlogin", {});
    auto key = patch["key"].get<std::string>();
    BOOST_TEST(key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
               std::string::npos);
    auto value = patch["patch"]["data"][key].get<std::string>();
    auto set = minewatch::lists::parseRules(value, key);
    BOOST_REQUIRE(set.rules.size() == 1u);
    BOOST_TEST(set.errors.empty());
    BOOST_TEST(minewatch::rules::toString(set.rules[0].target) == rule);
  }
  auto patch = minewatch::fleet::fleetPatch("198.51.100.7:3333/tcp", "it's", {"mw", "fleet"});
  BOOST_TEST(patch["command"].get<std::string>() ==
             "kubectl -n 'mw' patch configmap 'fleet' --type merge -p "
             "'{\"data\":{\"198.51.100.7_3333_tcp\":\"198.51.100.7:3333/tcp  # it'\\''s\"}}'");
}

BOOST_AUTO_TEST_SUITE_END()
