// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's side of the cost: draining a full flow map and the memory it
// keeps per flow. The map is filled from user space (batched updates) with
// distinct, live flows, then the real Agent::tick drains it: the first tick
// builds the agent's records, the next ones are the steady state. Wall time
// and CPU time come from the process itself (getrusage); memory from the
// resident set before and after the records exist. A record, not a test.
//   bench_agent [--flows N] [--ticks N] [--active PERCENT] [--batched-sweep] [--json]
// --batched-sweep: sweep by copying the table out (agent.sweep_in_kernel:
// false), the way before the in-kernel sweep.
#include "app/agent.hpp"
#include "datapath/libbpf_log.hpp"
#include "datapath/monotonic_clock.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <unistd.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

using namespace minewatch;

namespace {

struct Args {
  std::uint32_t flows = 1'000'000;
  unsigned ticks = 60;
  unsigned active = 100; // percent of flows with a packet between ticks
  bool json = false;
  bool batched_sweep = false;
};

Args parse(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto number = [&](unsigned long max, unsigned long min = 1) {
      if (i + 1 >= argc)
        throw std::invalid_argument(arg + " needs a value");
      std::string text = argv[++i];
      std::size_t used = 0;
      unsigned long v = 0;
      try {
        v = std::stoul(text, &used);
      } catch (const std::exception &) {
        used = 0;
      }
      if (used != text.size() || text.empty() || text[0] == '-' || v < min || v > max)
        throw std::invalid_argument(
            fmt::format("{} wants a whole number from {} to {}, not '{}'", arg, min, max, text));
      return v;
    };
    if (arg == "--flows")
      a.flows = static_cast<std::uint32_t>(number(1u << 24));
    else if (arg == "--ticks")
      a.ticks = static_cast<unsigned>(number(1000));
    else if (arg == "--active")
      a.active = static_cast<unsigned>(number(100, 0));
    else if (arg == "--json")
      a.json = true;
    else if (arg == "--batched-sweep")
      a.batched_sweep = true;
    else
      throw std::invalid_argument("unknown argument " + arg +
                                  " (use --flows N, --ticks N, --active PERCENT, --batched-sweep, --json)");
  }
  return a;
}

/// The process's own resident memory: without shared pages, which here are
/// the BPF maps the agent maps in to read (kernel memory, sized by the flow
/// table whether mapped or not: see --requirements).
std::uint64_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0, shared = 0;
  statm >> size >> resident >> shared;
  return (resident - shared) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

double cpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  auto sec = [](const timeval &t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(r.ru_utime) + sec(r.ru_stime);
}

/// Writes flows [first, first + count) of the bench's n distinct TCP flows
/// 10.x.y.z:port -> 198.51.100.7:3333 as last seen `now`, stamped with
/// drain generation `stamp` (what a packet does to a flow, minus the packet).
void writeFlows(const datapath::SensorObject &sensor, std::uint32_t first, std::uint32_t count, std::uint64_t now,
                std::uint64_t started, std::uint32_t stamp) {
  constexpr std::uint32_t kBatch = 8192;
  std::vector<minewatch_flow_key4> keys(kBatch);
  std::vector<minewatch_flow_value> values(kBatch);
  for (std::uint32_t done = 0; done < count;) {
    std::uint32_t n = std::min(kBatch, count - done);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint32_t id = first + done + i;
      auto &k = keys[i];
      k = {};
      k.addr_a = htonl(0x0a000000u | (id & 0xffffffu));
      k.addr_b = htonl(0xc6336407u); // 198.51.100.7
      k.port_a = htons(static_cast<std::uint16_t>(32768 + (id & 0x3fff)));
      k.port_b = htons(3333);
      k.proto = 6;
      auto &v = values[i];
      v = {};
      v.flags = MINEWATCH_FLOW_INITIATOR_FROM_SYN;
      for (auto &d : v.dir) {
        d.packets = 10 + (now - started) / 1'000'000'000ull;
        d.bytes = 1000;
        d.first_seen_ns = started - 1'000'000'000ull;
        d.last_seen_ns = now;
        d.size_hist[0] = 10;
        d.drain_gen = stamp;
      }
    }
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    __u32 c = n;
    if (bpf_map_update_batch(bpf_map__fd(sensor.skel()->maps.minewatch_flows4), keys.data(), values.data(), &c, &opts))
      throw std::system_error(errno, std::generic_category(), "fill the flow map");
    done += n;
  }
}

