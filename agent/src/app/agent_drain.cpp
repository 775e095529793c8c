// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The drain: what the agent reads of the flow table each tick.
//
// Reading every flow every tick costs what copying ~0.5 KiB per flow out of
// the kernel costs, idle or not (bench/bench_agent prints that floor). So a
// tick reads only the flows with news: the data path reports a flow when a
// direction has its first packet since the last drain began (its drain_gen
// stamp changes; see struct minewatch_dirty_event). Every sweep_every_s, and
// whenever a report may have been lost, a sweep reads the whole table
// instead: it finds idle flows, flows the kernel's LRU evicted, and makes
// the traffic totals exact again. A sweep walks the table in the kernel
// (minewatch_sweep) and takes out only the flows that changed or are over;
// the first one, and one with more of those than fit, copies it all out.
#include "app/agent.hpp"

#include "app/flow_value.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace minewatch::app {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;

bool keyLess(const minewatch_flow_key &a, const minewatch_flow_key &b) { return std::memcmp(&a, &b, sizeof a) < 0; }
bool keyEqual(const minewatch_flow_key &a, const minewatch_flow_key &b) { return std::memcmp(&a, &b, sizeof a) == 0; }
} // namespace

/// What one tick's reading of the flow table produced.
struct Agent::DrainPass {
  std::uint64_t now_ns;
  std::uint32_t gen;
  std::uint64_t idle_ns, closed_ns, judge_every_ns;
  std::vector<minewatch_flow_key> over;   // to delete
  std::vector<minewatch_flow_key> recheck; // read again next tick (see remember)
  std::uint64_t read = 0;
  // A sweep meets flows in the kernel's hash order, which a random seed per
  // map makes different every run: judged as met, the same capture gave
  // other detections (and other reasons, through taints) run to run. So a
  // sweep judges after reading, in key order, as the news path already
  // does (news_ is sorted).
  bool judge_later = false;
  std::vector<std::pair<minewatch_flow_key, minewatch_flow_value>> to_judge;
};

void Agent::tick(std::uint64_t now_ns) {
  auto began = std::chrono::steady_clock::now();
  // Bump first: packets from here on stamp the new generation and report
  // their flow again; the reports consumed below are the ones before.
  auto gen = sensor_.nextDrainGeneration();
  news_.clear();
  dirty_.consume();
  auto drops = sensor_.stat(MINEWATCH_STAT_DIRTY_DROPS);
  // One list of flows to read: reported ones (both directions of a flow may
  // report) and the ones last tick asked to see again.
  news_.insert(news_.end(), recheck_.begin(), recheck_.end());
  std::sort(news_.begin(), news_.end(), keyLess);
  news_.erase(std::unique(news_.begin(), news_.end(), keyEqual), news_.end());
  auto sweep_ns = std::uint64_t{config_.sweep_every_s} * kNsPerSec;
  // The kernel reads the news by key at ~0.4 us a flow (hashing, a cache
  // miss, the copy); copying the whole table out costs ~0.37 us a flow of
  // the table. Only news for nearly all of it makes the sweep cheaper.
  bool crowded = news_.size() >= 256 && news_.size() * 10 > map_entries_ * 9;
  bool sweep = counters_.ticks == 0 || sweep_ns == 0 || now_ns - last_sweep_ns_ >= sweep_ns ||
               drops != dirty_drops_seen_ || crowded;
  dirty_drops_seen_ = drops;
  ++counters_.ticks;

  DrainPass pass{now_ns,
                 gen,
                 std::uint64_t{config_.idle_timeout_s} * kNsPerSec,
                 std::uint64_t{config_.closed_timeout_s} * kNsPerSec,
                 std::uint64_t{config_.judge_quiet_every_s} * kNsPerSec,
                 {},
                 {},
                 0,
                 sweep,
                 {}};
  if (sweep) {
    // The programs' clock is jiffies scaled by a measured tick; if that ever
    // stops agreeing with the kernel's own coarse clock, fall back to it.
    if (!sensor_.clockStillAgrees())
      info_.notes.push_back("the data path's jiffies clock drifted from CLOCK_MONOTONIC; it reads the "
                            "coarse clock through a helper call from now on");
    sweepAll(pass);
    std::sort(pass.to_judge.begin(), pass.to_judge.end(),
              [](const auto &a, const auto &b) { return keyLess(a.first, b.first); });
    for (const auto &[key, value] : pass.to_judge)
      if (auto *record = table_.find(key))
        evaluate(key, value, *record, now_ns);
    last_sweep_ns_ = now_ns;
    ++counters_.sweeps;
    checkPins();
  } else {
    readNews(pass);
  }
  recheck_ = std::move(pass.recheck);
  if (!sweep) // a sweep counted what stays; between sweeps, count what goes
    map_entries_ -= std::min<std::uint64_t>(map_entries_, pass.over.size());
  deleteFlows(pass.over);
  expireRules(now_ns);
  collectFleetShare();
  if (export_)
    export_->tick(now_ns, util::wallNowNs());
  counters_.last_drain_flows = pass.read;
  counters_.flows_read += pass.read;
  counters_.last_drain_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count());
  drain_histogram_.observe(static_cast<double>(counters_.last_drain_ns) / 1e9);
  saveRules(); // whatever this tick, or the reload before it, changed
}

