// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Rules across restarts and mishaps, with the real Agent over the real maps
// (loaded, not attached): a second Agent over the same maps is a restart
// that found its pins. File rules are reconciled with the files at start,
// the operator's allows and the blocks' story come back from the saved
// book, a lost list source keeps its rules, a full map refuses and the agent
// goes on. Needs root (loads BPF).
#define BOOST_TEST_MODULE minewatch_agent_rules
#include <boost/test/unit_test.hpp>

#include "api/queries.hpp"
#include "app/agent.hpp"
#include "datapath/blocklist.hpp"
#include "datapath/libbpf_log.hpp"
#include "test_run_harness.hpp"

#include <bpf/bpf.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace minewatch;
using namespace minewatch::test;
namespace fs = std::filesystem;

namespace {
constexpr std::uint64_t kT0 = 1000'000'000'000ull;

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("minewatch-agent-rules-" + std::to_string(::getpid()));
  Scratch() {
    fs::remove_all(dir);
    fs::create_directories(dir / "lists");
  }
  ~Scratch() { fs::remove_all(dir); }
  void write(const std::string &name, const std::string &text) const {
    std::ofstream(dir / "lists" / name, std::ios::trunc) << text;
  }
  [[nodiscard]] std::string lists() const { return (dir / "lists").string(); }
  [[nodiscard]] std::string book() const { return (dir / "state" / "rules.json").string(); }
};

std::uint32_t blockMapId(datapath::SensorObject &sensor) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  BOOST_REQUIRE(bpf_obj_get_info_by_fd(bpf_map__fd(sensor.skel()->maps.minewatch_block_endpoint), &info, &len) == 0);
  return info.id;
}

/// One agent run over `harness`'s maps; `previous_map` is what MapPinning
/// reports for pins it found (0: none).
struct Run {
  actions::EventLog events{"/dev/null"};
  std::unique_ptr<app::Agent> agent;
  Run(TestRunHarness &harness, const config::AgentConfig &config, const std::string &book, std::uint32_t previous_map) {
    datapath::DatapathInfo info{.interface = "test", .xdp_mode = datapath::XdpAttach::None};
    info.rules_file = book;
    info.previous_block_map_id = previous_map;
    agent = std::make_unique<app::Agent>(config, harness.sensor(), info, util::TimeBase::identity(), events);
    agent->start(kT0);
  }
  std::map<std::string, nlohmann::json> blocks() const {
    std::map<std::string, nlohmann::json> out;
    for (const auto &rule : api::blockList(agent->view(), kT0))
      out[rule["target"].get<std::string>()] = rule;
    return out;
  }
};

bool inCidrMap(TestRunHarness &h, const char *cidr) {
  return h.sensor().cidrRules().lookup(datapath::Blocklist::cidrKey(net::Cidr::parse(cidr).value())).has_value();
}
} // namespace

BOOST_AUTO_TEST_CASE(a_restart_reconciles_file_rules_and_keeps_the_rule_book) {
  datapath::installLibbpfLogger(false);
  Scratch scratch;
  TestRunHarness harness;
  config::AgentConfig config;
  config.blocklist_files = {scratch.lists()};
  scratch.write("pools", "192.0.2.1  # first\n192.0.2.2  # second\n");
  {
    Run first(harness, config, scratch.book(), 0);
    first.agent->enforcer().allowAdd("198.18.0.0/15", false);
    first.agent->enforcer().blockAdd("203.0.113.9:4444", 0, kT0);
    BOOST_TEST(first.blocks().size() == 3u);
    first.agent->shutdown(); // fail-safe: the rules stay in the maps
  }
  BOOST_REQUIRE(fs::exists(scratch.book()));
  scratch.write("pools", "192.0.2.1  # first\n"); // edited while no agent ran

  Run second(harness, config, scratch.book(), blockMapId(harness.sensor()));
  auto blocks = second.blocks();
  BOOST_TEST(blocks.count("192.0.2.1/32") == 1u);
  BOOST_TEST(blocks.count("192.0.2.2/32") == 0u);  // gone from the file: gone
  BOOST_TEST(!inCidrMap(harness, "192.0.2.2/32")); // ... from BPF too
  BOOST_TEST(inCidrMap(harness, "192.0.2.1/32"));
  BOOST_TEST(blocks["192.0.2.1/32"]["source"] == "file");
  BOOST_REQUIRE(blocks.count("203.0.113.9:4444/tcp") == 1u);
  BOOST_TEST(blocks["203.0.113.9:4444/tcp"]["source"] == "manual");
  BOOST_TEST(blocks["203.0.113.9:4444/tcp"]["reason"] == "added by an operator");
  auto allows = api::allowList(second.agent->view());
  BOOST_REQUIRE(allows.size() == 1u);
  BOOST_TEST(allows[0]["target"] == "198.18.0.0/15");
  BOOST_TEST(allows[0]["source"] == "manual");
}

