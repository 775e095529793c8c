// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent's parts wired together; each does its own job (see agent.hpp).
#include "app/agent.hpp"

#include "api/json_views.hpp"
#include "confirm/confirm_trigger.hpp"
#include "confirm/confirmation_store.hpp"
#include "confirm/stratum_probe.hpp"
#include "lists/intel_files.hpp"

#include <netinet/in.h>

#include <filesystem>

#include <set>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

actions::EnforcerPlace placeOf(const DatapathInfo &info) {
  return {info.packets, info.tap, info.rules_file, info.previous_block_map_id, info.pin_dir};
}

std::vector<std::string> connectionsText(const std::vector<datapath::Endpoint> &connections) {
  std::vector<std::string> out;
  for (const auto &c : connections)
    out.push_back(net::endpointText(c.address, c.port));
  return out;
}

drain::DrainSettings drainSettings(const config::AgentConfig &config) {
  return {std::uint64_t{config.idle_timeout_s} * kNsPerSec, std::uint64_t{config.closed_timeout_s} * kNsPerSec,
          std::uint64_t{config.sweep_every_s} * kNsPerSec, config.sweep_in_kernel};
}
} // namespace

Agent::Agent(const config::AgentConfig &config, datapath::SensorObject &sensor, DatapathInfo info,
             util::TimeBase time_base, actions::EventLog &events)
    : config_(config), info_(std::move(info)), time_base_(time_base), events_(events),
      enforcer_(config, sensor, events, placeOf(info_)),
      judge_(
          config, lists::loadIntel(config, info_.notes), time_base,
          judge::JudgeHooks{
              [this](const judge::ActRequest &r) { return enforcer_.act(r); },
              [this](const judge::Detection &d) {
                auto event = api::detectionJson(d);
                event["event"] = "detection";
                events_.write(event);
              },
              [this](const judge::AssessedFlow &f) { maybeConfirm(f); },
              [this](const judge::FlowRoles &r) { return confirmer_ && confirmer_->ownConnection(r.client, r.server); },
              [this](const datapath::Endpoint &server) { return confirmer_ ? confirmer_->find(server) : nullptr; }},
          info_.packets == datapath::PacketSource::Capture),
      lists_(config, enforcer_, events, [this](detect::IntelFeed feed) { judge_.replaceIntel(std::move(feed)); }),
      drain_(sensor, drainSettings(config)), started_wall_ns_(util::wallNowNs()) {
  drain_.onSweep([this] { enforcer_.checkPins(); });
  // A capture is looked at, not answered: replay never opens a connection.
  if (config_.confirm.on && info_.packets != datapath::PacketSource::Capture) {
    auto settings = config_.confirm;
    confirmer_ = std::make_unique<confirm::Confirmer>(
        settings,
        [settings](const confirm::ProbeRequest &request, const confirm::ProbeContext &context) {
          return confirm::askInStratum(request, settings, context);
        },
        [this](const datapath::Endpoint &server) {
          return enforcer_.rules()
              .allowing(rules::EndpointTarget{server.address, server.port, IPPROTO_TCP})
              .has_value();
        },
        [this](const datapath::Endpoint &server) {
          return enforcer_.rules().find(rules::EndpointTarget{server.address, server.port, IPPROTO_TCP}) != nullptr;
        });
    if (!info_.rules_file.empty())
      confirmations_file_ = (std::filesystem::path(info_.rules_file).parent_path() / "confirmations.json").string();
  }
  if (!config_.export_ipfix.empty()) {
    ipfix::FlowExportOptions options;
    options.exporter.target = *ipfix::parseTarget(config_.export_ipfix); // validated with the config
    options.exporter.template_refresh_s = config_.export_template_refresh_s;
    options.exporter.max_queue = config_.export_max_queue;
    // The observation domain is the interface the flows were metered on.
    options.exporter.domain_id = static_cast<std::uint32_t>(info_.ifindex);
    options.active_timeout_s = config_.export_active_timeout_s;
    options.forget_after_ns =
        2 * kNsPerSec *
        (std::uint64_t{config_.export_active_timeout_s} + config_.idle_timeout_s + config_.sweep_every_s);
    export_ = std::make_unique<ipfix::FlowExport>(options, time_base_);
  }
}

void Agent::start(std::uint64_t now_ns) {
  enforcer_.start(now_ns);
  lists_.start();
  enforcer_.startFleetShare();
  if (confirmer_ && !confirmations_file_.empty()) {
    std::string warning;
    auto saved = confirm::loadConfirmations(confirmations_file_, warning);
    if (!warning.empty())
      events_.write({{"event", "warning"}, {"message", warning}});
    confirmer_->restore(saved, util::wallNowNs());
  }
  auto loaded = lists_.reload(now_ns, true);
  for (const auto &error : loaded.errors)
    events_.write({{"event", "warning"}, {"message", error}});
  events_.write({{"event", "agent_started"},
                 {"interface", info_.interface},
                 {"xdp_mode", datapath::toString(info_.xdp_mode)},
                 {"tap", info_.tap},
                 {"rules", enforcer_.rules().blockCount()},
                 {"allows", enforcer_.rules().allows().size()},
                 {"notes", info_.notes}});
  enforcer_.save();
}

