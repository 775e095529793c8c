// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The drain between sweeps: a tick reads only the flows the data path
// reported (plus the ones it must look at again), keeps the traffic totals
// exact while doing so, ends closed flows on time, and falls back to a
// sweep when a report was lost. Real programs, packets through
// bpf_prog_test_run_opts, the real Agent. Needs root (loads BPF).
#define BOOST_TEST_MODULE minewatch_agent_drain
#include <boost/test/unit_test.hpp>

#include "api/queries.hpp"
#include "app/agent.hpp"
#include "datapath/libbpf_log.hpp"
#include "test_run_harness.hpp"

#include <netinet/in.h>
#include <unistd.h>

using namespace minewatch;
using namespace minewatch::test;

namespace {
constexpr std::uint64_t kSec = 1'000'000'000ull;
constexpr std::uint64_t kT0 = 1000 * kSec;
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08, kFin = 0x01;

Bytes toServer(std::uint16_t sport, std::uint8_t flags, std::size_t payload = 0) {
  return PacketBuilder().ipv4("192.0.2.10", "198.51.100.7").tcp(sport, 443, flags).payload(payload).build();
}
Bytes fromServer(std::uint16_t dport, std::uint8_t flags, std::size_t payload = 0) {
  return PacketBuilder().ipv4("198.51.100.7", "192.0.2.10").tcp(443, dport, flags).payload(payload).build();
}

/// A loaded sensor, the agent over it, and the sum of what was sent.
struct Rig {
  TestRunHarness harness;
  actions::EventLog events{"/dev/null"};
  std::unique_ptr<app::Agent> agent;
  std::uint64_t sent_packets = 0, sent_bytes = 0;

  /// quiet_every_s 0: every flow with news is read at each tick, the rule
  /// the exact-totals cases below hold the drain to; the held-back busy
  /// flows of the default have their own cases at the end.
  explicit Rig(datapath::SensorOptions options = {}, std::uint32_t sweep_every_s = 3600, bool sweep_in_kernel = true,
               std::uint32_t quiet_every_s = 0)
      : harness(options) {
    config::AgentConfig config;
    config.sweep_every_s = sweep_every_s;
    config.sweep_in_kernel = sweep_in_kernel;
    config.closed_timeout_s = 10;
    config.judge_quiet_every_s = quiet_every_s;
    agent = std::make_unique<app::Agent>(
        config, harness.sensor(), datapath::DatapathInfo{.interface = "test", .xdp_mode = datapath::XdpAttach::None},
        util::TimeBase::identity(), events);
    agent->start(kT0);
  }

  void send(const Bytes &frame, std::uint64_t now) {
    BOOST_REQUIRE(harness.runXdp(frame, now) == XDP_PASS);
    ++sent_packets;
    sent_bytes += frame.size();
  }

  nlohmann::json status(std::uint64_t now) { return api::status(agent->view(), now); }
  std::uint64_t lastRead(std::uint64_t now) { return status(now)["agent"]["last_drain_flows"].get<std::uint64_t>(); }
  std::uint64_t sweeps(std::uint64_t now) { return status(now)["agent"]["sweeps"].get<std::uint64_t>(); }
  std::uint64_t agentCounter(const char *name) { return status(kT0)["agent"][name].get<std::uint64_t>(); }
  void checkTotals(std::uint64_t now) {
    auto traffic = status(now)["traffic"];
    BOOST_TEST(traffic["packets"].get<std::uint64_t>() == sent_packets);
    BOOST_TEST(traffic["bytes"].get<std::uint64_t>() == sent_bytes);
  }
};
} // namespace

BOOST_AUTO_TEST_CASE(between_sweeps_a_tick_reads_only_flows_with_news) {
  datapath::installLibbpfLogger(false);
  Rig rig;
  for (std::uint16_t port = 40000; port < 40010; ++port)
    rig.send(toServer(port, kSyn), kT0);
  rig.agent->tick(kT0 + kSec); // the first drain sweeps
  BOOST_TEST(rig.sweeps(kT0) == 1u);
  BOOST_TEST(rig.lastRead(kT0) == 10u);
  rig.checkTotals(kT0);

  rig.send(fromServer(40003, kSyn | kAck), kT0 + 2 * kSec);
  rig.send(toServer(40003, kAck | kPsh, 100), kT0 + 2 * kSec);
  rig.agent->tick(kT0 + 3 * kSec);
  BOOST_TEST(rig.sweeps(kT0) == 1u);
  BOOST_TEST(rig.lastRead(kT0) == 1u); // one flow had news
  rig.checkTotals(kT0);

  rig.agent->tick(kT0 + 4 * kSec);
  BOOST_TEST(rig.lastRead(kT0) == 0u); // quiet: nothing read at all
  rig.checkTotals(kT0);
}

