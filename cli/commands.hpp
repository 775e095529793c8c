// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace minewatch::cli {

/// Options every command shares.
struct GlobalOptions {
  std::string socket = "/run/minewatch/minewatch.sock";
  bool json = false;
};

/// A bad argument caught before asking the agent (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// status, flows, detections, explain, watch
void setupInspect(CLI::App &app, const GlobalOptions &options);
/// block add|del|list, allow add|del|list
void setupRules(CLI::App &app, const GlobalOptions &options);
/// fleet-patch
void setupFleet(CLI::App &app, const GlobalOptions &options);

} // namespace minewatch::cli
