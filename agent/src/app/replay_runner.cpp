// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/address.hpp"
#include "app/replay_runner.hpp"

#include "app/agent.hpp"
#include "api/json_views.hpp"
#include "api/queries.hpp"
#include "bpf/ring_buffer.hpp"
#include "replay/pcap_reader.hpp"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <system_error>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerMs = 1'000'000ull;
// Samples are read every this many packets, well before a default ring fills.
constexpr std::uint64_t kConsumeEvery = 256;

void printTable(const nlohmann::json &detections) {
  fmt::print("{:<12} {:<10} {:>5}  {:<46} {}\n", "ID", "VERDICT", "CONF", "FLOW", "REASONS");
  for (const auto &d : detections) {
    const auto &f = d["flow"];
    auto flow = fmt::format("{} {} -> {}", f["proto"].get<std::string>(),
                            net::endpointText(f["src"].get<std::string>(), f["sport"].get<unsigned>()),
                            net::endpointText(f["dst"].get<std::string>(), f["dport"].get<unsigned>()));
    std::string reasons;
    for (const auto &r : d["reasons"])
      reasons += (reasons.empty() ? "" : "; ") + r.get<std::string>();
    fmt::print("{:<12} {:<10} {:>5.2f}  {:<46} {}\n", d["id"].get<std::string>(), d["verdict"].get<std::string>(),
               d["confidence"].get<double>(), flow, reasons);
  }
}
} // namespace

ReplaySummary feedCapture(replay::PcapReader &reader, datapath::SensorObject &sensor, Agent &agent,
                          std::uint32_t tick_ms, const ReplayHookOf &hook_of) {
  bpf::RingBuffer samples(sensor.samplesFd(), [&](std::span<const std::byte> record) { agent.onRecord(record); });

  ReplaySummary summary;
  replay::Frame frame;
  std::uint64_t next_tick = 0, last_ts = 0;
  int ingress_fd = bpf_program__fd(sensor.xdpProgram());
  int egress_fd = hook_of ? bpf_program__fd(sensor.tcProgram()) : -1;
  if (hook_of && egress_fd < 0)
    throw std::invalid_argument("a replay through the egress hook needs the egress program loaded");
  bool started = false;
  while (reader.next(frame)) {
    if (!started) {
      agent.start(frame.ts_ns);
      started = true;
    }
    // A capture may go back in time (merged files): never let the clock do so.
    last_ts = std::max(last_ts, frame.ts_ns);
    sensor.setClock(last_ts);
    LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame.bytes.data(),
                .data_size_in = static_cast<__u32>(frame.bytes.size()), .repeat = 1);
    int prog_fd = hook_of && hook_of(frame) == ReplayHook::Egress ? egress_fd : ingress_fd;
    if (bpf_prog_test_run_opts(prog_fd, &run) != 0)
      throw std::system_error(errno, std::generic_category(),
                              fmt::format("replay packet {} of {}", summary.packets + 1, reader.path()));
    ++summary.packets;
    summary.padded += frame.padded ? 1 : 0;
    if (summary.packets % kConsumeEvery == 0) {
      samples.consume();
      agent.pollMessages();
    }
    if (!next_tick)
      next_tick = last_ts + tick_ms * kNsPerMs;
    if (last_ts >= next_tick) {
      samples.consume();
      agent.tick(last_ts);
      next_tick = last_ts + tick_ms * kNsPerMs;
    }
  }
  samples.consume();
  if (started)
    agent.tick(last_ts);
  summary.skipped = reader.skipped();
  summary.cut_short = reader.cutShort();
  return summary;
}

ReplaySummary runReplay(const config::AgentConfig &config, const ReplayOptions &options) {
  auto began = std::chrono::steady_clock::now();
  replay::PcapReader reader(options.capture);
  auto sensor_options = config.sensor;
  sensor_options.enforce = false;        // a capture is evidence, not traffic to stop
  sensor_options.egress_program = false; // every packet goes through the ingress program
  datapath::SensorObject sensor(sensor_options);
  sensor.load();

  // Events are not printed during a replay: it reports at the end.
  actions::EventLog events(config.events == "-" ? "/dev/null" : config.events);
  DatapathInfo info;
  info.interface = "replay:" + options.capture;
  info.xdp_mode = datapath::XdpAttach::Replay;
  info.packets = datapath::PacketSource::Capture;
  info.tap = true;
  auto replay_config = config;
  replay_config.tap = true;
  replay_config.fleet_share = false; // a capture's pools are evidence, not the fleet's business
  Agent agent(replay_config, sensor, info, util::TimeBase::identity(), events);
  auto summary = feedCapture(reader, sensor, agent, config.tick_ms);

  auto detections = api::detections(agent.view());
  summary.detections = detections.size();
  for (const auto &d : detections)
    summary.mining += d["verdict"] == "mining" ? 1 : 0;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  if (options.json) {
    nlohmann::json out{{"capture", options.capture},
                       {"packets", summary.packets},
                       {"padded", summary.padded},
                       {"skipped", summary.skipped},
                       {"detections", detections}};
    if (!summary.cut_short.empty())
      out["cut_short"] = summary.cut_short;
    fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    fmt::print("{}: {} packets ({} padded, {} skipped), {} detections\n", options.capture, summary.packets,
               summary.padded, summary.skipped, summary.detections);
    if (!detections.empty())
      printTable(detections);
  }
  // After what was read: the report stands, the warning says it is partial.
  if (!summary.cut_short.empty())
    fmt::print(stderr, "minewatch-agent: warning: {}; the report covers what came before\n", summary.cut_short);
  return summary;
}

} // namespace minewatch::app
