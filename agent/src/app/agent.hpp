// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/enforcer.hpp"
#include "actions/event_log.hpp"
#include "api/agent_view.hpp"
#include "config/agent_config.hpp"
#include "confirm/confirmer.hpp"
#include "datapath/datapath_info.hpp"
#include "datapath/sensor_object.hpp"
#include "drain/flow_drain.hpp"
#include "export/flow_export.hpp"
#include "judge/judge.hpp"
#include "lists/list_sync.hpp"
#include "util/time_format.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace minewatch::app {

using datapath::DatapathInfo;

/// The agent, wired: independent of how packets arrive (live interface or
/// pcap replay) and of how it is asked (control socket, replay report).
///   - drain::FlowDrain reads the kernel's flow map and counters, each tick;
///   - judge::Judge makes verdicts from what the drain read and the samples;
///   - actions::Enforcer acts on them and on operators' rule commands;
///   - lists::ListSync keeps the watched rule and intel files applied;
///   - confirm::Confirmer asks suspected servers in Stratum (live only);
///   - api:: answers from view(), as of the last tick.
class Agent final : private drain::DrainSink {
public:
  Agent(const config::AgentConfig &config, datapath::SensorObject &sensor, DatapathInfo info, util::TimeBase time_base,
        actions::EventLog &events);

  /// Restores the rule book, applies the config's rules and the list files.
  void start(std::uint64_t now_ns);
  /// One ring-buffer record (a payload sample).
  void onRecord(std::span<const std::byte> record) { judge_.onRecord(record); }
  /// The finished messages waiting on their ring (a tick takes them too).
  void pollMessages() { drain_.pollMessages(*this); }
  /// The periodic work: drain (and judge what it read), expire rules,
  /// export, save the rule book.
  void tick(std::uint64_t now_ns);
  /// See ListSync::reload.
  lists::ListReload reloadLists(std::uint64_t now_ns, bool force = false) { return lists_.reload(now_ns, force); }
  /// See Enforcer::shutdown.
  std::size_t shutdown() { return enforcer_.shutdown(); }
  /// The interface went away (`why`): status, metrics and readiness say
  /// so until onAttached. Writes an interface_lost event.
  void onDetached(const std::string &why);
  /// The programs are on the interface again, as `info` describes them.
  void onAttached(DatapathInfo info);
  void setPinCheck(std::function<std::vector<std::string>()> check) { enforcer_.setPinCheck(std::move(check)); }
  [[nodiscard]] std::vector<std::string> watchedPaths() const { return lists_.watchedPaths(); }

  /// What the API answers from (api/queries.hpp, api/control_commands.hpp).
  [[nodiscard]] api::AgentView view() const;
  /// Where operators' rule commands go.
  [[nodiscard]] actions::Enforcer &enforcer() { return enforcer_; }
  [[nodiscard]] const judge::Judge &judge() const { return judge_; }
  [[nodiscard]] const DatapathInfo &datapath() const { return info_; }

private:
  bool onFlow(const drain::DrainedFlow &flow) override;
  bool onVanished(const minewatch_flow_key &key) override;
  std::uint32_t readFrom(const minewatch_flow_key &key) override { return judge_.readFrom(key, tick_now_ns_); }
  std::vector<minewatch_flow_key> takeReadNow() override { return judge_.takeFactsNews(); }
  void onMessage(const datapath::FlowMessage &message) override { judge_.onMessage(message); }
  /// Hands a flow the drain read to the IPFIX export, with the judge's labels.
  void exportFlow(const drain::DrainedFlow &flow);
  /// A flow judged with evidence: ask its server when worth it.
  void maybeConfirm(const judge::AssessedFlow &flow);
  /// Probes that finished: events, the judge's view, the saved file.
  void collectConfirmations(std::uint64_t wall_ns);

  config::AgentConfig config_;
  DatapathInfo info_;
  util::TimeBase time_base_;
  actions::EventLog &events_;
  actions::Enforcer enforcer_;
  judge::Judge judge_;
  lists::ListSync lists_;
  drain::FlowDrain drain_;
  std::unique_ptr<ipfix::FlowExport> export_;     // null: export off
  std::unique_ptr<confirm::Confirmer> confirmer_; // null: confirm.mode off, or a capture
  std::string confirmations_file_;                // empty: not saved
  api::DrainHistogram tick_times_;
  std::uint64_t ticks_ = 0;
  std::uint64_t interface_lost_ = 0;
  std::uint64_t started_wall_ns_;
  std::uint64_t tick_now_ns_ = 0;         // the tick in progress, for the drain's callbacks
  std::vector<minewatch_flow_key> ended_; // flows over this tick: forgotten once judged
};

} // namespace minewatch::app
