// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace minewatch::test {

/// Bounded wait: polls `done` until it holds or `limit` passes; returns
/// whether it held. Tests assert on the result, never on a sleep.
template <typename Pred> bool waitFor(Pred done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct CommandResult {
  int status = -1; // exit status, -1 when killed by a signal
  std::string out; // stdout (with stderr too when merged)
  std::string err; // stderr, when kept apart
};

/// Paths (pins, sockets, configs) removed when the test ends, however it ends.
struct RemovedAtEnd {
  std::vector<std::string> paths;
  ~RemovedAtEnd() {
    for (const auto &p : paths) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
};

/// Runs a shell command and captures what it printed.
CommandResult runCommand(const std::string &command, bool merge_stderr = false);

} // namespace minewatch::test
