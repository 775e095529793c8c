// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "api/http_endpoint.hpp"

#include "datapath/monotonic_clock.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace minewatch::api {

namespace {
constexpr const char *kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
}

HttpEndpoint::HttpEndpoint(const config::ListenAddress &listen, std::uint32_t tick_ms)
    : server_(std::make_unique<httplib::Server>()),
      // Ten ticks, and never under 10 s: a slow drain of a full map must
      // not get a healthy agent restarted.
      stale_after_ns_(std::max<std::uint64_t>(10'000'000'000ull, std::uint64_t{tick_ms} * 10'000'000ull)) {
  // cpp-httplib sets SO_REUSEPORT by default, which lets a second agent
  // bind the same port and take half the scrapes. Only SO_REUSEADDR: a
  // restart must not wait out TIME_WAIT, a second agent must fail.
  server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
    std::lock_guard lock(mutex_);
    if (metrics_.empty()) {
      res.status = 503;
      res.set_content("no metrics yet: the agent has not finished its first tick\n", "text/plain");
      return;
    }
    res.set_content(metrics_, kMetricsType);
  });
  server_->Get("/healthz", [this](const httplib::Request &, httplib::Response &res) {
    bool ok = alive();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "stale: the event loop has not ticked lately\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request &, httplib::Response &res) {
    bool ready = ready_;
    bool ok = ready && alive();
    res.status = ok ? 200 : 503;
    std::lock_guard lock(mutex_);
    res.set_content(ok      ? std::string("ready\n")
                    : ready ? "not ready: the event loop has not ticked lately\n"
                            : "not ready: " + why_not_ready_ + "\n",
                    "text/plain");
  });
  if (!server_->bind_to_port(listen.host, listen.port))
    throw std::runtime_error("cannot listen on " + listen.host + ":" + std::to_string(listen.port) +
                             " for metrics and health (address in use, or not an address of this host)");
  port_ = listen.port;
  heartbeat_ns_ = datapath::monotonicNs(); // the first tick is due within stale_after_ns_
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the server runs: an agent that fails to
  // attach right after this would otherwise wait forever in the destructor.
  while (!server_->is_running() && thread_.joinable())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpEndpoint::~HttpEndpoint() {
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

void HttpEndpoint::publish(std::string metrics, std::uint64_t now_ns) {
  {
    std::lock_guard lock(mutex_);
    metrics_ = std::move(metrics);
  }
  heartbeat_ns_ = now_ns;
}

void HttpEndpoint::setReady(bool ready, std::string why_not) {
  if (!ready && !why_not.empty()) {
    std::lock_guard lock(mutex_);
    why_not_ready_ = std::move(why_not);
  }
  ready_ = ready;
}

bool HttpEndpoint::alive() const { return datapath::monotonicNs() - heartbeat_ns_.load() < stale_after_ns_; }

} // namespace minewatch::api
