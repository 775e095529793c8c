// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "export/flow_meter.hpp"
#include "export/ipfix_exporter.hpp"

#include <cstdint>
#include <optional>

namespace minewatch::ipfix {

struct FlowExportOptions {
  ExporterOptions exporter;
  std::uint32_t active_timeout_s = 60;
  // How long a remembered flow may go unread before it is taken for gone
  // (the kernel's LRU dropped it): longer than any flow stays unread.
  std::uint64_t forget_after_ns = 0;
};

/// The agent's one handle on export: flows in (from the drain), messages
/// out (on the tick). Keeps the agent's side to two calls.
class FlowExport {
public:
  FlowExport(FlowExportOptions options, util::TimeBase time_base)
      : meter_(std::uint64_t{options.active_timeout_s} * 1'000'000'000ull, time_base), exporter_(options.exporter),
        forget_after_ns_(options.forget_after_ns) {}

  /// A flow the drain read: a record goes out if it ended or is due.
  void onFlow(const minewatch_flow_key &key, const minewatch_flow_value &value, unsigned initiator_dir,
              const FlowLabels *labels, std::optional<EndReason> ended, std::uint64_t now_ns) {
    if (auto record = meter_.observe(key, value, initiator_dir, labels, ended, now_ns))
      exporter_.submit(std::move(*record));
  }
  /// Every tick: send what waits, keep timers. now_ns: data-path clock.
  void tick(std::uint64_t now_ns, std::uint64_t wall_ns) {
    exporter_.pump(wall_ns);
    if (forget_after_ns_ && now_ns >= last_forget_ns_ + forget_after_ns_ / 2) {
      meter_.forgetQuiet(now_ns, forget_after_ns_);
      last_forget_ns_ = now_ns;
    }
  }
  [[nodiscard]] const Exporter &exporter() const { return exporter_; }
  [[nodiscard]] const FlowMeter &meter() const { return meter_; }

private:
  FlowMeter meter_;
  Exporter exporter_;
  std::uint64_t forget_after_ns_;
  std::uint64_t last_forget_ns_ = 0;
};

} // namespace minewatch::ipfix
