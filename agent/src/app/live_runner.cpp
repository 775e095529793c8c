// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/live_runner.hpp"

#include "app/agent.hpp"
#include "api/http_endpoint.hpp"
#include "app/interface_keeper.hpp"
#include "api/metrics_text.hpp"
#include "bpf/ring_buffer.hpp"
#include "api/control_commands.hpp"
#include "api/queries.hpp"
#include "control/unix_server.hpp"
#include "datapath/monotonic_clock.hpp"
#include "datapath/attached_sensor.hpp"
#include "lists/path_watch.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <system_error>

namespace minewatch::app {

namespace {
bpf::UniqueFd makeSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "block signals");
  bpf::UniqueFd fd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid())
    throw std::system_error(errno, std::generic_category(), "signalfd");
  return fd;
}

bpf::UniqueFd makeTimerFd(std::uint32_t tick_ms) {
  bpf::UniqueFd fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd.valid())
    throw std::system_error(errno, std::generic_category(), "timerfd");
  itimerspec spec{};
  spec.it_interval.tv_sec = tick_ms / 1000;
  spec.it_interval.tv_nsec = static_cast<long>(tick_ms % 1000) * 1'000'000;
  spec.it_value = spec.it_interval;
  if (timerfd_settime(fd.get(), 0, &spec, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "arm tick timer");
  return fd;
}

void watch(int epoll, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

std::unique_ptr<api::HttpEndpoint> makeHttpEndpoint(const config::AgentConfig &config) {
  if (config.http_listen.empty())
    return nullptr;
  return std::make_unique<api::HttpEndpoint>(*config::parseListen(config.http_listen), config.tick_ms);
}

/// The control socket's share of /metrics: what it turned away and dropped
/// is otherwise only in `status --json`.
std::string controlMetrics(const control::ServerStats &stats) {
  api::MetricsText m;
  m.family("minewatch_control_clients", "gauge", "Control socket connections open now");
  m.sample("minewatch_control_clients", static_cast<double>(stats.clients));
  m.family("minewatch_control_refused_total", "counter",
           "Control connections turned away at the connection cap or the fd limit");
  m.sample("minewatch_control_refused_total", static_cast<double>(stats.refused));
  m.family("minewatch_control_dropped_total", "counter",
           "Control clients closed by the agent: not reading, too much output waiting, idle at the cap");
  m.sample("minewatch_control_dropped_total", static_cast<double>(stats.dropped));
  return m.text();
}

void reportReload(const lists::ListReload &reload) {
  if (!reload.changed)
    return;
  fmt::print(stderr,
             "minewatch-agent: lists loaded: {} block and {} allow rules from files (+{} -{} blocks), "
             "{} intel entries{}\n",
             reload.block_rules, reload.allow_rules, reload.blocks_added, reload.blocks_removed, reload.intel_entries,
             reload.errors.empty()
                 ? ""
                 : fmt::format("; {} problems, first: {}", reload.errors.size(), reload.errors.front()));
}
} // namespace

