// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "test_run_harness.hpp"

#include "bpf/ring_buffer.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace minewatch::test {

net::Address addr(std::string_view text) {
  auto a = net::Address::parse(text);
  if (!a)
    throw std::invalid_argument("bad test address " + std::string(text));
  return *a;
}

TestRunHarness::TestRunHarness(const datapath::SensorOptions &options) : sensor_(options) { sensor_.load(); }

std::uint32_t TestRunHarness::run(int prog_fd, const Bytes &frame, std::uint64_t now_ns, const void *ctx,
                                  std::size_t ctx_size) {
  sensor_.setClock(now_ns);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
              .ctx_in = ctx, .ctx_size_in = static_cast<__u32>(ctx_size), .repeat = 1);
  if (int err = bpf_prog_test_run_opts(prog_fd, &opts); err)
    throw std::system_error(errno, std::generic_category(), "bpf_prog_test_run_opts");
  return opts.retval;
}

std::uint32_t TestRunHarness::runXdp(const Bytes &frame, std::uint64_t now_ns) {
  return run(bpf_program__fd(sensor_.xdpProgram()), frame, now_ns, nullptr, 0);
}

std::uint32_t TestRunHarness::runTc(const Bytes &frame, std::uint64_t now_ns) {
  return run(bpf_program__fd(sensor_.tcProgram()), frame, now_ns, nullptr, 0);
}

std::uint32_t TestRunHarness::runTcGso(const Bytes &frame, std::uint32_t segments, std::uint64_t now_ns) {
  __sk_buff ctx{};
  ctx.gso_segs = segments;
  ctx.gso_size = static_cast<__u32>(frame.size() / segments); // only its presence matters here
  return run(bpf_program__fd(sensor_.tcProgram()), frame, now_ns, &ctx, sizeof ctx);
}

std::uint32_t TestRunHarness::runXdpFragmented(const Bytes &frame, std::uint32_t linear_bytes, std::uint64_t now_ns) {
  xdp_md ctx{};
  ctx.data_end = linear_bytes;
  return run(bpf_program__fd(sensor_.xdpProgram()), frame, now_ns, &ctx, sizeof ctx);
}

int TestRunHarness::tryRunXdp(const Bytes &frame) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<__u32>(frame.size()),
              .repeat = 1);
  return bpf_prog_test_run_opts(bpf_program__fd(sensor_.xdpProgram()), &opts) ? -errno : 0;
}

std::optional<TestRunHarness::FlowView> TestRunHarness::flow(std::string_view src, std::uint16_t sport,
                                                             std::string_view dst, std::uint16_t dport,
                                                             std::uint8_t proto) const {
  auto [key, dir] = datapath::canonicalFlowKey({addr(src), sport}, {addr(dst), dport}, proto);
  auto value = sensor_.flows().lookup(key);
  if (!value)
    return std::nullopt;
  return FlowView{*value, dir};
}

std::vector<minewatch_sample> TestRunHarness::drainSamples() {
  std::vector<minewatch_sample> out;
  hellos_.clear();
  bpf::RingBuffer rb(sensor_.samplesFd(), [&](std::span<const std::byte> record) {
    if (record.size() == sizeof(minewatch_hello_sample)) {
      minewatch_hello_sample h;
      std::memcpy(&h, record.data(), sizeof h);
      hellos_.push_back(h);
      return;
    }
    if (record.size() != sizeof(minewatch_sample))
      throw std::runtime_error("sample of unexpected size " + std::to_string(record.size()));
    minewatch_sample s;
    std::memcpy(&s, record.data(), sizeof s);
    out.push_back(s);
  });
  rb.consume();
  return out;
}

} // namespace minewatch::test