void Agent::onDirty(std::span<const std::byte> record) {
  if (record.size() != sizeof(minewatch_dirty_event)) {
    ++counters_.dirty_malformed;
    return;
  }
  minewatch_dirty_event event;
  std::memcpy(&event, record.data(), sizeof event);
  news_.push_back(event.key);
}

void Agent::sweepAll(DrainPass &pass) {
  // The first sweep reads everything whole: every flow is news to this
  // agent. So does one whose news alone would not fit the kernel's records.
  if (counters_.ticks > 1 && config_.sweep_in_kernel && news_.size() < sensor_.sweepCapacity() &&
      sweepInKernel(pass))
    return;
  sweepBatched(pass);
}

bool Agent::sweepInKernel(DrainPass &pass) {
  minewatch_sweep_ctx request{};
  request.now_ns = pass.now_ns;
  request.idle_ns = pass.idle_ns;
  request.closed_ns = pass.closed_ns;
  request.gen = pass.gen;
  auto sweep = sensor_.sweepInKernel(request);
  ++counters_.kernel_sweeps;
  if (sweep.summary.overflow) {
    ++counters_.kernel_sweep_overflows;
    return false;
  }
  // What stays unchanged the kernel summed; the rest is visited here as the
  // batched sweep visits it (the same rules decided what came out).
  std::uint64_t bytes = sweep.summary.stay_bytes, packets = sweep.summary.stay_packets, changed = 0;
  std::size_t over_before = pass.over.size();
  for (const auto &record : sweep.records) {
    bool is_changed = (record.flags & MINEWATCH_SWEEP_CHANGED) != 0;
    changed += is_changed ? 1 : 0;
    if (!visit(record.key, record.value, is_changed, pass)) {
      bytes += totalBytes(record.value);
      packets += totalPackets(record.value);
    }
  }
  counters_.drain_skipped += sweep.summary.flows - changed;
  pass.read = sweep.summary.flows;
  map_entries_ = sweep.summary.flows - (pass.over.size() - over_before);
  live_bytes_ = bytes;
  live_packets_ = packets;
  return true;
}

void Agent::sweepBatched(DrainPass &pass) {
  std::uint64_t seen = 0, bytes = 0, packets = 0;
  std::size_t over_before = pass.over.size();
  sensor_.flows().forEachBatch([&](const minewatch_flow_key *keys, const minewatch_flow_value *values, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      ++seen;
      // The first sweep looks at everything (pinned flows of the last agent
      // included); later ones at what changed since the previous drain. A
      // flow stamped with the generation before this one had a packet after
      // that drain read it, or raced it.
      bool changed = counters_.ticks == 1 || stampedWith(values[i], pass.gen) || stampedWith(values[i], pass.gen - 1);
      if (!visit(keys[i], values[i], changed, pass)) {
        bytes += totalBytes(values[i]);
        packets += totalPackets(values[i]);
      }
      if (!changed)
        ++counters_.drain_skipped;
    }
  });
  pass.read = seen;
  map_entries_ = seen - (pass.over.size() - over_before);
  // Exact again: what every flow in the table holds now.
  live_bytes_ = bytes;
  live_packets_ = packets;
}

