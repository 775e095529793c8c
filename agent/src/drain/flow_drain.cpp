// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The drain: what the agent reads of the flow table each tick (see
// flow_drain.hpp for why it reads what it reads).
#include "drain/flow_drain.hpp"

#include "drain/flow_value.hpp"
#include "flows/flow_table.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iterator>

namespace minewatch::drain {

namespace {
constexpr flows::KeyLess keyLess;
constexpr flows::KeyEqual keyEqual;
} // namespace

/// One drain's state while it reads.
struct FlowDrain::Pass {
  Pass(std::uint64_t now, std::uint32_t generation, bool first_drain, DrainSink &to)
      : now_ns(now), gen(generation), first(first_drain), sink(to) {}
  std::uint64_t now_ns;
  std::uint32_t gen;
  bool first; // the agent's first drain: everything is news to it
  DrainSink &sink;
  DrainSummary summary{};
  std::vector<minewatch_flow_key> over;       // to delete
  std::vector<minewatch_flow_key> read_again; // stamped during this drain: read next drain too
};

FlowDrain::FlowDrain(datapath::SensorObject &sensor, DrainSettings settings)
    : sensor_(sensor), settings_(settings),
      news_ring_(sensor.dirtyFd(), [this](std::span<const std::byte> record) { onNews(record); }),
      messages_ring_(sensor.messagesFd(), [this](std::span<const std::byte> record) { onMessageRecord(record); }),
      map_capacity_(sensor.flows().capacity()) {}

std::uint64_t FlowDrain::evicted() const {
  auto created = stat(MINEWATCH_STAT_FLOWS_CREATED);
  return created > flows_deleted_ + map_entries_ ? created - flows_deleted_ - map_entries_ : 0;
}

void FlowDrain::pollMessages(DrainSink &sink) {
  message_sink_ = &sink;
  messages_ring_.consume();
  message_sink_ = nullptr;
}

void FlowDrain::onMessageRecord(std::span<const std::byte> record) {
  std::string error;
  auto message = datapath::decodeMessage(record, error);
  if (!message || !message_sink_) {
    ++counters_.messages_malformed;
    return;
  }
  ++counters_.messages;
  message_sink_->onMessage(*message);
}

DrainSummary FlowDrain::drain(std::uint64_t now_ns, DrainSink &sink) {
  auto began = std::chrono::steady_clock::now();
  pollMessages(sink);
  // Bump first: packets from here on stamp the new generation and report
  // their flow again; the reports consumed below are the ones before.
  auto gen = sensor_.nextDrainGeneration();
  news_.clear();
  closing_.clear();
  news_ring_.consume();
  auto drops = sensor_.stat(MINEWATCH_STAT_DIRTY_DROPS);
  // One list of flows to read: reported ones (both directions of a flow may
  // report) and the ones last drain asked to see again; between sweeps,
  // less the ones the sink wants read later (a sweep finds those by held_).
  news_.insert(news_.end(), read_again_.begin(), read_again_.end());
  std::sort(news_.begin(), news_.end(), keyLess);
  news_.erase(std::unique(news_.begin(), news_.end(), keyEqual), news_.end());
  bool sweep = counters_.drains == 0 || settings_.sweep_every_ns == 0 ||
               now_ns - last_sweep_ns_ >= settings_.sweep_every_ns || drops != dirty_drops_seen_;
  if (!sweep)
    holdBack(now_ns, sink);
  // The kernel reads the news by key at ~0.4 us a flow (hashing, a cache
  // miss, the copy); copying the whole table out costs ~0.37 us a flow of
  // the table. Only news for nearly all of it makes the sweep cheaper.
  if (!sweep && news_.size() >= 256 && news_.size() * 10 > map_entries_ * 9)
    sweep = true; // crowded
  dirty_drops_seen_ = drops;

  Pass pass(now_ns, gen, counters_.drains == 0, sink);
  ++counters_.drains;
  if (sweep) {
    // The programs' clock is jiffies scaled by a measured tick; if that ever
    // stops agreeing with the kernel's own coarse clock, fall back to it.
    if (!sensor_.clockStillAgrees())
      notes_.push_back("the data path's jiffies clock drifted from CLOCK_MONOTONIC; it reads the "
                       "coarse clock through a helper call from now on");
    pass.summary.swept = true;
    sweepAll(pass);
    held_.clear(); // the sweep read them
    last_sweep_ns_ = now_ns;
    ++counters_.sweeps;
    if (on_sweep_)
      on_sweep_();
  } else {
    readNews(pass);
  }
  read_again_ = std::move(pass.read_again);
  if (!sweep) // a sweep counted what stays; between sweeps, count what goes
    map_entries_ -= std::min<std::uint64_t>(map_entries_, pass.over.size());
  if (!pass.over.empty())
    flows_deleted_ += sensor_.flows().eraseAll(pass.over);
  stats_ = sensor_.stats();
  counters_.last_flows = pass.summary.read;
  counters_.held = held_.size();
  counters_.flows_read += pass.summary.read;
  counters_.last_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count());
  return pass.summary;
}

