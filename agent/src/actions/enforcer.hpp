// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/autoblock_guard.hpp"
#include "actions/bpf_block_maps.hpp"
#include "actions/event_log.hpp"
#include "actions/rule_book.hpp"
#include "config/agent_config.hpp"
#include "datapath/sensor_object.hpp"
#include "fleet/configmap_patcher.hpp"
#include "judge/judge.hpp"
#include "rules/rule_target.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace minewatch::actions {

/// Where the enforcer stands: facts of the deployment it cannot change.
struct EnforcerPlace {
  PacketSource packets = PacketSource::Live;
  bool tap = false;                        // rules are counted, never enforced: auto-block only alerts
  std::string rules_file;                  // the saved rule book; empty: not kept (replay)
  std::uint32_t previous_block_map_id = 0; // the block map pinned at start (MapPinning)
  std::string pin_dir;
};

struct EnforcerCounters {
  std::uint64_t blocks_added = 0;
  std::uint64_t blocks_expired = 0;
  std::uint64_t rule_book_saves = 0;
  std::uint64_t rule_book_save_errors = 0;
  std::uint64_t repins = 0; // sweeps that found pins removed and pinned them again
  std::uint64_t last_repin_wall_ns = 0;
};

/// Everything that puts rules in the kernel or takes them out: the rule
/// book over the block maps, auto-block of mining verdicts (with its
/// guard), operators' rule commands, TTL expiry, the saved rule book and
/// the pins behind it, and fleet_share. List files are ListSync's, through
/// rules().
class Enforcer {
public:
  Enforcer(const config::AgentConfig &config, datapath::SensorObject &sensor, EventLog &events, EnforcerPlace place);

  /// Restores the saved rule book, applies the config's allows and blocks.
  void start(std::uint64_t now_ns);
  /// Starts fleet_share when the config asks. Throws on a deployment
  /// mistake (no API token).
  void startFleetShare();
  /// A mining verdict: block its server unless something says not to.
  judge::Action act(const judge::ActRequest &request);
  /// Rules whose TTL ran out go; what fleet_share did is written as events.
  void tick(std::uint64_t now_ns);

  // Operators' commands; each throws std::invalid_argument with a sentence.
  /// Returns the rule's text. `everything`: a rule covering all of IPv4 is meant.
  std::string blockAdd(const std::string &target, std::uint64_t ttl_s, std::uint64_t now_ns, bool everything = false);
  std::string blockDel(const std::string &target);
  /// Returns the rule's text and the blocks it lifted.
  std::pair<std::string, std::vector<std::string>> allowAdd(const std::string &target, bool everything = false);
  std::string allowDel(const std::string &target);

  /// On the way out, by config.shutdown: fail-open removes every block rule
  /// from the kernel; the others leave them. Returns how many were removed.
  std::size_t shutdown();
  /// Writes the rule book when it changed since the last write. A failure
  /// is reported and retried at the next change.
  void save();
  /// Pins again whatever was unpinned under the agent (live_runner hands in
  /// AttachedSensor::repinLost); called at every sweep.
  void setPinCheck(std::function<std::vector<std::string>()> check) { pin_check_ = std::move(check); }
  void checkPins();
  /// A block the map had no room for: an event (the book counts it).
  void reportRefused(const rules::RuleTarget &target, RuleSource source, const BlockRefusal &why);

  [[nodiscard]] RuleBook &rules() { return rules_; }
  [[nodiscard]] const RuleBook &rules() const { return rules_; }
  [[nodiscard]] std::uint32_t blockCapacity() const;
  [[nodiscard]] const EnforcerCounters &counters() const { return counters_; }
  [[nodiscard]] const std::string &saveError() const { return save_error_; }
  /// Sentences for `status` notes: a full block map, removed pins, a rule
  /// book that cannot be saved.
  [[nodiscard]] std::vector<std::string> warnings() const;
  [[nodiscard]] const fleet::ConfigMapPatcher *fleetShare() const { return fleet_.get(); }
  [[nodiscard]] std::uint64_t fleetShared(const std::string &result) const;

private:
  void warn(const std::string &message);
  void shareBlock(const rules::RuleTarget &target, const std::string &reason);
  void collectFleetShare();

  config::AgentConfig config_;
  datapath::SensorObject &sensor_;
  EventLog &events_;
  EnforcerPlace place_;
  BpfBlockMaps maps_;
  RuleBook rules_;
  EnforcerCounters counters_;
  std::uint64_t saved_generation_ = ~0ull;
  std::string save_error_;
  std::function<std::vector<std::string>()> pin_check_;
  std::map<std::string, std::uint64_t> fleet_share_by_result_;
  // fleet_share: null when off. Declared last, so it stops (and joins its
  // thread) before anything else goes.
  std::unique_ptr<fleet::ConfigMapPatcher> fleet_;
};

} // namespace minewatch::actions
