// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Per-packet cost of the data path, as ratios to an empty XDP program
// measured in the same run.
//
// Method: bpf_prog_test_run_opts(repeat = N) runs one program N times on the
// same packet inside the kernel and reports the mean ns per run. Each round
// runs every case once, interleaved, so noise from a shared machine hits all
// cases alike; the table shows the median (and min/max) over the rounds.
// Nothing here is asserted: it is a record, to be rerun, not a test.
#include "datapath/blocklist.hpp"
#include "datapath/libbpf_log.hpp"
#include "datapath/sensor_object.hpp"
#include "packet_builder.hpp"

// clang-format off
#include "xdp_pass.skel.h"
// clang-format on

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

using namespace minewatch;
using test::PacketBuilder;

namespace {

struct Case {
  std::string name;
  int prog_fd;
  test::Bytes packet;
  std::uint32_t expect; // retval every run must return
  std::vector<double> ns;
};

double runOnce(Case &c, std::uint32_t repeat) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = c.packet.data(),
              .data_size_in = static_cast<__u32>(c.packet.size()), .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(c.prog_fd, &opts) != 0)
    throw std::system_error(errno, std::generic_category(), "bpf_prog_test_run_opts " + c.name);
  if (opts.retval != c.expect)
    throw std::runtime_error(fmt::format("{}: returned {}, expected {}", c.name, opts.retval, c.expect));
  return static_cast<double>(opts.duration);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Args {
  std::uint32_t repeat = 200000;
  unsigned rounds = 7;
  bool json = false;
};

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> unsigned long {
      if (i + 1 >= argc)
        throw std::invalid_argument(arg + " needs a value");
      return std::stoul(argv[++i]);
    };
    if (arg == "--repeat")
      a.repeat = static_cast<std::uint32_t>(std::max(1ul, value()));
    else if (arg == "--runs")
      a.rounds = static_cast<unsigned>(std::max(1ul, value()));
    else if (arg == "--json")
      a.json = true;
    else
      throw std::invalid_argument("unknown argument " + arg + " (use --repeat N, --runs N, --json)");
  }
  return a;
}

struct XdpPass {
  bpf::Skeleton<xdp_pass> skel{"xdp_pass"};
  XdpPass() { skel.load("xdp_pass"); }
};

} // namespace

int main(int argc, char **argv) {
  try {
    auto args = parse(argc, argv);
    datapath::installLibbpfLogger(false);

    XdpPass empty;
    datapath::SensorObject sensor{datapath::SensorOptions{}};
    sensor.load();
    datapath::SensorOptions fresh_options;
    fresh_options.max_flows = 1u << 20;
    fresh_options.bench_new_flow_per_packet = true;
    datapath::SensorObject fresh{fresh_options};
    fresh.load();
    datapath::SensorObject blocking{datapath::SensorOptions{}};
    blocking.load();
    datapath::Blocklist(blocking).addEndpoint(*net::Address::parse("198.51.100.7"), 3333, IPPROTO_TCP, {1, 0});

    // A Stratum-sized segment from the pool: the packet every case sees.
    auto packet = PacketBuilder().ipv4("198.51.100.7", "192.0.2.10").tcp(3333, 40000, 0x18).payload(180).build();
    auto malformed = packet;
    malformed[14] = 0x44; // IHL 4: parsed, refused, counted

    std::vector<Case> cases = {
        {"empty XDP program (baseline)", bpf_program__fd(empty.skel->progs.xdp_pass), packet, XDP_PASS, {}},
        {"sensor XDP, existing flow", bpf_program__fd(sensor.xdpProgram()), packet, XDP_PASS, {}},
        {"sensor XDP, new flow each packet", bpf_program__fd(fresh.xdpProgram()), packet, XDP_PASS, {}},
        {"sensor XDP, blocked endpoint", bpf_program__fd(blocking.xdpProgram()), packet, XDP_DROP, {}},
        {"sensor TC egress, existing flow", bpf_program__fd(sensor.tcProgram()), packet, 0 /* TC_ACT_OK */, {}},
        {"sensor XDP, malformed packet", bpf_program__fd(sensor.xdpProgram()), malformed, XDP_PASS, {}},
    };
    for (auto &c : cases)
      runOnce(c, 1); // creates the flows the "existing" cases hit
    for (unsigned r = 0; r < args.rounds; ++r)
      for (auto &c : cases)
        c.ns.push_back(runOnce(c, args.repeat));

    double base = median(cases[0].ns);
    double existing = median(cases[1].ns) / base;
    if (args.json) {
      fmt::print("{{\"repeat\":{},\"rounds\":{},\"cases\":[", args.repeat, args.rounds);
      for (std::size_t i = 0; i < cases.size(); ++i) {
        auto &c = cases[i];
        fmt::print("{}{{\"name\":\"{}\",\"median_ns\":{:.2f},\"min_ns\":{:.2f},\"max_ns\":{:.2f},\"ratio\":{:.3f}}}",
                   i ? "," : "", c.name, median(c.ns), *std::min_element(c.ns.begin(), c.ns.end()),
                   *std::max_element(c.ns.begin(), c.ns.end()), median(c.ns) / base);
      }
      fmt::print("],\"existing_flow_ratio\":{:.3f},\"goal\":3.0}}\n", existing);
      return 0;
    }
    fmt::print("bpf_prog_test_run_opts, {} repeats x {} interleaved rounds, {}-byte packet\n\n", args.repeat,
               args.rounds, packet.size());
    fmt::print("{:<36} {:>10} {:>10} {:>10} {:>8}\n", "case", "median ns", "min ns", "max ns", "x empty");
    for (auto &c : cases)
      fmt::print("{:<36} {:>10.1f} {:>10.1f} {:>10.1f} {:>8.2f}\n", c.name, median(c.ns),
                 *std::min_element(c.ns.begin(), c.ns.end()), *std::max_element(c.ns.begin(), c.ns.end()),
                 median(c.ns) / base);
    fmt::print("\nexisting flow / empty = {:.2f} (goal <= 3.00)\n", existing);
    return 0;
  } catch (const std::exception &e) {
    fmt::print(stderr, "bench_datapath: {}\n", e.what());
    return 1;
  }
}
