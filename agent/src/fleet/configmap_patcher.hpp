// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "fleet/fleet_patch.hpp"
#include "fleet/patch_request.hpp"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class SSLClient;
}

namespace minewatch::fleet {

struct PatcherOptions {
  std::string api_url; // empty: KUBERNETES_SERVICE_HOST/PORT
  std::string credentials_dir = kServiceAccountDir;
  std::string configmap = FleetTarget{}.configmap;
  std::size_t queue_limit = 64; // rules waiting; more are dropped and counted
  unsigned max_attempts = 5;
  std::chrono::milliseconds first_backoff{1000}; // doubled after each failure
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::seconds timeout{5}; // connect, read and write, each
};

/// Every result an attempt can have: the label values of
/// minewatch_fleet_share_total, all exported from the start.
inline constexpr std::array<const char *, 7> kShareResults = {"ok",        "rejected",       "tls_error", "unreachable",
                                                              "no_answer", "no_credentials", "queue_full"};

/// One attempt, or one rule refused before any: what the agent turns into
/// an event and a metric on its own thread.
struct ShareOutcome {
  std::string rule;
  unsigned attempt = 0;
  // ok | rejected (HTTP status) | tls_error | unreachable | no_answer |
  // no_credentials | queue_full
  std::string result;
  std::string detail;
  int status = 0;     // HTTP status when one came back
  bool final = false; // no further attempt for this rule
};

/// Adds rules to the fleet blocklist ConfigMap through the API server, on a
/// thread of its own: the agent's loop only queues (share) and collects
/// what happened (takeOutcomes), so a slow or dead API server never delays
/// a tick. Each rule is sent once (retried with backoff while the API server
/// is unreachable or answers 429/5xx); a rule already queued or shared is
/// not sent again.
class ConfigMapPatcher {
public:
  explicit ConfigMapPatcher(PatcherOptions options);
  ConfigMapPatcher(const ConfigMapPatcher &) = delete;
  ConfigMapPatcher &operator=(const ConfigMapPatcher &) = delete;
  /// Stops the worker, cutting a request in flight short.
  ~ConfigMapPatcher();

  /// Queues `canonical_rule`; false when it is already queued or shared, or
  /// the queue is full (then a queue_full outcome says so).
  bool share(const std::string &canonical_rule, const std::string &why);
  /// Everything that happened since the last call, oldest first.
  std::vector<ShareOutcome> takeOutcomes();
  /// Rules queued or being sent (a request in flight or a backoff).
  [[nodiscard]] std::size_t pending() const;

private:
  struct Job {
    std::string rule, why;
  };
  void run();
  ShareOutcome attempt(const Job &job, unsigned number);

  PatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::deque<Job> queue_;
  bool busy_ = false;           // the worker holds a job
  std::set<std::string> known_; // queued, in flight or shared
  std::vector<ShareOutcome> outcomes_;
  httplib::SSLClient *in_flight_ = nullptr; // to cut short on stop
  std::thread worker_;
};

} // namespace minewatch::fleet
