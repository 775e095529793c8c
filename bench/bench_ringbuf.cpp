// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The payload-sample rate the agent keeps up with. Two numbers, one run:
//  - capacity: a full ring buffer (no reader while it fills) read and
//    classified by the real Agent::onRecord, timed: samples per second the
//    agent can take at most;
//  - sustained: a producer thread pushes new flows, each with a Stratum
//    login as its first payload (one sample each), through the real XDP
//    program as fast as bpf_prog_test_run_opts goes, while the agent reads
//    as live_runner does (epoll on the ring); the drops the sensor counted
//    say whether it kept up.
//   bench_ringbuf [--packets N]
#include "app/agent.hpp"
#include "bpf/ring_buffer.hpp"
#include "datapath/libbpf_log.hpp"
#include "packet_builder.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <string_view>
#include <thread>

using namespace minewatch;

namespace {
using Clock = std::chrono::steady_clock;

/// New flow `i` (a distinct client address and port), first payload a login.
test::Bytes loginPacket(std::uint32_t i) {
  static const std::string login =
      R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx)"
      R"(3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge","pass":"x","agent":"XMRig/6.16.0"}})"
      "\n";
  auto client = fmt::format("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  return test::PacketBuilder()
      .ipv4(client, "198.51.100.7")
      .tcp(static_cast<std::uint16_t>(20000 + i % 40000), 3333, 0x18)
      .payload(std::string_view(login))
      .build();
}

void run(int prog_fd, const test::Bytes &frame) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
              .repeat = 1);
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
    throw std::system_error(errno, std::generic_category(), "bpf_prog_test_run_opts");
}

struct Rig {
  datapath::SensorObject sensor;
  actions::EventLog events{"/dev/null"};
  config::AgentConfig config;
  std::unique_ptr<app::Agent> agent;
  std::unique_ptr<bpf::RingBuffer> ring;
  std::uint64_t consumed = 0;

  explicit Rig(std::uint32_t flows) : sensor(options(flows)) {
    sensor.load();
    agent = std::make_unique<app::Agent>(
        config, sensor, datapath::DatapathInfo{.interface = "bench", .xdp_mode = datapath::XdpAttach::None},
        util::TimeBase::live(), events);
    ring = std::make_unique<bpf::RingBuffer>(sensor.samplesFd(), [this](std::span<const std::byte> record) {
      agent->onRecord(record);
      ++consumed;
    });
  }
  static datapath::SensorOptions options(std::uint32_t flows) {
    datapath::SensorOptions o;
    o.max_flows = flows + flows / 4;
    return o;
  }
};

std::uint32_t parsePackets(int argc, char **argv) {
  std::uint32_t packets = 200000;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg != "--packets" || i + 1 >= argc)
      throw std::invalid_argument(fmt::format("unknown argument {} (use --packets N)", arg));
    std::string_view v = argv[++i];
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), packets);
    if (ec != std::errc{} || end != v.data() + v.size() || packets < 1000 || packets > 4'000'000)
      throw std::invalid_argument(fmt::format("--packets wants 1000-4000000, not '{}'", v));
  }
  return packets;
}
} // namespace

int main(int argc, char **argv) {
  try {
    auto packets = parsePackets(argc, argv);
    datapath::installLibbpfLogger(false);
    std::vector<test::Bytes> frames;
    frames.reserve(packets);
    for (std::uint32_t i = 0; i < packets; ++i)
      frames.push_back(loginPacket(i));

    // Capacity: fill the ring with no reader, then read it all.
    double capacity = 0;
    std::uint64_t ring_holds = 0;
    {
      Rig rig(packets);
      int fd = bpf_program__fd(rig.sensor.xdpProgram());
      for (std::uint32_t i = 0; i < packets && rig.sensor.stat(MINEWATCH_STAT_RINGBUF_DROPS) == 0; ++i)
        run(fd, frames[i]);
      ring_holds = rig.sensor.stat(MINEWATCH_STAT_SAMPLES) - rig.sensor.stat(MINEWATCH_STAT_RINGBUF_DROPS);
      auto began = Clock::now();
      rig.ring->consume();
      double s = std::chrono::duration<double>(Clock::now() - began).count();
      capacity = static_cast<double>(rig.consumed) / s;
    }

    // Sustained: the producer paced at a rate (0: flat out), the agent
    // reading alongside as live_runner does.
    struct Step {
      double target, produced_per_s, consumed_per_s;
      std::uint64_t drops;
    };
    auto sustained = [&](double target) {
      Rig rig(packets);
      int fd = bpf_program__fd(rig.sensor.xdpProgram());
      std::atomic<bool> done{false};
      std::thread reader([&] {
        while (!done.load())
          rig.ring->poll(10);
        rig.ring->consume();
      });
      auto began = Clock::now();
      for (std::uint32_t i = 0; i < frames.size(); ++i) {
        if (target > 0) // pace by the clock, not by sleeping: the next packet is due at i / target
          while (std::chrono::duration<double>(Clock::now() - began).count() < i / target) {
          }
        run(fd, frames[i]);
      }
      double produce_s = std::chrono::duration<double>(Clock::now() - began).count();
      done = true;
      reader.join();
      double total_s = std::chrono::duration<double>(Clock::now() - began).count();
      auto produced = rig.sensor.stat(MINEWATCH_STAT_SAMPLES);
      return Step{target, static_cast<double>(produced) / produce_s, static_cast<double>(rig.consumed) / total_s,
                  rig.sensor.stat(MINEWATCH_STAT_RINGBUF_DROPS)};
    };
    std::vector<Step> steps;
    for (double target : {25000.0, 50000.0, 100000.0, 150000.0, 0.0})
      steps.push_back(sustained(target));

    fmt::print("payload samples: {} new flows, each with a Stratum login (one sample each)\n\n", packets);
    fmt::print("{:<52} {:>12}\n", "measure", "value");
    fmt::print("{:<52} {:>12}\n", "samples the ring holds (4 MiB default)", ring_holds);
    fmt::print("{:<52} {:>12.0f}\n", "agent capacity, samples/s (a full ring read)", capacity);
    fmt::print("\n{:<22} {:>14} {:>14} {:>10}\n", "producer paced at /s", "produced/s", "consumed/s", "drops");
    double best = 0;
    for (const auto &s : steps) {
      fmt::print("{:<22} {:>14.0f} {:>14.0f} {:>10}\n", s.target > 0 ? fmt::format("{:.0f}", s.target) : "flat out",
                 s.produced_per_s, s.consumed_per_s, s.drops);
      if (s.drops == 0)
        best = std::max(best, s.produced_per_s);
    }
    fmt::print("\nsustained without a drop: {:.0f} samples/s (with the producer on the same 2 cores)\n", best);
    return 0;
  } catch (const std::exception &e) {
    fmt::print(stderr, "bench_ringbuf: {}\n", e.what());
    return 1;
  }
}