/// One ACK of bench flow `id` (see writeFlows), through the real XDP
/// program: what a packet does, report to the agent included.
void sendPacket(const datapath::SensorObject &sensor, std::uint32_t id) {
  std::uint8_t frame[54] = {};
  frame[12] = 0x08; // IPv4
  auto *ip = frame + 14;
  ip[0] = 0x45;
  ip[3] = 40; // total length
  ip[8] = 64;
  ip[9] = 6;
  std::uint32_t src = htonl(0x0a000000u | (id & 0xffffffu)), dst = htonl(0xc6336407u);
  std::memcpy(ip + 12, &src, 4);
  std::memcpy(ip + 16, &dst, 4);
  auto *tcp = ip + 20;
  std::uint16_t sport = htons(static_cast<std::uint16_t>(32768 + (id & 0x3fff))), dport = htons(3333);
  std::memcpy(tcp, &sport, 2);
  std::memcpy(tcp + 2, &dport, 2);
  tcp[12] = 0x50;
  tcp[13] = 0x10; // ACK
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof frame, .repeat = 1);
  if (bpf_prog_test_run_opts(bpf_program__fd(sensor.xdpProgram()), &opts) != 0 || opts.retval != XDP_PASS)
    throw std::system_error(errno, std::generic_category(), "run a bench packet");
}

} // namespace

