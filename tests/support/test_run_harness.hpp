// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/blocklist.hpp"
#include "datapath/flow_key.hpp"
#include "datapath/sensor_object.hpp"
#include "packet_builder.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace minewatch::test {

/// The real sensor programs, loaded (not attached), driven one packet at a
/// time through bpf_prog_test_run_opts with an injected clock.
class TestRunHarness {
public:
  explicit TestRunHarness(const datapath::SensorOptions &options = {});

  /// Runs the XDP (ingress) program; returns its XDP_* verdict.
  std::uint32_t runXdp(const Bytes &frame, std::uint64_t now_ns);
  /// Runs the TC (egress) program; returns its TC_ACT_* verdict.
  std::uint32_t runTc(const Bytes &frame, std::uint64_t now_ns);
  /// TC run of a GSO packet that leaves as `segments` frames.
  std::uint32_t runTcGso(const Bytes &frame, std::uint32_t segments, std::uint64_t now_ns);
  /// XDP run with the linear part cut at linear_bytes (the rest in frags).
  std::uint32_t runXdpFragmented(const Bytes &frame, std::uint32_t linear_bytes, std::uint64_t now_ns);
  /// The raw -errno of a test run the kernel may refuse (e.g. empty frames).
  int tryRunXdp(const Bytes &frame);

  [[nodiscard]] datapath::StatCounters stats() const { return sensor_.stats(); }
  [[nodiscard]] std::uint64_t stat(minewatch_stat s) const { return stats()[s]; }

  /// The flow a src -> dst packet is filed under, and that packet's direction in it.
  struct FlowView {
    minewatch_flow_value value;
    minewatch_direction dir;
    [[nodiscard]] const minewatch_dir_stats &forward() const { return value.dir[dir]; }
    [[nodiscard]] const minewatch_dir_stats &reverse() const { return value.dir[dir ^ 1]; }
  };
  std::optional<FlowView> flow(std::string_view src, std::uint16_t sport, std::string_view dst, std::uint16_t dport,
                               std::uint8_t proto) const;
  [[nodiscard]] std::size_t flowCount() const { return sensor_.flows().entries().size(); }

  /// Every short sample the ring buffer holds now; the ClientHello records
  /// among them go to helloSamples().
  std::vector<minewatch_sample> drainSamples();
  /// The minewatch_hello_sample records the last drainSamples() found.
  [[nodiscard]] const std::vector<minewatch_hello_sample> &helloSamples() const { return hellos_; }

  [[nodiscard]] datapath::SensorObject &sensor() { return sensor_; }
  [[nodiscard]] datapath::Blocklist blocklist() const { return datapath::Blocklist(sensor_); }

private:
  std::uint32_t run(int prog_fd, const Bytes &frame, std::uint64_t now_ns, const void *ctx, std::size_t ctx_size);

  datapath::SensorObject sensor_;
  std::vector<minewatch_hello_sample> hellos_;
};

/// Parses a literal test address; throws on a typo.
net::Address addr(std::string_view text);

} // namespace minewatch::test