void FlowDrain::onNews(std::span<const std::byte> record) {
  if (record.size() != sizeof(minewatch_dirty_event)) {
    ++counters_.news_malformed;
    return;
  }
  minewatch_dirty_event event;
  std::memcpy(&event, record.data(), sizeof event);
  news_.push_back(event.key);
  if (event.flags & MINEWATCH_DIRTY_CLOSING)
    closing_.push_back(event.key);
}

void FlowDrain::holdBack(std::uint64_t now_ns, DrainSink &sink) {
  auto now_s = now_ns / 1'000'000'000ull;
  // Read now whatever held it: flows the sink names, ones that may be over,
  // and ones the last drain asked to see again (closing, or raced).
  auto read_now = sink.takeReadNow();
  read_now.insert(read_now.end(), closing_.begin(), closing_.end());
  read_now.insert(read_now.end(), read_again_.begin(), read_again_.end());
  std::sort(read_now.begin(), read_now.end(), keyLess);
  // A held flow whose time has not come stays held without asking the sink
  // (asking costs a lookup there, and most held flows are held again).
  still_held_.clear();
  auto readsNow = [&](const minewatch_flow_key &key, std::uint32_t held_from) {
    std::uint64_t from = 0;
    if (!std::binary_search(read_now.begin(), read_now.end(), key, keyLess))
      from = held_from > now_s ? held_from : sink.readFrom(key);
    if (from <= now_s)
      return true;
    still_held_.push_back({key, static_cast<std::uint32_t>(from)}); // in key order: the walk's
    return false;
  };
  // One walk, in key order, over the news (reports and read_again_'s flows)
  // and what the last drain held; what is read now stays in news_, in order.
  std::size_t keep = 0, n = news_.size(), h = 0;
  for (std::size_t i = 0; i < n || h < held_.size();) {
    if (h == held_.size() || (i < n && keyLess(news_[i], held_[h].key))) {
      if (readsNow(news_[i], 0))
        news_[keep++] = news_[i]; // keep <= i: in place
      ++i;
    } else if (i == n || keyLess(held_[h].key, news_[i])) { // held, with no report since
      if (readsNow(held_[h].key, held_[h].from_s))
        late_.push_back(held_[h].key);
      ++h;
    } else { // held, and reported again
      if (readsNow(news_[i], held_[h].from_s))
        news_[keep++] = news_[i];
      ++i;
      ++h;
    }
  }
  news_.resize(keep);
  if (!late_.empty()) {
    auto mid = static_cast<std::ptrdiff_t>(news_.size());
    news_.insert(news_.end(), late_.begin(), late_.end());
    std::inplace_merge(news_.begin(), news_.begin() + mid, news_.end(), keyLess);
    late_.clear();
  }
  held_.swap(still_held_);
}

bool FlowDrain::isHeld(const minewatch_flow_key &key) const {
  auto at = std::lower_bound(held_.begin(), held_.end(), key,
                             [](const Held &held, const minewatch_flow_key &k) { return keyLess(held.key, k); });
  return at != held_.end() && keyEqual(at->key, key);
}

void FlowDrain::sweepAll(Pass &pass) {
  // The first sweep reads everything whole: every flow is news to this
  // agent. So does one whose news alone would not fit the kernel's records.
  // So does one with news held back: the kernel knows only which flows had
  // a packet since the last two drains began, not which the agent has not read.
  if (!pass.first && settings_.sweep_in_kernel && held_.empty() && news_.size() < sensor_.sweepCapacity() &&
      sweepInKernel(pass))
    return;
  sweepBatched(pass);
}

void FlowDrain::addUnchanged(const minewatch_flow_value &value, Pass &pass) {
  pass.summary.unchanged_bytes += totalBytes(value);
  pass.summary.unchanged_packets += totalPackets(value);
}