void Agent::readNews(DrainPass &pass) {
  // In the kernel's own loop, as many at a time as it has room for: one
  // syscall where a lookup each cost 1-2 us.
  std::size_t room = sensor_.sweepCapacity();
  for (std::size_t at = 0; at < news_.size(); at += room) {
    auto keys = std::span(news_).subspan(at, std::min(room, news_.size() - at));
    for (const auto &record : sensor_.readFlows(keys))
      readOne(record, pass);
  }
}

void Agent::readOne(const minewatch_sweep_record &read, DrainPass &pass) {
  const auto &key = read.key;
  ++pass.read;
  if (!(read.flags & MINEWATCH_SWEEP_FOUND)) {
    // Gone before we read it: the kernel's LRU made room, or it was
    // deleted. What it held until the last read ends with it.
    if (auto *record = table_.find(key)) {
      live_bytes_ -= std::min(live_bytes_, record->bytes);
      live_packets_ -= std::min(live_packets_, record->packets);
      ended_bytes_ += record->bytes;
      ended_packets_ += record->packets;
      table_.erase(key);
      map_entries_ -= map_entries_ ? 1 : 0;
    }
    return;
  }
  if (table_.find(key) == nullptr)
    ++map_entries_;
  visit(key, read.value, true, pass);
}

bool Agent::visit(const minewatch_flow_key &key, const minewatch_flow_value &value, bool changed, DrainPass &pass) {
  auto last = lastSeen(value);
  auto quiet = pass.now_ns > last ? pass.now_ns - last : 0;
  bool is_idle = quiet >= pass.idle_ns;
  bool is_closed = closed(value) && quiet >= pass.closed_ns;
  auto bytes = totalBytes(value), packets = totalPackets(value);

  if (changed) {
    auto &record = table_.touch(key);
    // A flow without payload facts can only change verdict through its
    // shape (minutes in the making), its server's name or a taint: judging
    // it every judge_quiet_every_s is soon enough, and most of a busy
    // host's flows are such flows.
    bool news = last != record.evaluated_seen_ns || record.notes_changed;
    bool due = record.notes || record.evaluated_seen_ns == 0 || last - record.evaluated_seen_ns >= pass.judge_every_ns;
    if (news && due && pass.judge_later)
      pass.to_judge.emplace_back(key, value);
    else if (news && due)
      evaluate(key, value, record, pass.now_ns);
    record.last_seen_ns = last;
    // Totals move by what changed since this flow was last read (a sweep
    // recounts them from scratch anyway).
    live_bytes_ += bytes - record.bytes;
    live_packets_ += packets - record.packets;
    record.bytes = bytes;
    record.packets = packets;
    // Stamped with this drain's generation: a later packet of this tick
    // will not report it again, so look at it next tick regardless. Closing
    // flows too, until they are quiet long enough to go.
    if (!is_idle && !is_closed && (stampedWith(value, pass.gen) || closed(value)))
      pass.recheck.push_back(key);
  }
  // Export: a record when the flow ends, or when its active timeout is due.
  if (export_ && (changed || is_idle || is_closed)) {
    std::optional<ipfix::EndReason> ended;
    if (is_idle || is_closed)
      ended = is_closed ? ipfix::EndReason::EndOfFlow : ipfix::EndReason::Idle;
    exportFlow(key, value, ended, pass.now_ns);
  }
  if (!is_idle && !is_closed)
    return false;
  pass.over.push_back(key);
  ++(is_closed ? counters_.flows_deleted_closed : counters_.flows_deleted_idle);
  ended_bytes_ += bytes;
  ended_packets_ += packets;
  if (changed) { // its bytes were just added to live_*: they end now
    live_bytes_ -= std::min(live_bytes_, bytes);
    live_packets_ -= std::min(live_packets_, packets);
  }
  return true;
}

} // namespace minewatch::app
