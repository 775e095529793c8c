// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Rules in and out of the kernel; see enforcer.hpp.
#include "actions/enforcer.hpp"

#include "actions/rule_store.hpp"
#include "fleet/fleet_patch.hpp"
#include "net/local_addresses.hpp"
#include "util/time_format.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <unistd.h>

#include <set>
#include <stdexcept>
#include <system_error>

namespace minewatch::actions {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

std::uint32_t mapId(bpf_map *map) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  return bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len) == 0 ? info.id : 0;
}

/// `everything`: the operator said a rule covering all of IPv4 is meant.
/// Deleting one never needs it: whatever exists must be removable.
rules::RuleTarget parseTarget(const std::string &text, bool everything) {
  std::string why;
  auto target = rules::parseRuleTarget(text, &why, everything);
  if (!target)
    throw std::invalid_argument(why);
  return *target;
}

std::string hostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0)
    return "a node";
  return name;
}
} // namespace

Enforcer::Enforcer(const config::AgentConfig &config, datapath::SensorObject &sensor, EventLog &events,
                   EnforcerPlace place)
    : config_(config), sensor_(sensor), events_(events), place_(std::move(place)), maps_(sensor), rules_(maps_) {}

std::uint32_t Enforcer::blockCapacity() const {
  return bpf_map__max_entries(sensor_.skel()->maps.minewatch_block_endpoint);
}

void Enforcer::start(std::uint64_t now_ns) {
  auto wall_ns = util::wallNowNs();
  std::optional<SavedRuleBook> saved;
  if (!place_.rules_file.empty()) {
    std::string problem;
    saved = loadRuleBook(place_.rules_file, problem);
    if (!problem.empty())
      warn(problem + "; block rules come back from the pinned maps, without their source and reason");
    // A book written beside maps that are gone (a reboot, removed pins)
    // would bring back allows for rules that no longer exist elsewhere.
    if (saved && saved->block_map_id != place_.previous_block_map_id) {
      warn(fmt::format("rule book {} was written beside block maps that are gone (a reboot or removed pins); "
                       "not restored",
                       place_.rules_file));
      saved.reset();
    }
  }
  rules_.restore(wall_ns, saved ? &saved->rules : nullptr);
  for (const auto &text : config_.allowlist)
    rules_.allow(*rules::parseRuleTarget(text), RuleSource::Config, "listed in the config's allowlist",
                 wall_ns); // validated
  std::set<std::string> in_config;
  for (const auto &text : config_.blocklist) {
    auto target = *rules::parseRuleTarget(text);
    in_config.insert(rules::toString(target));
    if (auto refused =
            rules_.block(target, 0, now_ns, wall_ns, RuleSource::Config, "listed in the config's blocklist")) {
      reportRefused(target, RuleSource::Config, *refused);
      events_.write({{"event", "warning"}, {"message", refused->message}});
    }
  }
  // A block the last config listed and this one does not goes, as a line
  // gone from a list file does.
  for (const auto &rule : rules_.state().blocks)
    if (rule.source == RuleSource::Config && !in_config.count(rules::toString(rule.target)))
      rules_.unblock(rule.target);
}

void Enforcer::startFleetShare() {
  if (config_.fleet_share) {
    // Missing credentials are a deployment mistake (no token mounted): said
    // at start. Later they are re-read for every request (token rotation).
    auto access = fleet::loadApiAccess(config_.fleet_share_api, config_.fleet_share_credentials);
    fleet_ = std::make_unique<fleet::ConfigMapPatcher>(
        fleet::PatcherOptions{config_.fleet_share_api, config_.fleet_share_credentials});
    events_.write({{"event", "fleet_share_on"},
                   {"api_server", access.host + ":" + std::to_string(access.port)},
                   {"namespace", access.namespace_name},
                   {"configmap", fleet::FleetTarget{}.configmap}});
  }
}