bool FlowDrain::sweepInKernel(Pass &pass) {
  minewatch_sweep_ctx request{};
  request.now_ns = pass.now_ns;
  request.idle_ns = settings_.idle_ns;
  request.closed_ns = settings_.closed_ns;
  request.gen = pass.gen;
  auto sweep = sensor_.sweepInKernel(request);
  ++counters_.kernel_sweeps;
  if (sweep.summary.overflow) {
    ++counters_.kernel_sweep_overflows;
    return false;
  }
  // What stays unchanged the kernel summed; the rest is visited here as the
  // batched sweep visits it (the same rules decided what came out). The
  // records stay in the kernel's array until the next sweep: no copy.
  pass.summary.unchanged_bytes = sweep.summary.stay_bytes;
  pass.summary.unchanged_packets = sweep.summary.stay_packets;
  std::uint64_t changed = 0;
  std::size_t over_before = pass.over.size();
  for (const auto &record : sweep.records) {
    bool is_changed = (record.flags & MINEWATCH_SWEEP_CHANGED) != 0;
    changed += is_changed ? 1 : 0;
    if (auto h = look(record.key, record.value, is_changed, pass))
      handOver(record.key, record.value, *h, pass);
    else // out as over by the kernel's clock, not by ours: it stays
      addUnchanged(record.value, pass);
  }
  counters_.skipped += sweep.summary.flows - changed;
  pass.summary.read = sweep.summary.flows;
  map_entries_ = sweep.summary.flows - (pass.over.size() - over_before);
  return true;
}

void FlowDrain::sweepBatched(Pass &pass) {
  std::uint64_t seen = 0;
  std::size_t over_before = pass.over.size();
  sensor_.flows().forEachBatch(
      [&](const minewatch_flow_key *keys, const minewatch_flow_value *values, std::uint32_t n) {
        for (std::uint32_t i = 0; i < n; ++i) {
          ++seen;
          // The first sweep looks at everything (pinned flows of the last agent
          // included); later ones at what changed since the previous drain. A
          // flow stamped with the generation before this one had a packet after
          // that drain read it, or raced it.
          bool changed =
              pass.first || stampedWith(values[i], pass.gen) || stampedWith(values[i], pass.gen - 1) || isHeld(keys[i]);
          if (!changed)
            ++counters_.skipped;
          if (auto h = look(keys[i], values[i], changed, pass))
            handOver(keys[i], values[i], *h, pass);
          else
            addUnchanged(values[i], pass);
        }
      });
  pass.summary.read = seen;
  map_entries_ = seen - (pass.over.size() - over_before);
}

void FlowDrain::readNews(Pass &pass) {
  // In the kernel's own loop, as many at a time as it has room for: one
  // syscall where a lookup each cost 1-2 us. news_ is sorted, so flows go to
  // the sink in key order.
  std::size_t room = sensor_.sweepCapacity();
  for (std::size_t at = 0; at < news_.size(); at += room) {
    auto keys = std::span(news_).subspan(at, std::min(room, news_.size() - at));
    for (const auto &read : sensor_.readFlows(keys)) {
      ++pass.summary.read;
      if (!(read.flags & MINEWATCH_SWEEP_FOUND)) {
        if (pass.sink.onVanished(read.key))
          map_entries_ -= map_entries_ ? 1 : 0;
        continue;
      }
      if (auto h = look(read.key, read.value, true, pass))
        handOver(read.key, read.value, *h, pass);
    }
  }
}

std::optional<FlowDrain::Handover> FlowDrain::look(const minewatch_flow_key &key, const minewatch_flow_value &value,
                                                   bool changed, Pass &pass) {
  auto last = lastSeen(value);
  auto quiet = pass.now_ns > last ? pass.now_ns - last : 0;
  bool is_idle = quiet >= settings_.idle_ns;
  bool is_closed = closed(value) && quiet >= settings_.closed_ns;
  bool over = is_idle || is_closed;
  // Stamped with this drain's generation: a later packet of this tick will
  // not report it again, so look at it next tick regardless. Closing flows
  // too, until they are quiet long enough to go.
  if (changed && !over && (stampedWith(value, pass.gen) || closed(value)))
    pass.read_again.push_back(key);
  if (over) {
    pass.over.push_back(key);
    ++(is_closed ? counters_.deleted_closed : counters_.deleted_idle);
  }
  if (!changed && !over)
    return std::nullopt;
  Handover h{changed, std::nullopt}; // news, or over
  if (over)
    h.ended = is_closed ? FlowEnd::Closed : FlowEnd::Idle;
  return h;
}

void FlowDrain::handOver(const minewatch_flow_key &key, const minewatch_flow_value &value, const Handover &h,
                         Pass &pass) {
  bool fresh = pass.sink.onFlow({key, value, h.news, h.ended, !pass.summary.swept});
  // Between sweeps the entries are counted as flows come and go; a sweep
  // counts them all.
  if (fresh && !pass.summary.swept)
    ++map_entries_;
}

} // namespace minewatch::drain
