// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "confirm/confirmation.hpp"
#include "confirm/probe_policy.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace minewatch::confirm {

/// What a probe is handed besides its request: when to give up, and whom
/// to tell each connection it opens (its local endpoint), so the agent does
/// not judge its own probes as the traffic it watches.
struct ProbeContext {
  const std::atomic<bool> &cancel;
  std::function<void(const datapath::Endpoint &local)> connected;
};

/// Asks a server, off the caller's thread, and returns what it showed.
/// Must return within the config's timeouts and give up soon after
/// `context.cancel` turns true.
using ProbeFunction = std::function<ProbeReport(const ProbeRequest &, const ProbeContext &context)>;

/// What became of a request to confirm an endpoint.
enum class Ask : std::uint8_t {
  Queued,    // a probe will go out
  Known,     // a result stands (or a failed probe's backoff runs)
  Pending,   // already queued or running
  Refused,   // the policy forbids probing it (first time: the caller says so once)
  Forbidden, // refused before: nothing new to say
  QueueFull, // too many waiting; asked again on a later judgement
  Off,       // confirm.mode: off
};

struct ConfirmerCounters {
  std::uint64_t probes[3] = {}; // by ConfirmResult
  std::uint64_t refused = 0;    // endpoints the policy kept from a probe
  std::uint64_t dropped = 0;    // requests the full queue turned away
  std::uint64_t skipped = 0;    // endpoints blocked by the time their turn came: nothing to ask
};

/// The confirmer's bookkeeping, safe by construction: the event loop asks
/// (ask) and collects (poll); probes run on at most `concurrency` threads
/// of their own, at most one started per `min_interval_s`, each bounded by
/// the probe's timeouts. One result per endpoint stands for cache_ttl_s
/// (a failed probe: retry_s, doubling up to cache_ttl_s), so an endpoint
/// is probed at most once per TTL.
class Confirmer {
public:
  /// `allowlisted`: whether the operator allowlisted an endpoint (never
  /// probed, like the policy's ranges). `blocked`: whether a rule drops
  /// it now (its turn is skipped: the probe could only fail).
  Confirmer(const config::ConfirmConfig &config, ProbeFunction probe,
            std::function<bool(const datapath::Endpoint &)> allowlisted,
            std::function<bool(const datapath::Endpoint &)> blocked = {});
  Confirmer(const Confirmer &) = delete;
  Confirmer &operator=(const Confirmer &) = delete;
  /// Cancels running probes and waits for them (each gives up promptly).
  ~Confirmer();

  /// A suspected flow's server. `refusal` is set when Ask::Refused. The
  /// queue goes by `priority` (the flow's confidence: the most suspected
  /// server is asked first), then by who asked first.
  Ask ask(const ProbeRequest &request, std::uint64_t wall_ns, std::string *refusal = nullptr, double priority = 0);
  /// Starts what the rate and concurrency allow; returns the probes that
  /// finished since the last poll (their results now stand).
  std::vector<Confirmation> poll(std::uint64_t wall_ns);
  /// Results saved by an earlier run (expired ones are dropped).
  void restore(const std::vector<Confirmation> &saved, std::uint64_t wall_ns);

  /// The standing result for an endpoint, expired or not; null if none.
  [[nodiscard]] const Confirmation *find(const datapath::Endpoint &server) const;
  [[nodiscard]] std::vector<Confirmation> all() const;
  [[nodiscard]] const ConfirmerCounters &counters() const { return counters_; }
  /// Endpoints queued or being probed.
  [[nodiscard]] std::size_t pending() const { return queue_.size() + running_.size(); }
  [[nodiscard]] bool on() const { return config_.on; }
  /// Whether client -> server is one of the confirmer's own connections
  /// (in the last kOwnConnectionMemoryNs): not traffic to judge. Any thread.
  [[nodiscard]] bool ownConnection(const datapath::Endpoint &client, const datapath::Endpoint &server) const;
  static constexpr std::uint64_t kOwnConnectionMemoryNs = 30 * 60 * 1'000'000'000ull;

  struct Queued {
    ProbeRequest request;
    double priority = 0;
    std::uint64_t seq = 0;
  };

private:
  struct Running {
    ProbeRequest request;
    std::shared_ptr<std::atomic<bool>> done;
    std::jthread thread;
  };
  struct Finished {
    ProbeRequest request;
    ProbeReport report;
  };
  void start(const ProbeRequest &request);
  Confirmation settle(const ProbeRequest &request, const ProbeReport &report, std::uint64_t wall_ns);

  config::ConfirmConfig config_;
  ProbeFunction probe_;
  std::function<bool(const datapath::Endpoint &)> allowlisted_;
  std::function<bool(const datapath::Endpoint &)> blocked_;
  ProbePolicy policy_;
  std::map<EndpointKey, Confirmation> known_;
  std::set<EndpointKey> forbidden_; // refused by policy (bounded: cleared when full)
  std::vector<Queued> queue_;       // in turn order (short: confirm.queue)
  std::uint64_t next_seq_ = 0;
  std::vector<Running> running_;
  std::uint64_t next_start_wall_ns_ = 0;
  std::atomic<bool> cancel_{false};
  std::mutex finished_mutex_;
  std::vector<Finished> finished_; // written by probe threads
  struct OwnConnection {
    EndpointKey local, remote;
    auto operator<=>(const OwnConnection &) const = default;
  };
  mutable std::mutex own_mutex_;
  std::map<OwnConnection, std::uint64_t> own_; // -> when opened (wall ns, as of the last poll)
  std::atomic<std::size_t> own_size_{0};       // own_.size(), read without the lock
  std::uint64_t last_poll_wall_ns_ = 0;
  ConfirmerCounters counters_;
};

} // namespace minewatch::confirm
