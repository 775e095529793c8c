// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/confirmer.hpp"

#include <algorithm>

namespace minewatch::confirm {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;
constexpr std::size_t kMaxForbidden = 4096;

/// Most suspected first; among equals, who asked first.
bool before(const Confirmer::Queued &a, const Confirmer::Queued &b) {
  return a.priority != b.priority ? a.priority > b.priority : a.seq < b.seq;
}
} // namespace

Confirmer::Confirmer(const config::ConfirmConfig &config, ProbeFunction probe,
                     std::function<bool(const datapath::Endpoint &)> allowlisted,
                     std::function<bool(const datapath::Endpoint &)> blocked)
    : config_(config), probe_(std::move(probe)), allowlisted_(std::move(allowlisted)), blocked_(std::move(blocked)),
      policy_(config) {}

Confirmer::~Confirmer() {
  cancel_ = true;
  running_.clear(); // each jthread joins; probes see cancel_ and give up
}

Ask Confirmer::ask(const ProbeRequest &request, std::uint64_t wall_ns, std::string *refusal, double priority) {
  if (!config_.on)
    return Ask::Off;
  auto key = keyOf(request.server);
  if (auto it = known_.find(key); it != known_.end() && wall_ns < it->second.expires_wall_ns)
    return Ask::Known;
  if (auto it =
          std::find_if(queue_.begin(), queue_.end(), [&](const Queued &q) { return keyOf(q.request.server) == key; });
      it != queue_.end()) {
    if (priority > it->priority) { // a flow to it is more suspicious now: its turn moves up
      it->priority = priority;
      std::sort(queue_.begin(), queue_.end(), before);
    }
    return Ask::Pending;
  }
  if (std::any_of(running_.begin(), running_.end(), [&](const Running &r) { return keyOf(r.request.server) == key; }))
    return Ask::Pending;
  if (forbidden_.count(key))
    return Ask::Forbidden;
  auto why = policy_.refusal(request.server.address);
  if (!why && allowlisted_ && allowlisted_(request.server))
    why = "allowlisted";
  if (why) {
    if (forbidden_.size() >= kMaxForbidden)
      forbidden_.clear();
    forbidden_.insert(key);
    ++counters_.refused;
    if (refusal)
      *refusal = *why;
    return Ask::Refused;
  }
  if (queue_.size() >= config_.queue) {
    ++counters_.dropped;
    return Ask::QueueFull;
  }
  Queued entry{request, priority, next_seq_++};
  queue_.insert(std::upper_bound(queue_.begin(), queue_.end(), entry, before), entry);
  return Ask::Queued;
}

void Confirmer::start(const ProbeRequest &request) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  Running running{request, done, {}};
  running.thread = std::jthread([this, request, done] {
    ProbeReport report;
    std::vector<datapath::Endpoint> opened;
    ProbeContext context{cancel_, [&](const datapath::Endpoint &local) {
                           opened.push_back(local);
                           std::lock_guard lock(own_mutex_);
                           own_[{keyOf(local), keyOf(request.server)}] = last_poll_wall_ns_;
                           own_size_ = own_.size();
                         }};
    try {
      report = probe_(request, context);
    } catch (const std::exception &e) { // a probe never takes the agent down
      report.result = ConfirmResult::Failed;
      report.summary = std::string("probe failed: ") + e.what();
    }
    report.connections = std::move(opened);
    {
      std::lock_guard lock(finished_mutex_);
      finished_.push_back({request, std::move(report)});
    }
    *done = true;
  });
  running_.push_back(std::move(running));
}

Confirmation Confirmer::settle(const ProbeRequest &request, const ProbeReport &report, std::uint64_t wall_ns) {
  auto &c = known_[keyOf(request.server)];
  c.asked = request;
  c.report = report;
  c.probed_wall_ns = wall_ns;
  std::uint64_t ttl = std::uint64_t{config_.cache_ttl_s} * kNsPerSec;
  if (report.result == ConfirmResult::Failed) {
    ++c.failures;
    std::uint64_t backoff = std::uint64_t{config_.retry_s} * kNsPerSec;
    for (unsigned i = 1; i < c.failures && backoff < ttl; ++i)
      backoff *= 2;
    c.expires_wall_ns = wall_ns + std::min(backoff, ttl);
  } else {
    c.failures = 0;
    c.expires_wall_ns = wall_ns + ttl;
  }
  ++counters_.probes[static_cast<unsigned>(report.result)];
  return c;
}

bool Confirmer::ownConnection(const datapath::Endpoint &client, const datapath::Endpoint &server) const {
  // Asked for every flow judged; almost always there is no probe to know.
  if (own_size_.load(std::memory_order_acquire) == 0)
    return false;
  std::lock_guard lock(own_mutex_);
  return own_.count({keyOf(client), keyOf(server)}) > 0;
}

std::vector<Confirmation> Confirmer::poll(std::uint64_t wall_ns) {
  {
    std::lock_guard lock(own_mutex_);
    last_poll_wall_ns_ = wall_ns;
    std::erase_if(own_, [&](const auto &entry) { return entry.second + kOwnConnectionMemoryNs < wall_ns; });
    own_size_ = own_.size();
  }
  std::vector<Finished> finished;
  {
    std::lock_guard lock(finished_mutex_);
    finished.swap(finished_);
  }
  std::erase_if(running_, [](const Running &r) { return r.done->load(); }); // joins the finished threads
  std::vector<Confirmation> out;
  for (const auto &f : finished)
    out.push_back(settle(f.request, f.report, wall_ns));
  std::uint64_t interval = std::uint64_t{config_.min_interval_s} * kNsPerSec;
  while (!queue_.empty() && running_.size() < config_.concurrency && wall_ns >= next_start_wall_ns_) {
    auto request = queue_.front().request;
    queue_.erase(queue_.begin());
    if (blocked_ && blocked_(request.server)) {
      ++counters_.skipped; // not remembered: asked again if it is unblocked and still suspected
      continue;
    }
    start(request);
    next_start_wall_ns_ = wall_ns + interval;
  }
  return out;
}

void Confirmer::restore(const std::vector<Confirmation> &saved, std::uint64_t wall_ns) {
  for (const auto &c : saved)
    if (c.expires_wall_ns > wall_ns)
      known_[keyOf(c.asked.server)] = c;
}

const Confirmation *Confirmer::find(const datapath::Endpoint &server) const {
  auto it = known_.find(keyOf(server));
  return it == known_.end() ? nullptr : &it->second;
}

std::vector<Confirmation> Confirmer::all() const {
  std::vector<Confirmation> out;
  out.reserve(known_.size());
  for (const auto &[key, c] : known_)
    out.push_back(c);
  return out;
}

} // namespace minewatch::confirm