BOOST_AUTO_TEST_CASE(totals_stay_exact_tick_after_tick_between_sweeps) {
  // Several packets per tick, both directions, a flow quiet for a while and
  // back: whatever a tick reads, the totals equal what was sent. (A packet
  // that lands between a tick's generation bump and its read is caught by
  // the recheck list; a single thread cannot interleave that, the lab can.)
  Rig rig;
  rig.agent->tick(kT0);
  std::uint64_t t = kT0;
  for (int round = 0; round < 6; ++round) {
    t += kSec;
    for (int i = 0; i <= round % 3; ++i) {
      rig.send(toServer(41000, kAck | kPsh, 10 + static_cast<std::size_t>(i)), t);
      rig.send(fromServer(41000, kAck, 5), t);
    }
    if (round % 2 == 0)
      rig.send(toServer(41001, kAck, 1), t);
    rig.agent->tick(t);
    rig.checkTotals(t);
  }
  BOOST_TEST(rig.sweeps(t) == 1u);
}

BOOST_AUTO_TEST_CASE(closed_flows_end_after_the_timeout_without_a_sweep) {
  Rig rig;
  rig.send(toServer(42000, kSyn), kT0);
  rig.agent->tick(kT0); // sweep
  rig.send(toServer(42000, kFin | kAck), kT0 + kSec);
  rig.send(fromServer(42000, kFin | kAck), kT0 + kSec);
  rig.agent->tick(kT0 + 2 * kSec);
  BOOST_TEST(rig.harness.flowCount() == 1u); // closed, not yet quiet for 10 s
  for (std::uint64_t s = 3; s <= 10; ++s)
    rig.agent->tick(kT0 + s * kSec);
  BOOST_TEST(rig.harness.flowCount() == 1u);
  rig.agent->tick(kT0 + 12 * kSec); // quiet 11 s
  BOOST_TEST(rig.harness.flowCount() == 0u);
  BOOST_TEST(rig.sweeps(kT0) == 1u);
  auto status = rig.status(kT0 + 12 * kSec);
  BOOST_TEST(status["agent"]["flows_deleted_closed"].get<std::uint64_t>() == 1u);
  BOOST_TEST(status["traffic"]["bytes_of_ended_flows"].get<std::uint64_t>() == rig.sent_bytes);
  rig.checkTotals(kT0);
}

BOOST_AUTO_TEST_CASE(a_lost_report_makes_the_next_tick_sweep) {
  datapath::SensorOptions small;
  small.dirty_ring_bytes = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)); // room for ~85 reports
  Rig rig(small);
  rig.agent->tick(kT0);
  for (std::uint16_t i = 0; i < 300; ++i)
    rig.send(toServer(static_cast<std::uint16_t>(43000 + i), kSyn), kT0 + kSec);
  BOOST_TEST(rig.harness.stat(MINEWATCH_STAT_DIRTY_DROPS) > 0u);
  rig.agent->tick(kT0 + 2 * kSec);
  BOOST_TEST(rig.sweeps(kT0) == 2u);
  BOOST_TEST(rig.lastRead(kT0) == 300u);
  rig.checkTotals(kT0);
  rig.agent->tick(kT0 + 3 * kSec); // no new drops: back to news only
  BOOST_TEST(rig.sweeps(kT0) == 2u);
}

BOOST_AUTO_TEST_CASE(a_flow_the_kernel_dropped_between_sweeps_ends_with_what_was_read) {
  Rig rig;
  rig.send(toServer(44000, kSyn), kT0);
  rig.agent->tick(kT0);
  rig.send(toServer(44000, kAck, 10), kT0 + kSec); // reported
  auto key = datapath::canonicalFlowKey({*net::Address::parse("192.0.2.10"), 44000},
                                        {*net::Address::parse("198.51.100.7"), 443}, IPPROTO_TCP)
                 .key;
  BOOST_REQUIRE(rig.harness.sensor().flows().erase(key)); // as the LRU would
  rig.agent->tick(kT0 + 2 * kSec);
  auto traffic = rig.status(kT0)["traffic"];
  BOOST_TEST(traffic["packets"].get<std::uint64_t>() == 1u); // the first packet, as read; the second was never seen
  BOOST_TEST(traffic["bytes_of_ended_flows"].get<std::uint64_t>() == traffic["bytes"].get<std::uint64_t>());
}

