// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "fleet/configmap_patcher.hpp"

#include <httplib.h>

#include <algorithm>

namespace minewatch::fleet {

namespace {
// A bound on memory, not on rules: auto-blocks are bounded by the rule map,
// and a rule forgotten here is at worst sent again (the same key and value).
constexpr std::size_t kKnownLimit = 65536;

bool retryable(const ShareOutcome &o) {
  if (o.result == "rejected") // 403 (no RBAC) or 422 will not heal; overload and restarts will
    return o.status == 429 || o.status >= 500;
  return o.result != "ok" && o.result != "queue_full";
}

std::string resultOf(httplib::Error error) {
  switch (error) {
  case httplib::Error::SSLConnection:
  case httplib::Error::SSLLoadingCerts:
  case httplib::Error::SSLServerVerification: return "tls_error";
  case httplib::Error::Connection:
  case httplib::Error::ConnectionTimeout:
  case httplib::Error::BindIPAddress: return "unreachable";
  default: return "no_answer";
  }
}
} // namespace

ConfigMapPatcher::ConfigMapPatcher(PatcherOptions options) : options_(std::move(options)), worker_([this] { run(); }) {}

ConfigMapPatcher::~ConfigMapPatcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    if (in_flight_)
      in_flight_->stop();
  }
  wake_.notify_all();
  worker_.join();
}

bool ConfigMapPatcher::share(const std::string &canonical_rule, const std::string &why) {
  std::lock_guard lock(mutex_);
  if (known_.count(canonical_rule))
    return false;
  if (queue_.size() >= options_.queue_limit) {
    outcomes_.push_back(
        {canonical_rule, 0, "queue_full", "more rules waiting than actions.fleet_share allows", 0, true});
    return false;
  }
  if (known_.size() >= kKnownLimit)
    known_.clear();
  known_.insert(canonical_rule);
  queue_.push_back({canonical_rule, why});
  wake_.notify_all();
  return true;
}

std::vector<ShareOutcome> ConfigMapPatcher::takeOutcomes() {
  std::lock_guard lock(mutex_);
  return std::exchange(outcomes_, {});
}

std::size_t ConfigMapPatcher::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + (busy_ ? 1 : 0);
}

ShareOutcome ConfigMapPatcher::attempt(const Job &job, unsigned number) {
  ShareOutcome out{job.rule, number, "", "", 0, false};
  ApiAccess access;
  try {
    access = loadApiAccess(options_.api_url, options_.credentials_dir);
  } catch (const std::exception &e) {
    out.result = "no_credentials";
    out.detail = e.what();
    return out;
  }
  auto request = patchRequest(access, options_.configmap, job.rule, job.why);
  httplib::SSLClient client(access.host, access.port);
  client.enable_server_certificate_verification(true);
  client.set_ca_cert_path(access.ca_file);
  client.set_connection_timeout(options_.timeout);
  client.set_read_timeout(options_.timeout);
  client.set_write_timeout(options_.timeout);
  {
    std::lock_guard lock(mutex_);
    if (stop_) {
      out.result = "no_answer";
      out.detail = "the agent is stopping";
      return out;
    }
    in_flight_ = &client;
  }
  auto result = client.Patch(request.path, {{"Authorization", request.authorization}, {"Accept", "application/json"}},
                             request.body, request.content_type.c_str());
  {
    std::lock_guard lock(mutex_);
    in_flight_ = nullptr;
  }
  if (!result) {
    out.result = resultOf(result.error());
    out.detail = httplib::to_string(result.error());
    return out;
  }
  out.status = result->status;
  out.result = result->status / 100 == 2 ? "ok" : "rejected";
  // The API server's Status message says why (e.g. forbidden: which verb).
  out.detail = out.result == "ok" ? "" : result->body.substr(0, 300);
  return out;
}

void ConfigMapPatcher::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_)
        return;
      job = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    auto backoff = options_.first_backoff;
    for (unsigned number = 1;; ++number) {
      auto outcome = attempt(job, number);
      outcome.final = !retryable(outcome) || number >= options_.max_attempts;
      bool done = outcome.final;
      {
        // One step: the outcome is there before the job stops being pending.
        std::lock_guard lock(mutex_);
        if (done) {
          busy_ = false;
          if (outcome.result != "ok")
            known_.erase(outcome.rule); // a later block of it tries again
        }
        outcomes_.push_back(std::move(outcome));
      }
      if (done)
        break;
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, backoff, [this] { return stop_; }))
        return;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

} // namespace minewatch::fleet