judge::Action Enforcer::act(const judge::ActRequest &r) {
  const auto &roles = r.roles;
  if (rules_.isAllowed(roles.server.address, roles.server.port, roles.proto))
    return judge::Action::Allowlisted;
  if (place_.tap || config_.autoblock == config::AutoBlockMode::Off)
    return judge::Action::Alert;
  bool live = place_.packets == PacketSource::Live;
  if (auto refusal =
          autoBlockRefusal(roles, r.value, place_.packets, live ? net::localAddresses() : std::set<net::Address>{})) {
    events_.write({{"event", "block_skipped"}, {"flow", r.flow_id}, {"why", *refusal}});
    return judge::Action::Alert;
  }
  if (config_.autoblock == config::AutoBlockMode::DryRun)
    return judge::Action::WouldBlock;
  rules::RuleTarget target = rules::EndpointTarget{roles.server.address, roles.server.port, roles.proto};
  std::string reason = r.assessment.evidence.empty() ? "mining" : r.assessment.evidence.front().reason;
  if (auto refused = rules_.block(target, std::uint64_t{config_.block_ttl_s} * kNsPerSec, r.now_ns, util::wallNowNs(),
                                  RuleSource::Auto, reason)) {
    reportRefused(target, RuleSource::Auto, *refused);
    return judge::Action::BlockRefused;
  }
  ++counters_.blocks_added;
  events_.write({{"event", "block_added"},
                 {"target", rules::toString(target)},
                 {"source", toString(RuleSource::Auto)},
                 {"ttl_s", config_.block_ttl_s},
                 {"reason", reason}});
  shareBlock(target, reason);
  return judge::Action::Blocked;
}

void Enforcer::tick(std::uint64_t now_ns) {
  for (const auto &rule : rules_.sweepExpired(now_ns)) {
    ++counters_.blocks_expired;
    events_.write({{"event", "block_expired"}, {"target", rules::toString(rule.target)}, {"hits", rule.hits}});
  }
  collectFleetShare();
}

std::string Enforcer::blockAdd(const std::string &text, std::uint64_t ttl_s, std::uint64_t now_ns, bool everything) {
  auto target = parseTarget(text, everything);
  if (auto refused = rules_.block(target, ttl_s * kNsPerSec, now_ns, util::wallNowNs(), RuleSource::Manual,
                                  "added by an operator")) {
    reportRefused(target, RuleSource::Manual, *refused);
    throw std::invalid_argument(refused->message);
  }
  ++counters_.blocks_added;
  events_.write({{"event", "block_added"},
                 {"target", rules::toString(target)},
                 {"source", toString(RuleSource::Manual)},
                 {"ttl_s", ttl_s}});
  save();
  return rules::toString(target);
}

std::string Enforcer::blockDel(const std::string &text) {
  auto target = parseTarget(text, true);
  if (!rules_.unblock(target))
    throw std::invalid_argument("no block rule for " + rules::toString(target));
  events_.write({{"event", "block_removed"}, {"target", rules::toString(target)}});
  save();
  return rules::toString(target);
}

std::pair<std::string, std::vector<std::string>> Enforcer::allowAdd(const std::string &text, bool everything) {
  auto target = parseTarget(text, everything);
  auto lifted = rules_.allow(target, RuleSource::Manual, "added by an operator", util::wallNowNs());
  std::vector<std::string> removed;
  for (const auto &rule : lifted)
    removed.push_back(rules::toString(rule.target));
  events_.write({{"event", "allow_added"}, {"target", rules::toString(target)}, {"lifted_blocks", removed}});
  save();
  return {rules::toString(target), removed};
}

std::string Enforcer::allowDel(const std::string &text) {
  auto target = parseTarget(text, true);
  if (!rules_.disallow(target))
    throw std::invalid_argument("no allow rule for " + rules::toString(target));
  save();
  return rules::toString(target);
}

std::size_t Enforcer::shutdown() {
  if (config_.shutdown != config::ShutdownMode::FailOpen) {
    events_.write({{"event", "agent_stopped"},
                   {"shutdown", config::toString(config_.shutdown)},
                   {"rules_kept", rules_.blockCount()}});
    return 0;
  }
  std::size_t removed = 0;
  for (const auto &rule : rules_.blocks())
    removed += rules_.unblock(rule.target) ? 1 : 0;
  save();
  events_.write({{"event", "agent_stopped"}, {"shutdown", "fail-open"}, {"rules_removed", removed}});
  return removed;
}

