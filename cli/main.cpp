// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// minewatch: the operator's view of a host running minewatch-agent.
#include "commands.hpp"

#include "control/control_client.hpp"

#include <fmt/format.h>

int main(int argc, char **argv) {
  using namespace minewatch::cli;
  CLI::App app{"minewatch: inspect what minewatch-agent sees on this host, and manage its block rules.\n"
               "Tables for people by default, --json for scripts. Examples:\n"
               "  minewatch status\n"
               "  minewatch detections --json\n"
               "  minewatch explain 3409370e37c6\n"
               "  minewatch block add 198.51.100.7:3333 --ttl 1h"};
  GlobalOptions options;
  app.add_option("--socket", options.socket, "the agent's control socket")
      ->envname("MINEWATCH_SOCKET")
      ->capture_default_str();
  app.add_flag("--json", options.json, "machine-readable JSON instead of tables");
  app.fallthrough(); // --json and --socket also after the command
  app.require_subcommand(1);
  setupInspect(app, options);
  setupRules(app, options);
  setupFleet(app, options);

  // CLI11 reports a mistyped command as a missing one; name it instead.
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--socket") {
      ++i;
      continue;
    }
    if (arg.rfind('-', 0) == 0)
      continue;
    std::string known;
    bool found = false;
    for (const auto *sub : app.get_subcommands({})) {
      found = found || sub->get_name() == arg;
      known += (known.empty() ? "" : ", ") + sub->get_name();
    }
    if (!found) {
      fmt::print(stderr, "minewatch: unknown command '{}' (commands: {})\n", arg, known);
      return 2;
    }
    break;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    // One line, never CLI11's two-line banner.
    fmt::print(stderr, "minewatch: {} (see minewatch --help)\n", e.what());
    return 2;
  } catch (const UsageError &e) {
    fmt::print(stderr, "minewatch: {}\n", e.what());
    return 2;
  } catch (const minewatch::control::ControlError &e) {
    fmt::print(stderr, "minewatch: {}\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    fmt::print(stderr, "minewatch: {}\n", e.what());
    return 1;
  }
  return 0;
}
