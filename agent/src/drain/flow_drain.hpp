// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/message_records.hpp"
#include "datapath/sensor_object.hpp"
#include "bpf/ring_buffer.hpp"
#include "minewatch_abi.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

namespace minewatch::drain {

// One word for one idea: a flow has *news* when a packet stamped it since
// the last drain began (drain_gen). The kernel reports such flows on the
// news ring (the ABI's historical name: minewatch_dirty_event) and marks
// them MINEWATCH_SWEEP_CHANGED in a sweep; a flow stamped during a drain is
// read again at the next one.

/// Why a flow left the kernel's map at a drain.
enum class FlowEnd : std::uint8_t { Idle, Closed };

/// One flow a drain read, as the kernel held it. `value` points into the
/// kernel's read-out array or the drain's own copy: valid only during the
/// call that hands it over.
struct DrainedFlow {
  const minewatch_flow_key &key;
  const minewatch_flow_value &value;
  bool news;                    // a packet since the last drain (or the agent's first read of it)
  std::optional<FlowEnd> ended; // over: the drain deletes it from the kernel's map after the drain
  bool in_key_order;            // this drain hands flows over in key order (see DrainSink)
};

/// Where a drain hands what it read, flow by flow. Between sweeps (the news
/// path) in key order; a sweep hands them over as it meets them, in the
/// kernel's hash order, which a random seed per map makes different every
/// run: whoever judges must put those in key order itself (the judge defers
/// them to the drain's end), so a capture gives the same verdicts every run.
class DrainSink {
public:
  virtual ~DrainSink() = default;
  /// A flow with news, or one that is over. Returns true when the flow is
  /// new to the receiver (so the drain can count the map's entries without
  /// a sweep).
  virtual bool onFlow(const DrainedFlow &flow) = 0;
  /// A reported flow was gone before it was read (the kernel's LRU made
  /// room, or it was deleted). Returns true when the receiver knew it.
  virtual bool onVanished(const minewatch_flow_key &key) = 0;
  /// A finished message of a TCP flow (its sequence, in ring order).
  virtual void onMessage(const datapath::FlowMessage &message) = 0;
  /// Between sweeps: from when (data-path clock, seconds) a flow with news
  /// is worth reading; 0, or a time past: this drain. One held back stays
  /// news until then, or until takeReadNow names it, or a sweep reads it.
  virtual std::uint32_t readFrom(const minewatch_flow_key &key) = 0;
  /// Flows to read at this drain whatever readFrom said before (taken: the
  /// next call names only newer ones).
  virtual std::vector<minewatch_flow_key> takeReadNow() = 0;
};

/// What one tick's drain did, beside the flows it handed over.
struct DrainSummary {
  bool swept = false;                                       // read the whole table: unchanged_* are exact
  std::uint64_t read = 0;                                   // flows read from the kernel
  std::uint64_t unchanged_bytes = 0, unchanged_packets = 0; // swept: flows that stay and had no news
};

struct DrainSettings {
  std::uint64_t idle_ns = 0;        // over when quiet this long
  std::uint64_t closed_ns = 0;      // over when closed and quiet this long
  std::uint64_t sweep_every_ns = 0; // 0: every drain sweeps
  bool sweep_in_kernel = true;
};

/// The drain's own counters (status "agent" and the drain metrics).
struct DrainCounters {
  std::uint64_t drains = 0;
  std::uint64_t sweeps = 0;                 // drains that read the whole flow table
  std::uint64_t kernel_sweeps = 0;          // ... of which walked it in the kernel
  std::uint64_t kernel_sweep_overflows = 0; // ... with more to hand out than fit: batched instead
  std::uint64_t flows_read = 0;             // by every drain so far
  std::uint64_t skipped = 0;                // flows a sweep read but had no news of
  std::uint64_t news_malformed = 0;         // news reports of the wrong size
  std::uint64_t messages = 0;               // message records handed over
  std::uint64_t messages_malformed = 0;     // ... and ones that were not a minewatch_message
  std::uint64_t held = 0;                   // flows with news the last drain left for a later one
  std::uint64_t deleted_idle = 0, deleted_closed = 0;
  std::uint64_t last_flows = 0; // read by the last drain
  std::uint64_t last_ns = 0;    // wall time the last drain took
};

/// The only reader of the kernel's flow maps and stats: each tick it reads
/// the flows with news (or sweeps the whole table), hands them to a sink in
/// key order, deletes the ones that are over, and keeps the kernel's
/// counters as of that tick for whoever asks between ticks.
///
/// Reading every flow every tick costs what copying ~0.5 KiB per flow out of
/// the kernel costs, idle or not (bench/bench_agent prints that floor). So a
/// tick reads only the flows with news: the data path reports a flow when a
/// direction has its first packet since the last drain began (its drain_gen
/// stamp changes; see struct minewatch_dirty_event). Every sweep_every_ns,
/// and whenever a report may have been lost, a sweep reads the whole table
/// instead: it finds idle flows, flows the kernel's LRU evicted, and makes
/// the traffic totals exact again. A sweep walks the table in the kernel
/// (minewatch_sweep) and takes out only the flows that changed or are over;
/// the first one, and one with more of those than fit, copies it all out.
///
/// Between sweeps the sink may hold a flow with news back (DrainSink::
/// readFrom: a busy flow with nothing to judge before its next window). Its
/// key waits in held_ with the time it is due, and costs nothing until
/// then; a FIN or RST report, read_again_, or the sink's takeReadNow (facts
/// arrived) read it at once, and a sweep reads every held flow as changed.
class FlowDrain {
public:
  FlowDrain(datapath::SensorObject &sensor, DrainSettings settings);