void Enforcer::warn(const std::string &message) {
  events_.write({{"event", "warning"}, {"message", message}});
  fmt::print(stderr, "minewatch-agent: warning: {}\n", message);
}

void Enforcer::save() {
  if (place_.rules_file.empty() || rules_.generation() == saved_generation_)
    return;
  saved_generation_ = rules_.generation();
  try {
    saveRuleBook(place_.rules_file, {rules_.state(), mapId(sensor_.skel()->maps.minewatch_block_endpoint)});
    ++counters_.rule_book_saves;
    save_error_.clear();
  } catch (const std::system_error &e) {
    ++counters_.rule_book_save_errors;
    if (save_error_ != e.what()) // once per distinct failure, not every change
      warn(std::string("cannot save the rule book: ") + e.what() +
           "; rules stay in force, a restart loses "
           "their source and reason");
    save_error_ = e.what();
  }
}

void Enforcer::checkPins() {
  if (!pin_check_)
    return;
  std::vector<std::string> repinned;
  try {
    repinned = pin_check_();
  } catch (const std::system_error &e) {
    warn(std::string("pins were removed and cannot be restored: ") + e.what());
    return;
  }
  if (repinned.empty())
    return;
  ++counters_.repins;
  counters_.last_repin_wall_ns = util::wallNowNs();
  std::string names;
  for (const auto &name : repinned)
    names += (names.empty() ? "" : ", ") + name;
  events_.write({{"event", "pins_restored"}, {"pin_dir", place_.pin_dir}, {"pinned", repinned}});
  fmt::print(stderr, "minewatch-agent: warning: pins removed under the running agent ({}); pinned again in {}\n", names,
             place_.pin_dir);
}

void Enforcer::reportRefused(const rules::RuleTarget &target, RuleSource source, const BlockRefusal &why) {
  if (why.why != BlockRefusal::Why::MapFull)
    return;
  events_.write({{"event", "block_refused"},
                 {"target", rules::toString(target)},
                 {"source", toString(source)},
                 {"reason", "the block map is full"}});
}

std::vector<std::string> Enforcer::warnings() const {
  std::vector<std::string> out;
  std::uint64_t refused = 0;
  for (const auto &[source, n] : rules_.refusedFull())
    refused += n;
  if (refused)
    out.push_back(fmt::format("the block map is full ({} rules, datapath.max_block_rules): {} block rules refused "
                              "so far (minewatch_block_rules_refused_total)",
                              rules_.blockCount(), refused));
  if (counters_.repins)
    out.push_back(fmt::format("pins under {} were removed under the running agent and pinned again ({} times, "
                              "last at {})",
                              place_.pin_dir, counters_.repins, util::rfc3339(counters_.last_repin_wall_ns)));
  if (!save_error_.empty())
    out.push_back("cannot save the rule book: " + save_error_);
  return out;
}

void Enforcer::shareBlock(const rules::RuleTarget &target, const std::string &reason) {
  // Called only for auto-blocks of confirmed mining (act): an operator's,
  // the config's or a file's rule is never shared, and neither is a removal
  // or an expiry — the shared rule outlives this node's TTL on purpose
  // (the fleet list is the operators' to prune).
  if (!fleet_)
    return;
  fleet_->share(rules::toString(target), "mining, auto-blocked on " + hostName() + ": " + reason);
}

void Enforcer::collectFleetShare() {
  if (!fleet_)
    return;
  for (const auto &o : fleet_->takeOutcomes()) {
    ++fleet_share_by_result_[o.result];
    nlohmann::json event = {
        {"event", "fleet_share"}, {"rule", o.rule}, {"result", o.result}, {"attempt", o.attempt}, {"final", o.final}};
    if (o.status)
      event["status"] = o.status;
    if (!o.detail.empty())
      event["detail"] = o.detail;
    events_.write(event);
  }
}

std::uint64_t Enforcer::fleetShared(const std::string &result) const {
  auto it = fleet_share_by_result_.find(result);
  return it == fleet_share_by_result_.end() ? 0 : it->second;
}

} // namespace minewatch::actions