// The same traffic, swept in the kernel and swept by copying the table out:
// the same flows end, the same totals, the same table left behind.
BOOST_AUTO_TEST_CASE(in_kernel_and_batched_sweeps_agree) {
  Rig in_kernel({}, 5, true), batched({}, 5, false);
  auto both = [&](auto &&step) {
    step(in_kernel);
    step(batched);
  };
  both([](Rig &r) {
    for (std::uint16_t port = 45000; port < 45040; ++port)
      r.send(toServer(port, kSyn), kT0);
    r.agent->tick(kT0); // first sweep: always batched
  });
  std::uint64_t t = kT0;
  for (int round = 1; round <= 80; ++round) {
    t += 5 * kSec; // every tick a sweep
    both([&](Rig &r) {
      // a few flows talk now and then; one closes; the rest go idle (300 s)
      r.send(toServer(static_cast<std::uint16_t>(45000 + round % 7), kAck | kPsh, 20), t);
      if (round == 3) {
        r.send(toServer(45039, kFin | kAck), t);
        r.send(fromServer(45039, kFin | kAck), t);
      }
      if (round % 10 == 0)
        r.send(toServer(static_cast<std::uint16_t>(46000 + round), kSyn), t);
      r.agent->tick(t);
      r.checkTotals(t);
    });
    auto a = in_kernel.status(t), b = batched.status(t);
    BOOST_TEST(a["traffic"] == b["traffic"]);
    BOOST_TEST(a["maps"]["flows"]["entries"] == b["maps"]["flows"]["entries"]);
    BOOST_TEST(a["agent"]["flows_deleted_idle"] == b["agent"]["flows_deleted_idle"]);
    BOOST_TEST(a["agent"]["flows_deleted_closed"] == b["agent"]["flows_deleted_closed"]);
    BOOST_TEST(a["agent"]["flows_tracked"] == b["agent"]["flows_tracked"]);
  }
  BOOST_TEST(in_kernel.harness.flowCount() == batched.harness.flowCount());
  BOOST_TEST(in_kernel.agentCounter("flows_deleted_idle") > 30u); // the idle ones did end
  BOOST_TEST(in_kernel.agentCounter("flows_deleted_closed") == 1u);
  BOOST_TEST(in_kernel.agentCounter("kernel_sweeps") == 80u);
  BOOST_TEST(in_kernel.agentCounter("kernel_sweep_overflows") == 0u);
  BOOST_TEST(batched.agentCounter("kernel_sweeps") == 0u);
}

namespace {
/// Flow i of many: distinct source ports (and servers' ports past 60000).
Bytes manyFlowsSyn(std::uint32_t i) {
  return PacketBuilder()
      .ipv4("192.0.2.10", "198.51.100.7")
      .tcp(static_cast<std::uint16_t>(1024 + i % 60000), static_cast<std::uint16_t>(443 + i / 60000), kSyn)
      .build();
}
} // namespace

BOOST_AUTO_TEST_CASE(a_sweep_with_more_news_than_fits_reads_the_table_whole) {
  Rig rig({}, 1);
  rig.agent->tick(kT0);
  auto fits = rig.harness.sensor().sweepCapacity();
  for (std::uint32_t i = 0; i <= fits; ++i) // one more than fits, all news
    rig.send(manyFlowsSyn(i), kT0 + kSec);
  rig.agent->tick(kT0 + 2 * kSec);
  BOOST_TEST(rig.agentCounter("kernel_sweeps") == 0u); // not even tried
  BOOST_TEST(rig.lastRead(kT0) == fits + 1);
  rig.checkTotals(kT0);
  rig.agent->tick(kT0 + 3 * kSec); // nothing new: the kernel's walk suffices
  BOOST_TEST(rig.agentCounter("kernel_sweeps") == 1u);
  BOOST_TEST(rig.agentCounter("kernel_sweep_overflows") == 0u);
  BOOST_TEST(rig.lastRead(kT0) == fits + 1);
  rig.checkTotals(kT0);
}

BOOST_AUTO_TEST_CASE(a_kernel_sweep_that_overflows_is_redone_whole) {
  Rig rig({}, 1);
  auto fits = rig.harness.sensor().sweepCapacity();
  for (std::uint32_t i = 0; i <= fits; ++i)
    rig.send(manyFlowsSyn(i), kT0);
  rig.agent->tick(kT0 + kSec); // the first sweep, batched
  // Five minutes on, every flow is idle at once: more to hand out than fits.
  rig.agent->tick(kT0 + 302 * kSec);
  BOOST_TEST(rig.agentCounter("kernel_sweeps") == 1u);
  BOOST_TEST(rig.agentCounter("kernel_sweep_overflows") == 1u);
  BOOST_TEST(rig.agentCounter("flows_deleted_idle") == fits + 1);
  BOOST_TEST(rig.harness.flowCount() == 0u);
  auto traffic = rig.status(kT0)["traffic"];
  BOOST_TEST(traffic["bytes_of_ended_flows"].get<std::uint64_t>() == rig.sent_bytes);
  rig.checkTotals(kT0);
}

