// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Summaries and output of bench_datapath: a table for people, JSON for
// records. Kept apart from the measuring so the main file reads as the method.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::bench {

/// One case's samples: the kernel's mean ns per repetition, one per round.
struct Result {
  std::string id;    // stable key for JSON
  std::string label; // for the table
  std::vector<double> ns;
};

struct Summary {
  double median = 0;
  double min = 0;
  double max = 0;
};

Summary summarize(const std::vector<double> &ns);

struct RunInfo {
  std::uint32_t repeat = 0;
  unsigned runs = 0;
  std::size_t packet_bytes = 0;
  int cpu = 0;
  std::size_t goal_case = 0; // results[goal_case] / results[0] is held to goal_ratio
  double goal_ratio = 0;
};

/// results[0] is the baseline every ratio divides by.
void printTable(const RunInfo &info, const std::vector<Result> &results);
void printJson(const RunInfo &info, const std::vector<Result> &results);

} // namespace minewatch::bench
