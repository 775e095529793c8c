// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "bench_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace minewatch::bench {

Summary summarize(const std::vector<double> &ns) {
  if (ns.empty())
    return {};
  auto sorted = ns;
  std::sort(sorted.begin(), sorted.end());
  std::size_t mid = sorted.size() / 2;
  double median = sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {median, sorted.front(), sorted.back()};
}

namespace {

double ratio(double ns, double base) { return base > 0 ? ns / base : 0; }

} // namespace

void printTable(const RunInfo &info, const std::vector<Result> &results) {
  double base = summarize(results.at(0).ns).median;
  fmt::print("bpf_prog_test_run_opts, {} repeats x {} interleaved runs, {}-byte packet, CPU {}\n\n", info.repeat,
             info.runs, info.packet_bytes, info.cpu);
  fmt::print("{:<36} {:>10} {:>8} {:>8} {:>8}\n", "case", "median ns", "min", "max", "x empty");
  for (const auto &r : results) {
    auto s = summarize(r.ns);
    fmt::print("{:<36} {:>10.1f} {:>8.1f} {:>8.1f} {:>8.2f}\n", r.label, s.median, s.min, s.max, ratio(s.median, base));
  }
  double goal = ratio(summarize(results.at(info.goal_case).ns).median, base);
  fmt::print("\nexisting flow / empty = {:.2f} (goal <= {:.2f})\n", goal, info.goal_ratio);
}

// Hand-written to avoid a dependency; every string printed is one of our
// fixed ids or labels, none needing escapes.
void printJson(const RunInfo &info, const std::vector<Result> &results) {
  double base = summarize(results.at(0).ns).median;
  fmt::print("{{\"repeat\":{},\"runs\":{},\"packet_bytes\":{},\"cpu\":{},\"baseline\":\"{}\",\"cases\":[", info.repeat,
             info.runs, info.packet_bytes, info.cpu, results.at(0).id);
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto &r = results[i];
    auto s = summarize(r.ns);
    fmt::print("{}{{\"id\":\"{}\",\"label\":\"{}\",\"median_ns\":{:.1f},\"min_ns\":{:.1f},\"max_ns\":{:.1f},"
               "\"ratio\":{:.3f},\"runs_ns\":[",
               i ? "," : "", r.id, r.label, s.median, s.min, s.max, ratio(s.median, base));
    for (std::size_t j = 0; j < r.ns.size(); ++j)
      fmt::print("{}{:.0f}", j ? "," : "", r.ns[j]);
    fmt::print("]}}");
  }
  double goal = ratio(summarize(results.at(info.goal_case).ns).median, base);
  fmt::print("],\"goal\":{{\"case\":\"{}\",\"ratio\":{:.3f},\"max_ratio\":{:.2f},\"met\":{}}}}}\n",
             results.at(info.goal_case).id, goal, info.goal_ratio, goal <= info.goal_ratio);
}

} // namespace minewatch::bench
