// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The shape the verifier gave the loaded programs: every hash-map lookup
// inlined. A lookup whose call site sees two maps (the compiler merged two
// branches) is not inlined and goes through the map's ops, an indirect call
// on every packet; nothing else would notice but the benchmark.
#include "common.hpp"
#include "process_util.hpp"

#include <boost/test/unit_test.hpp>

#include <bpf/bpf.h>

#include <vector>

using namespace minewatch::test;

namespace {
std::string xlated(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof info;
  BOOST_REQUIRE(bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0);
  auto dump = runCommand("bpftool prog dump xlated id " + std::to_string(info.id));
  BOOST_REQUIRE_MESSAGE(dump.status == 0, "bpftool prog dump xlated: " + dump.err);
  return dump.out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(program_shape)

namespace {
/// Every per-packet program, loaded: XDP and TC egress by default, TC
/// ingress when asked for (instead of XDP).
std::vector<bpf_program *> packetPrograms(TestRunHarness &xdp, TestRunHarness &tc) {
  return {xdp.sensor().xdpProgram(), xdp.sensor().tcProgram(), tc.sensor().skel()->progs.minewatch_tc_ingress};
}
minewatch::datapath::SensorOptions tcIngress() {
  minewatch::datapath::SensorOptions o;
  o.tc_ingress = true;
  return o;
}
} // namespace

BOOST_AUTO_TEST_CASE(only_the_ingress_program_in_use_is_loaded) {
  TestRunHarness xdp, tc(tcIngress());
  BOOST_TEST(bpf_program__fd(xdp.sensor().xdpProgram()) >= 0);
  BOOST_TEST(bpf_program__fd(xdp.sensor().skel()->progs.minewatch_tc_ingress) < 0);
  BOOST_TEST(bpf_program__fd(tc.sensor().xdpProgram()) < 0);
  BOOST_TEST(bpf_program__fd(tc.sensor().skel()->progs.minewatch_tc_ingress) >= 0);
}

BOOST_AUTO_TEST_CASE(every_flow_lookup_is_inlined) {
  TestRunHarness h, tc(tcIngress());
  for (auto *prog : packetPrograms(h, tc)) {
    auto text = xlated(bpf_program__fd(prog));
    BOOST_TEST(text.find("__htab_map_lookup_elem") != std::string::npos, "no inlined hash lookup at all?");
    BOOST_TEST(text.find("call bpf_map_lookup_elem") == std::string::npos,
               bpf_program__name(prog) << " has a map lookup the verifier could not inline");
  }
}

// The live clock is jiffies, which the verifier turns into one load: the
// helper call it replaced was ~11 ns a packet (bench_datapath).
BOOST_AUTO_TEST_CASE(the_live_clock_is_no_call) {
  TestRunHarness h, tc(tcIngress());
  for (auto *prog : packetPrograms(h, tc)) {
    auto text = xlated(bpf_program__fd(prog));
    BOOST_TEST(text.find("call bpf_jiffies64") == std::string::npos,
               bpf_program__name(prog) << " calls bpf_jiffies64 instead of inlining it");
  }
}

BOOST_AUTO_TEST_SUITE_END()