// The default judge_quiet_every_s (10 s): a busy flow with nothing to judge
// is read once in each of its windows, not at every tick it has news; a
// flow that may be over, or that facts arrived for, is read at once.
namespace {
constexpr std::uint16_t kBusyFirst = 47000, kBusyFlows = 20;

/// kBusyFlows flows opened at kT0 and read by the first (sweeping) tick.
void openBusyFlows(Rig &rig) {
  for (std::uint16_t i = 0; i < kBusyFlows; ++i)
    rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kSyn), kT0);
  rig.agent->tick(kT0);
}
} // namespace

BOOST_AUTO_TEST_CASE(busy_flows_with_nothing_to_judge_are_read_once_a_window) {
  Rig rig({}, 30, true, 10);
  openBusyFlows(rig);
  std::uint64_t reads_in_first_window = 0, most_held = 0;
  for (std::uint64_t s = 1; s <= 30; ++s) { // a packet on every flow every second
    for (std::uint16_t i = 0; i < kBusyFlows; ++i)
      rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kAck), kT0 + s * kSec);
    rig.agent->tick(kT0 + s * kSec);
    if (s <= 10)
      reads_in_first_window += rig.lastRead(kT0);
    most_held = std::max(most_held, rig.agentCounter("flows_held"));
  }
  // each flow's window begins once in any ten seconds: read once in them
  BOOST_TEST(reads_in_first_window == kBusyFlows);
  BOOST_TEST(most_held >= kBusyFlows / 2u);
  BOOST_TEST(rig.sweeps(kT0) == 2u); // the first, and the one at 30 s
  BOOST_TEST(rig.agentCounter("flows_held") == 0u);
  rig.checkTotals(kT0); // a sweep reads what was held: exact again
}

BOOST_AUTO_TEST_CASE(a_held_flow_that_closes_is_read_at_once_and_ends_on_time) {
  Rig rig({}, 3600, true, 10);
  openBusyFlows(rig);
  for (std::uint16_t i = 0; i < kBusyFlows; ++i)
    rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kAck, 5), kT0 + kSec);
  rig.agent->tick(kT0 + kSec);
  BOOST_TEST(rig.agentCounter("flows_held") > 0u);
  for (std::uint16_t i = 0; i < kBusyFlows; ++i) {
    rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kFin | kAck), kT0 + 2 * kSec);
    rig.send(fromServer(static_cast<std::uint16_t>(kBusyFirst + i), kFin | kAck), kT0 + 2 * kSec);
  }
  rig.agent->tick(kT0 + 2 * kSec);
  BOOST_TEST(rig.lastRead(kT0) == kBusyFlows); // every one, held or not
  BOOST_TEST(rig.agentCounter("flows_held") == 0u);
  for (std::uint64_t s = 3; s <= 11; ++s)
    rig.agent->tick(kT0 + s * kSec);
  BOOST_TEST(rig.harness.flowCount() == kBusyFlows); // closed, not yet quiet for 10 s
  rig.agent->tick(kT0 + 13 * kSec);
  BOOST_TEST(rig.harness.flowCount() == 0u);
  BOOST_TEST(rig.agentCounter("flows_deleted_closed") == kBusyFlows);
  BOOST_TEST(rig.sweeps(kT0) == 1u);
  rig.checkTotals(kT0);
}

BOOST_AUTO_TEST_CASE(a_held_flow_is_read_at_once_when_facts_arrive) {
  Rig rig({}, 3600, true, 10);
  openBusyFlows(rig);
  for (std::uint16_t i = 0; i < kBusyFlows; ++i)
    rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kAck), kT0 + kSec);
  rig.agent->tick(kT0 + kSec);
  auto held = rig.agentCounter("flows_held");
  BOOST_TEST(held > 0u);
  // The client's message ends when the server answers: a message each.
  for (std::uint16_t i = 0; i < kBusyFlows; ++i) {
    rig.send(toServer(static_cast<std::uint16_t>(kBusyFirst + i), kAck | kPsh, 100), kT0 + 2 * kSec);
    rig.send(fromServer(static_cast<std::uint16_t>(kBusyFirst + i), kAck | kPsh, 50), kT0 + 2 * kSec);
  }
  rig.agent->tick(kT0 + 2 * kSec);
  BOOST_TEST(rig.lastRead(kT0) == kBusyFlows);
  BOOST_TEST(rig.agentCounter("flows_held") == 0u);
}