BOOST_AUTO_TEST_CASE(a_book_beside_other_maps_or_corrupt_is_not_restored) {
  Scratch scratch;
  TestRunHarness harness;
  config::AgentConfig config;
  {
    Run first(harness, config, scratch.book(), 0);
    first.agent->enforcer().allowAdd("198.18.0.0/15", false);
  }
  // Fresh maps (a reboot, pins removed while down): the book is about rules
  // that are gone, so not even its allows come back.
  Run fresh(harness, config, scratch.book(), 0);
  BOOST_TEST(api::allowList(fresh.agent->view()).empty());
  BOOST_TEST(api::status(fresh.agent->view(), kT0)["rule_book"]["saves"].get<int>() >= 1);

  std::ofstream(scratch.book(), std::ios::trunc) << "{ not json";
  Run corrupt(harness, config, scratch.book(), blockMapId(harness.sensor())); // warns, starts
  BOOST_TEST(api::allowList(corrupt.agent->view()).empty());
}

BOOST_AUTO_TEST_CASE(a_lost_list_source_keeps_its_rules_until_it_is_back) {
  Scratch scratch;
  TestRunHarness harness;
  config::AgentConfig config;
  config.blocklist_files = {scratch.lists()};
  scratch.write("a", "192.0.2.1\n");
  scratch.write("b", "192.0.2.2\n");
  Run run(harness, config, "", 0);
  BOOST_TEST(run.blocks().size() == 2u);

  fs::rename(scratch.lists(), scratch.dir / "away");
  auto reload = run.agent->reloadLists(kT0);
  BOOST_TEST(reload.changed);
  BOOST_TEST(reload.blocks_removed == 0u);
  BOOST_TEST(run.blocks().size() == 2u); // fail-safe: nothing lifted
  BOOST_TEST(inCidrMap(harness, "192.0.2.2/32"));
  auto stale = api::status(run.agent->view(), kT0)["lists"]["stale"];
  BOOST_REQUIRE(stale.size() == 1u);
  BOOST_TEST(stale[0]["path"] == scratch.lists());
  BOOST_TEST(stale[0]["rules_kept"] == 2);
  auto metrics = api::metricsText(run.agent->view(), kT0);
  BOOST_TEST(metrics.find("minewatch_list_source_stale{path=\"" + scratch.lists() + "\"} 1") != std::string::npos,
             metrics);

  fs::rename(scratch.dir / "away", scratch.lists());
  scratch.write("b", "192.0.2.3\n"); // changed while it was away
  run.agent->reloadLists(kT0);
  auto blocks = run.blocks();
  BOOST_TEST(blocks.count("192.0.2.1/32") == 1u);
  BOOST_TEST(blocks.count("192.0.2.2/32") == 0u);
  BOOST_TEST(blocks.count("192.0.2.3/32") == 1u);
  BOOST_TEST(api::status(run.agent->view(), kT0)["lists"]["stale"].empty());
}

BOOST_AUTO_TEST_CASE(a_full_block_map_refuses_and_the_agent_goes_on) {
  Scratch scratch;
  datapath::SensorOptions options;
  options.max_block_rules = 2;
  TestRunHarness harness(options);
  config::AgentConfig config;
  config.sensor = options;
  config.blocklist_files = {scratch.lists()};
  scratch.write("many", "192.0.2.1\n192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.5\n");
  Run run(harness, config, "", 0); // threw "No space left on device" before
  BOOST_TEST(run.blocks().size() == 2u);
  BOOST_CHECK_EXCEPTION(run.agent->enforcer().blockAdd("203.0.113.0/24", 0, kT0), std::invalid_argument,
                        [](const std::invalid_argument &e) {
                          return std::string(e.what()).find("block map is full") != std::string::npos;
                        });
  // The endpoint map (a hash: E2BIG where the trie says ENOSPC) the same way.
  run.agent->enforcer().blockAdd("203.0.113.9:1", 0, kT0);
  run.agent->enforcer().blockAdd("203.0.113.9:2", 0, kT0);
  BOOST_CHECK_THROW(run.agent->enforcer().blockAdd("203.0.113.9:3", 0, kT0), std::invalid_argument);
  auto status = api::status(run.agent->view(), kT0);
  BOOST_TEST(status["maps"]["block_rules"]["refused"] == 5);
  BOOST_TEST(status["maps"]["block_rules"]["refused_by_source"]["file"] == 3);
  BOOST_TEST(status["notes"].dump().find("block map is full") != std::string::npos, status["notes"].dump());
  auto metrics = api::metricsText(run.agent->view(), kT0);
  BOOST_TEST(metrics.find("minewatch_block_rules_refused_total{source=\"file\"} 3") != std::string::npos);
  BOOST_TEST(metrics.find("minewatch_block_rules_refused_total{source=\"manual\"} 2") != std::string::npos);
  run.agent->tick(kT0 + 1); // and it goes on
}