int runLive(const config::AgentConfig &config, bool verbose) {
  (void)verbose;
  // Signals first: the HTTP thread inherits the mask, and a SIGTERM
  // delivered to a thread that has it unblocked would kill the process
  // without the graceful shutdown.
  auto signals = makeSignalFd();
  // Bind the HTTP port before attaching: a port in use is the likelier
  // mistake and must not leave a half-started agent behind.
  auto http = makeHttpEndpoint(config);
  // The control socket too: a second agent started by mistake must stop
  // here, before it attaches over the programs of the one that serves it.
  // Requests are read only by the loop below, once the agent exists.
  // (Privileges first: without them the socket's directory is the wrong
  // thing to complain about.)
  datapath::checkPrivileges();
  Agent *serving = nullptr;
  control::UnixServer *self = nullptr;
  control::ServerOptions control_options;
  control_options.path = config.socket_path;
  control_options.group = config.socket_gid;
  control::UnixServer server(
      control_options,
      [&](std::string_view line, const control::Peer &peer) {
        auto stats = self->stats();
        return api::handleRequest(serving->view(), serving->enforcer(), line, peer, datapath::monotonicNs(), &stats);
      },
      [](const std::string &note) { fmt::print(stderr, "minewatch-agent: {}\n", note); });
  self = &server;
  auto options = config.sensor;
  options.enforce = !config.tap;
  datapath::AttachedSensor sensor(
      options, {config.interface, config.xdp_mode, config.ingress_hook, config.tap, config.pin_root});
  actions::EventLog events(config.events);
  auto info = describe(sensor, config.tap);
  info.rules_file = config.state_dir.empty() ? "" : config.state_dir + "/" + sensor.interface() + "/rules.json";
  info.previous_block_map_id = sensor.previousBlockMapId();
  for (const auto &note : info.notes)
    fmt::print(stderr, "minewatch-agent: {}\n", note);
  Agent agent(config, sensor.object(), info, util::TimeBase::live(), events);
  agent.setPinCheck([&sensor] { return sensor.repinLost(); });
  lists::PathWatch list_watch(agent.watchedPaths());
  agent.start(datapath::monotonicNs());
  InterfaceKeeper keeper(sensor, agent, config.tap);

  bpf::RingBuffer samples(sensor.object().samplesFd(),
                          [&](std::span<const std::byte> record) { agent.onRecord(record); });
  serving = &agent;
  auto timer = makeTimerFd(config.tick_ms);

  bpf::UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  watch(epoll.get(), signals.get());
  watch(epoll.get(), timer.get());
  watch(epoll.get(), samples.epollFd());
  watch(epoll.get(), server.fd());
  watch(epoll.get(), keeper.fd());
  if (list_watch.fd() >= 0)
    watch(epoll.get(), list_watch.fd());
  fmt::print(stderr, "minewatch-agent: watching {} ({}, {}), control socket {}{}\n", sensor.interface(),
             sensor.ingressHook() == datapath::IngressHook::Tc ? std::string("TC ingress") : "XDP " + sensor.xdpMode(),
             config.tap ? "tap mode" : "TC egress", config.socket_path,
             http ? fmt::format(", metrics and health on http://{}/metrics", config.http_listen) : "");

  // inotify says "look again"; the fingerprint decides. A file changed in a
  // way inotify cannot see (a directory created after start) is still
  // caught by the periodic look.
  constexpr std::uint64_t kRecheckNs = 30'000'000'000ull;
  bool lists_dirty = false;
  std::uint64_t last_list_check = datapath::monotonicNs();

  epoll_event events_ready[32];
  for (;;) {
    int n = epoll_wait(epoll.get(), events_ready, 32, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events_ready[i].data.fd;
      if (fd == signals.get()) {
        signalfd_siginfo info_sig{};
        if (read(signals.get(), &info_sig, sizeof info_sig) != sizeof info_sig)
          continue;
        if (info_sig.ssi_signo == SIGHUP) {
          reportReload(agent.reloadLists(datapath::monotonicNs(), true));
          continue;
        }
        samples.consume();
        if (http)
          http->setReady(false, "shutting down");
        auto removed = agent.shutdown();
        if (config.shutdown == config::ShutdownMode::KeepAttached)
          sensor.keepAttached();
        fmt::print(stderr, "minewatch-agent: {} received, {}\n", strsignal(static_cast<int>(info_sig.ssi_signo)),
                   config.shutdown == config::ShutdownMode::KeepAttached
                       ? "leaving the programs attached: block rules stay enforced (shutdown: keep-attached)"
                   : config.shutdown == config::ShutdownMode::FailOpen
                       ? fmt::format("detaching and removing {} block rules (shutdown: fail-open)", removed)
                       : "detaching (block rules stay pinned: shutdown: fail-safe)");
        return 0;
      } else if (fd == timer.get()) {
        std::uint64_t expirations = 0;
        if (read(timer.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
          throw std::system_error(errno, std::generic_category(), "read tick timer");
        samples.consume();
        auto now = datapath::monotonicNs();
        // Reloads ride on the tick: a burst of inotify events (the
        // kubelet's swap makes several) costs one reread.
        if (lists_dirty || now - last_list_check >= kRecheckNs) {
          reportReload(agent.reloadLists(now));
          lists_dirty = false;
          last_list_check = now;
        }
        keeper.onTick(now);
        agent.tick(now);
        server.sweep();
        if (http) {
          http->publish(api::metricsText(agent.view(), now) + controlMetrics(server.stats()), datapath::monotonicNs());
          // Detached is not ready: nothing is enforced. The loop is
          // fine, so /healthz stays green and nothing restarts us.
          http->setReady(keeper.attached(), keeper.whyDetached());
        }
      } else if (fd == keeper.fd()) {
        keeper.onLinkEvents(datapath::monotonicNs());
        if (http && !keeper.attached())
          http->setReady(false, keeper.whyDetached());
      } else if (fd == list_watch.fd()) {
        lists_dirty |= list_watch.drain();
      } else if (fd == samples.epollFd()) {
        samples.consume();
      } else if (fd == server.fd()) {
        server.poll(); // never waits for a client
      }
    }
  }
}

} // namespace minewatch::app