  /// One tick's drain at `now_ns` (data-path clock): the finished messages
  /// first, then the flows.
  DrainSummary drain(std::uint64_t now_ns, DrainSink &sink);
  /// Hands over the finished messages waiting on the ring (a replay calls
  /// this between ticks, as it reads the samples, so the ring never fills).
  void pollMessages(DrainSink &sink);
  /// Called after each sweep, before the flows go (live: pins again what
  /// was unpinned, see AttachedSensor::repinLost).
  void onSweep(std::function<void()> hook) { on_sweep_ = std::move(hook); }

  /// The kernel's counters as of the last drain (indexed by minewatch_stat).
  [[nodiscard]] const datapath::StatCounters &stats() const { return stats_; }
  [[nodiscard]] std::uint64_t stat(minewatch_stat s) const { return stats_[static_cast<std::size_t>(s)]; }
  [[nodiscard]] const DrainCounters &counters() const { return counters_; }
  /// Flows in the kernel's map at the last drain, and its size.
  [[nodiscard]] std::uint64_t mapEntries() const { return map_entries_; }
  [[nodiscard]] std::uint64_t mapCapacity() const { return map_capacity_; }
  /// Flows the kernel's LRU dropped before a drain saw them end.
  [[nodiscard]] std::uint64_t evicted() const;
  /// A sentence for the operator when the data path's clock had to change.
  [[nodiscard]] const std::vector<std::string> &notes() const { return notes_; }

private:
  /// A flow read that goes to the sink: changed, or over.
  struct Handover {
    bool news = false;
    std::optional<FlowEnd> ended;
  };
  struct Pass;
  void handOver(const minewatch_flow_key &key, const minewatch_flow_value &value, const Handover &h, Pass &pass);
  void sweepAll(Pass &pass);
  bool sweepInKernel(Pass &pass);
  void sweepBatched(Pass &pass);
  void readNews(Pass &pass);
  /// One flow read: whether it goes to the sink (changed, or over), and
  /// noted for deletion or a second look next drain.
  std::optional<Handover> look(const minewatch_flow_key &key, const minewatch_flow_value &value, bool changed,
                               Pass &pass);
  static void addUnchanged(const minewatch_flow_value &value, Pass &pass);
  void onNews(std::span<const std::byte> record);
  void onMessageRecord(std::span<const std::byte> record);

  datapath::SensorObject &sensor_;
  DrainSettings settings_;
  bpf::RingBuffer news_ring_;
  bpf::RingBuffer messages_ring_;
  DrainSink *message_sink_ = nullptr; // while pollMessages runs
  std::vector<minewatch_flow_key> news_, read_again_;
  /// News the sink wants read later (DrainSink::readFrom), in key order.
  struct Held {
    minewatch_flow_key key;
    std::uint32_t from_s;
  };
  /// Splits news_ into what to read now (left in news_) and what waits
  /// (into held_), with the last drain's held_.
  void holdBack(std::uint64_t now_ns, DrainSink &sink);
  [[nodiscard]] bool isHeld(const minewatch_flow_key &key) const;
  std::vector<Held> held_, still_held_;
  std::vector<minewatch_flow_key> late_;    // held flows due with no report: read this drain
  std::vector<minewatch_flow_key> closing_; // reported with a FIN or RST: read this drain
  std::uint64_t last_sweep_ns_ = 0;
  std::uint64_t dirty_drops_seen_ = 0;
  std::uint64_t map_entries_ = 0;
  std::uint64_t map_capacity_ = 0;
  std::uint64_t flows_deleted_ = 0;
  datapath::StatCounters stats_{};
  DrainCounters counters_;
  std::vector<std::string> notes_;
  std::function<void()> on_sweep_;
};

} // namespace minewatch::drain
