// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Commands that look: status, flows, detections, explain, watch.
#include "commands.hpp"
#include "render.hpp"

#include "control/control_client.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace minewatch::cli {

namespace {
using nlohmann::json;

std::atomic<bool> g_stop{false};

void print(const GlobalOptions &o, const json &data, std::string (*render)(const json &, const Style &)) {
  if (o.json)
    fmt::print("{}\n", data.dump(2));
  else
    fmt::print("{}", render(data, Style::forStdout()));
}

struct FlowsOptions {
  std::size_t top = 20;
  std::string sort = "bytes";
};

struct WatchOptions {
  double interval = 2.0;
  unsigned count = 0; // 0 = until Ctrl-C
};

void watch(const GlobalOptions &o, const WatchOptions &w) {
  ::signal(SIGINT, [](int) { g_stop = true; });
  ::signal(SIGTERM, [](int) { g_stop = true; });
  auto style = Style::forStdout();
  for (unsigned n = 0; !g_stop && (w.count == 0 || n < w.count); ++n) {
    auto status = control::request(o.socket, {{"cmd", "status"}});
    auto flows = control::request(o.socket, {{"cmd", "flows"}, {"top", 10}, {"sort", "bytes"}});
    auto detections = control::request(o.socket, {{"cmd", "detections"}});
    if (o.json) {
      fmt::print("{}\n", json{{"status", status}, {"flows", flows}, {"detections", detections}}.dump());
    } else {
      if (style.color)
        fmt::print("\033[H\033[2J");
      json recent = json::array();
      for (std::size_t i = detections.size() > 5 ? detections.size() - 5 : 0; i < detections.size(); ++i)
        recent.push_back(detections[i]);
      auto head = renderStatus(status, style);
      fmt::print("{}\n{}\n{}\n{}", head.substr(0, head.find("\n\n") + 1), style.bold("top flows"),
                 renderFlows(flows, style), style.bold("\nrecent detections\n") + renderDetections(recent, style));
      fmt::print("{}\n", style.dim(fmt::format("refreshing every {:.1f}s; Ctrl-C to stop", w.interval)));
    }
    std::fflush(stdout);
    for (double slept = 0; slept < w.interval && !g_stop && (w.count == 0 || n + 1 < w.count); slept += 0.05)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
} // namespace

void setupInspect(CLI::App &app, const GlobalOptions &o) {
  auto *status = app.add_subcommand("status", "interfaces, attach mode, program ids, counters, map fill, uptime\n"
                                              "  example: minewatch status --json");
  status->callback([&o] { print(o, control::request(o.socket, {{"cmd", "status"}}), renderStatus); });

  auto flows_opts = std::make_shared<FlowsOptions>();
  auto *flows = app.add_subcommand("flows", "one row per flow the sensor tracks\n"
                                            "  example: minewatch flows --top 10 --sort packets");
  flows->add_option("--top", flows_opts->top, "show the first N flows (0 = all)")->check(CLI::Range(0, 1 << 24));
  flows->add_option("--sort", flows_opts->sort, "order by bytes, packets or age")
      ->check(CLI::IsMember({"bytes", "packets", "age"}));
  flows->callback([&o, flows_opts] {
    print(o, control::request(o.socket, {{"cmd", "flows"}, {"top", flows_opts->top}, {"sort", flows_opts->sort}}),
          renderFlows);
  });

  auto *detections = app.add_subcommand("detections", "flows judged suspicious or mining, with their reasons\n"
                                                      "  example: minewatch detections --json | jq '.[].flow'");
  detections->callback([&o] { print(o, control::request(o.socket, {{"cmd", "detections"}}), renderDetections); });

  auto *confirmations = app.add_subcommand(
      "confirmations", "servers the agent asked in Stratum (confirm.mode), and what each answered\n"
                       "  example: minewatch confirmations --json | jq '.[] | select(.result == \"confirmed\")'");
  confirmations->callback([&o] {
    print(o, control::request(o.socket, {{"cmd", "confirmations"}}), renderConfirmations);
  });

  auto flow_id = std::make_shared<std::string>();
  auto *explain = app.add_subcommand("explain", "every piece of evidence for one flow, with its histograms drawn\n"
                                                "  example: minewatch explain 3409370e37c6");
  explain->add_option("FLOW", *flow_id, "flow id, as `flows` or `detections` print it")->required();
  explain->callback([&o, flow_id] {
    print(o, control::request(o.socket, {{"cmd", "explain"}, {"flow", *flow_id}}), renderExplain);
  });

  auto watch_opts = std::make_shared<WatchOptions>();
  auto *w = app.add_subcommand("watch", "a live, top-like view; Ctrl-C to stop\n"
                                        "  example: minewatch watch --interval 1");
  w->add_option("--interval", watch_opts->interval, "seconds between refreshes")->check(CLI::Range(0.1, 3600.0));
  w->add_option("--count", watch_opts->count, "stop after N refreshes (0 = never)");
  w->callback([&o, watch_opts] { watch(o, *watch_opts); });
}

} // namespace minewatch::cli
