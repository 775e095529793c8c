// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Commands that change things: block and allow rules.
#include "commands.hpp"
#include "render.hpp"

#include "control/control_client.hpp"
#include "rules/rule_target.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace minewatch::cli {

namespace {
using nlohmann::json;

struct RuleArgs {
  std::string target;
  std::string ttl;
  bool everything = false;
};

struct PageArgs {
  std::optional<std::uint64_t> limit;
  std::optional<std::uint64_t> offset;
};

/// Checks the target here so a typo gets its answer without an agent.
std::string checkedTarget(const std::string &text, bool everything) {
  std::string why;
  if (!rules::parseRuleTarget(text, &why, everything))
    throw UsageError(why);
  return text;
}

void say(const GlobalOptions &o, const json &data, const std::string &words) {
  if (o.json)
    fmt::print("{}\n", data.dump(2));
  else
    fmt::print("{}\n", words);
}

void setupKind(CLI::App &app, const GlobalOptions &o, const std::string &kind) {
  bool block = kind == "block";
  auto *group = app.add_subcommand(kind, block ? "block rules: drop a CIDR or ADDR:PORT[/proto] at XDP and TC"
                                               : "allow rules: never block these (allow always wins)");
  group->require_subcommand(1);
  auto args = std::make_shared<RuleArgs>();

  auto *add =
      group->add_subcommand("add", block ? "add a block rule\n  example: minewatch block add 198.51.100.7:3333 --ttl 1h"
                                         : "add an allow rule (lifts blocks it touches)\n"
                                           "  example: minewatch allow add 192.0.2.0/24");
  add->add_option("TARGET", args->target, "CIDR (198.51.100.0/24) or ADDR:PORT[/tcp|udp] ([2001:db8::7]:443)")
      ->required();
  if (block)
    add->add_option("--ttl", args->ttl, "expire after this long: 90s, 15m, 1h, 2d (default: never)");
  add->add_flag("--everything", args->everything,
                "a prefix covering every IPv4 address (0.0.0.0/0, ::/0) is meant: without it, refused");
  add->callback([&o, args, kind, block] {
    json req = {{"cmd", kind + "_add"}, {"target", checkedTarget(args->target, args->everything)}};
    if (args->everything)
      req["everything"] = true;
    if (block && !args->ttl.empty()) {
      std::string why;
      auto ttl = parseDuration(args->ttl, &why);
      if (!ttl)
        throw UsageError(why);
      req["ttl"] = *ttl;
    }
    auto data = control::request(o.socket, req);
    std::string words = fmt::format("{} rule added: {}", kind, data["added"].get<std::string>());
    if (data.contains("lifted_blocks") && !data["lifted_blocks"].empty())
      words += fmt::format(" (lifted {} block rule(s))", data["lifted_blocks"].size());
    say(o, data, words);
  });

  auto *del = group->add_subcommand(
      "del", fmt::format("remove a {} rule\n  example: minewatch {} del 198.51.100.7:3333", kind, kind));
  del->add_option("TARGET", args->target, "the rule's target, as `list` shows it")->required();
  del->callback([&o, args, kind] {
    auto data = control::request(o.socket, {{"cmd", kind + "_del"}, {"target", checkedTarget(args->target, true)}});
    say(o, data, fmt::format("{} rule removed: {}", kind, data["removed"].get<std::string>()));
  });

  auto *list = group->add_subcommand(
      "list",
      fmt::format("show the {} rules\n  example: minewatch {} list --json --limit 1000 --offset 2000", kind, kind));
  auto page = std::make_shared<PageArgs>();
  list->add_option("--limit", page->limit, "show at most N rules (a page; default: all)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  list->add_option("--offset", page->offset, "skip the first K rules (with --limit: the page's start)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40));
  list->callback([&o, kind, block, page] {
    json req = {{"cmd", kind + "_list"}};
    // Only when asked: a request without them is answered as it always was.
    if (page->limit)
      req["limit"] = *page->limit;
    if (page->offset)
      req["offset"] = *page->offset;
    auto data = control::request(o.socket, req);
    if (o.json)
      fmt::print("{}\n", data.dump(2));
    else
      fmt::print("{}", block ? renderBlocks(data, Style::forStdout()) : renderAllows(data, Style::forStdout()));
  });
}
} // namespace

void setupRules(CLI::App &app, const GlobalOptions &o) {
  setupKind(app, o, "block");
  setupKind(app, o, "allow");
}

} // namespace minewatch::cli
