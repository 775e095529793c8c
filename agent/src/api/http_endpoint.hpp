// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace minewatch::api {

/// GET /metrics, /healthz and /readyz on their own thread (cpp-httplib).
/// The thread never touches the agent: the event loop publishes a rendered
/// metrics page and a heartbeat after every tick, and the thread serves the
/// latest of each. So a scrape costs the agent nothing, and a wedged event
/// loop shows as a stale heartbeat: liveness fails and the kubelet restarts
/// the pod.
class HttpEndpoint {
public:
  /// Binds at once, so a port in use is an error at start, not a silent
  /// missing endpoint. `tick_ms` sets how stale a heartbeat may get.
  HttpEndpoint(const config::ListenAddress &listen, std::uint32_t tick_ms);
  HttpEndpoint(const HttpEndpoint &) = delete;
  HttpEndpoint &operator=(const HttpEndpoint &) = delete;
  ~HttpEndpoint();

  /// After a tick: the new metrics page, and that the loop is alive.
  void publish(std::string metrics, std::uint64_t now_ns);
  /// Ready once attached, rules applied and the flow map drained once;
  /// `why_not`, when not ready, is what /readyz answers.
  void setReady(bool ready, std::string why_not = {});
  [[nodiscard]] std::uint16_t port() const { return port_; }

private:
  [[nodiscard]] bool alive() const;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::uint64_t stale_after_ns_;
  std::atomic<std::uint64_t> heartbeat_ns_{0};
  std::atomic<bool> ready_{false};
  mutable std::mutex mutex_;
  std::string metrics_;                                                     // guarded by mutex_
  std::string why_not_ready_ = "attaching, or the first drain is not done"; // guarded by mutex_
};

} // namespace minewatch::api