void Agent::tick(std::uint64_t now_ns) {
  tick_now_ns_ = now_ns;
  auto drained = drain_.drain(now_ns, *this);
  judge_.endDrain(drained, now_ns);
  for (const auto &key : ended_)
    judge_.forget(key);
  ended_.clear();
  ++ticks_;
  enforcer_.tick(now_ns);
  if (export_)
    export_->tick(now_ns, util::wallNowNs());
  if (confirmer_)
    collectConfirmations(util::wallNowNs());
  tick_times_.observe(static_cast<double>(drain_.counters().last_ns) / 1e9);
  enforcer_.save(); // whatever this tick, or the reload before it, changed
}

bool Agent::onFlow(const drain::DrainedFlow &flow) {
  bool fresh = judge_.onFlow(flow, tick_now_ns_);
  // Export: a record when the flow ends, or when its active timeout is due.
  if (export_)
    exportFlow(flow);
  if (flow.ended)
    ended_.push_back(flow.key);
  return fresh;
}

void Agent::maybeConfirm(const judge::AssessedFlow &flow) {
  if (!confirmer_ || flow.roles.proto != IPPROTO_TCP)
    return;
  const auto &facts = flow.facts;
  bool tls = facts.tls_hello.has_value() || (!facts.messages.empty() && facts.messages.front().tls_type == 22);
  if (!confirm::worthConfirming(config_.confirm.when, flow.assessment, tls))
    return;
  confirm::ProbeRequest request{flow.roles.server, tls, facts.tls_hello ? facts.tls_hello->sni : std::string()};
  std::string refusal;
  if (confirmer_->ask(request, util::wallNowNs(), &refusal, flow.assessment.confidence) == confirm::Ask::Refused)
    events_.write({{"event", "confirm_skipped"},
                   {"server", net::endpointText(request.server.address, request.server.port)},
                   {"reason", refusal}});
}

void Agent::collectConfirmations(std::uint64_t wall_ns) {
  auto finished = confirmer_->poll(wall_ns);
  if (finished.empty())
    return;
  for (const auto &c : finished) {
    auto event = api::confirmationJson(c);
    event["event"] = "confirm";
    event["connections"] = connectionsText(c.report.connections);
    events_.write(event);
    if (c.report.result != confirm::ConfirmResult::Failed)
      judge_.judgeAgain(c.asked.server, tick_now_ns_);
  }
  if (confirmations_file_.empty())
    return;
  try {
    confirm::saveConfirmations(confirmations_file_, confirmer_->all());
  } catch (const std::exception &e) {
    events_.write({{"event", "warning"}, {"message", std::string("cannot save confirmations: ") + e.what()}});
  }
}

bool Agent::onVanished(const minewatch_flow_key &key) { return judge_.onVanished(key); }

void Agent::exportFlow(const drain::DrainedFlow &flow) {
  ipfix::FlowLabels labels;
  const ipfix::FlowLabels *have = nullptr;
  if (const auto *record = judge_.table().find(flow.key); record && record->facts) {
    const auto &known = *record->facts;
    labels.verdict = static_cast<std::uint8_t>(known.assessment.verdict);
    labels.confidence = known.assessment.confidence;
    labels.server_name = known.server_name;
    labels.ja3 = known.tls_fingerprint;
    if (known.tls_hello)
      labels.ja4 = known.tls_hello->ja4;
    std::set<detect::Detector> detectors;
    for (const auto &e : known.assessment.evidence)
      detectors.insert(e.detector);
    for (auto d : detectors)
      labels.detectors += (labels.detectors.empty() ? "" : ",") + std::string(detect::toString(d));
    have = &labels;
  }
  std::optional<ipfix::EndReason> ended;
  if (flow.ended)
    ended = *flow.ended == drain::FlowEnd::Closed ? ipfix::EndReason::EndOfFlow : ipfix::EndReason::Idle;
  export_->onFlow(flow.key, flow.value, judge::rolesOf(flow.key, flow.value).client_dir, have, ended, tick_now_ns_);
}

void Agent::onDetached(const std::string &why) {
  if (!info_.attached) {
    // Still away, for a new reason (an attach that failed): said once.
    if (why != info_.detached_reason)
      events_.write({{"event", "warning"}, {"message", why}});
    info_.detached_reason = why;
    return;
  }
  ++interface_lost_;
  events_.write({{"event", "interface_lost"},
                 {"interface", info_.interface},
                 {"ifindex", info_.ifindex},
                 {"reason", why},
                 {"rules", enforcer_.rules().blockCount()}});
  // The mode stays as it was: the metric's labels do not churn while the
  // interface is away, only its value drops.
  info_.attached = false;
  info_.detached_reason = why;
  info_.detached_since_wall_ns = util::wallNowNs();
  info_.xdp_prog_id = info_.tc_prog_id = info_.tc_ingress_prog_id = 0;
  info_.tc_attached = false;
}

void Agent::onAttached(DatapathInfo info) {
  // What an attachment cannot describe stays as the agent started with it.
  info.rules_file = info_.rules_file;
  info.previous_block_map_id = info_.previous_block_map_id;
  info.packets = info_.packets;
  info_ = std::move(info);
  events_.write({{"event", "interface_reattached"},
                 {"interface", info_.interface},
                 {"ifindex", info_.ifindex},
                 {"ingress_hook", datapath::ingressHookName(info_.ingress_hook)},
                 {"xdp_mode", datapath::toString(info_.xdp_mode)},
                 {"rules", enforcer_.rules().blockCount()}});
}

api::AgentView Agent::view() const {
  return {config_,          info_,       drain_, judge_,          enforcer_,        lists_,    export_.get(),
          confirmer_.get(), tick_times_, ticks_, interface_lost_, started_wall_ns_, time_base_};
}

} // namespace minewatch::app