int main(int argc, char **argv) {
  try {
    auto args = parse(argc, argv);
    datapath::installLibbpfLogger(false);
    datapath::SensorOptions options;
    options.max_flows = args.flows + args.flows / 8; // LRU headroom: no eviction while filling (IPv4 map)
    // Room for a report from every flow each tick (56 bytes a record), as an
    // operator sizes datapath.dirty_ring_bytes for a table this busy: a
    // lost report makes the tick a sweep.
    while (options.dirty_ring_bytes / 56 < args.flows + args.flows / 4)
      options.dirty_ring_bytes *= 2;
    datapath::SensorObject sensor(options);
    sensor.load();
    config::AgentConfig config;
    config.agent_max_flows = args.flows;
    config.sweep_in_kernel = !args.batched_sweep;
    actions::EventLog events("/dev/null");
    app::Agent agent(config, sensor,
                     datapath::DatapathInfo{.interface = "bench", .xdp_mode = datapath::XdpAttach::None},
                     util::TimeBase::live(), events);
    auto started = datapath::monotonicNs();
    auto now = started;
    writeFlows(sensor, 0, args.flows, now, started, 0);
    agent.start(now);

    // Ticks as a live agent sees them, one second apart: before each,
    // `active` percent of the flows had a packet (through the real program,
    // which reports them to the agent); the rest were quiet. The sweep
    // interval is the default (30 s), so the default 60 ticks hold two
    // sweeps, and each flow's judge_quiet_every_s window (10 s) comes round
    // six times: their mean is what a second of the agent costs.
    auto rss_before = residentBytes();
    std::vector<double> tick_ms, sweep_ms, cpu_ms;
    double first_tick_ms = 0;
    auto active = static_cast<std::uint32_t>(std::uint64_t{args.flows} * args.active / 100);
    for (unsigned t = 0; t <= args.ticks; ++t) {
      if (t > 0) {
        now += 1'000'000'000ull;
        sensor.setClock(now);
        for (std::uint32_t id = 0; id < active; ++id)
          sendPacket(sensor, id);
      }
      auto sweeps = agent.view().drain.counters().sweeps;
      auto cpu0 = cpuSeconds();
      auto began = std::chrono::steady_clock::now();
      agent.tick(now); // nothing goes idle: the idle timeout is minutes away
      double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
      if (t == 0) {
        first_tick_ms = wall;
        continue;
      }
      cpu_ms.push_back((cpuSeconds() - cpu0) * 1000);
      (agent.view().drain.counters().sweeps != sweeps ? sweep_ms : tick_ms).push_back(wall);
    }
    auto rss_after = residentBytes();
    if (sweep_ms.empty())
      throw std::runtime_error(fmt::format("{} ticks held no sweep: use --ticks 30 or more", args.ticks));
    if (tick_ms.empty()) // news covered the table every tick: each was a sweep
      tick_ms = sweep_ms;

    // The floor: reading the same maps with the same batches and doing
    // nothing with what was read.
    std::vector<double> floor_ms;
    for (unsigned t = 0; t < 3; ++t) {
      std::uint64_t seen = 0;
      auto began = std::chrono::steady_clock::now();
      sensor.flows().forEachBatch(
          [&](const minewatch_flow_key *, const minewatch_flow_value *, std::uint32_t n) { seen += n; });
      floor_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count());
      if (seen != args.flows)
        throw std::runtime_error(fmt::format("the floor read {} flows, expected {}", seen, args.flows));
    }
    std::sort(floor_ms.begin(), floor_ms.end());
    double floor = floor_ms[1];
    // The in-kernel sweep's floor: the same walk with nothing to hand out
    // (a generation no flow holds, nothing idle).
    std::vector<double> walk_ms;
    for (unsigned t = 0; t < 3; ++t) {
      minewatch_sweep_ctx request{};
      request.now_ns = now;
      request.idle_ns = request.closed_ns = ~0ull;
      request.gen = sensor.skel()->bss->minewatch_globals.drain_gen + 1000; // ahead of every stamp
      auto began = std::chrono::steady_clock::now();
      auto walked = sensor.sweepInKernel(request);
      walk_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count());
      if (walked.summary.flows != args.flows || walked.summary.records != 0)
        throw std::runtime_error(fmt::format("the bare walk saw {} flows ({} records), expected {}",
                                             walked.summary.flows, walked.summary.records, args.flows));
    }
    std::sort(walk_ms.begin(), walk_ms.end());
    double walk = walk_ms[1];
    if (agent.judge().table().size() != args.flows)
      throw std::runtime_error(
          fmt::format("the agent tracks {} flows, expected {}", agent.judge().table().size(), args.flows));

    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    double drain_ms = median(tick_ms);
    double sweep_median_ms = median(sweep_ms);
    double mean_cpu_ms = 0;
    for (auto ms : cpu_ms)
      mean_cpu_ms += ms / static_cast<double>(cpu_ms.size());
    double per_flow_bytes = static_cast<double>(rss_after - rss_before) / args.flows;
    // A 1 s tick: the mean tick's CPU, sweeps included, as a share of one
    // core, scaled to 100k flows.
    double core_share_100k = mean_cpu_ms * (100000.0 / args.flows) / 1000.0;
    if (args.json) {
      fmt::print("{{\"flows\":{},\"active_percent\":{},\"ticks\":{},\"first_tick_ms\":{:.1f},\"tick_ms\":{:.1f},"
                 "\"mean_tick_cpu_ms\":{:.1f},\"sweep_ms\":{:.1f},\"bare_read_ms\":{:.1f},\"bare_walk_ms\":{:.1f},"
                 "\"agent_bytes_per_flow\":{:.0f},\"core_share_at_100k_1s\":{:.4f}}}\n",
                 args.flows, args.active, cpu_ms.size(), first_tick_ms, drain_ms, mean_cpu_ms, sweep_median_ms, floor,
                 walk, per_flow_bytes, core_share_100k);
      return 0;
    }
    fmt::print("agent drain of {} flows, {}% of them with a packet each second (real program, injected clock)\n\n",
               args.flows, args.active);
    fmt::print("first tick (a sweep; builds the records) {:>9.1f} ms\n", first_tick_ms);
    fmt::print("tick between sweeps, median wall       {:>9.1f} ms   (reads the flows with news that are due)\n",
               drain_ms);
    fmt::print("sweep (every 30 s: the whole table)    {:>9.1f} ms   (goal: 1M flows under 250 ms)\n", sweep_median_ms);
    fmt::print("every tick, mean CPU                   {:>9.1f} ms   ({} ticks, {} of them sweeps)\n", mean_cpu_ms,
               cpu_ms.size(), sweep_ms.size());
    fmt::print(
        "bare batched read of the maps          {:>9.1f} ms   (copying it all out; the sweep is {:.2f}x of it)\n",
        floor, sweep_median_ms / floor);
    fmt::print("bare in-kernel walk of the maps        {:>9.1f} ms   (its floor; the sweep is {:.2f}x of it)\n", walk,
               sweep_median_ms / walk);
    fmt::print("one core at 100k flows, 1 s tick       {:>9.2f} %    (the mean tick; goal under {} %)\n",
               core_share_100k * 100, args.active <= 10 ? "0.5" : "3");
    fmt::print("agent memory per tracked flow          {:>9.0f} B    (goal under 300 B)\n", per_flow_bytes);
    return 0;
  } catch (const std::exception &e) {
    fmt::print(stderr, "bench_agent: {}\n", e.what());
    return 1;
  }
}
