// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The C++ half of the ABI check: sizes are asserted in the header itself;
// here the field offsets the BPF side relies on, and copyability.
#include "minewatch_abi.h"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <type_traits>

BOOST_AUTO_TEST_SUITE(abi_layout)

BOOST_AUTO_TEST_CASE(shared_structs_are_plain_data) {
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_flow_key>);
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_flow_value>);
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_sample>);
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_hello_sample>);
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_message>);
  BOOST_TEST(std::is_trivially_copyable_v<minewatch_block_rule>);
  BOOST_TEST(std::is_standard_layout_v<minewatch_flow_value>);
}

BOOST_AUTO_TEST_CASE(field_offsets) {
  BOOST_TEST(offsetof(minewatch_flow_key, addr_b) == 16u);
  BOOST_TEST(offsetof(minewatch_flow_key, port_a) == 32u);
  BOOST_TEST(offsetof(minewatch_flow_key, proto) == 36u);
  BOOST_TEST(offsetof(minewatch_flow_key, family) == 37u);
  BOOST_TEST(offsetof(minewatch_dir_stats, psh_packets) == 40u);
  BOOST_TEST(offsetof(minewatch_dir_stats, size_hist) == 56u);
  BOOST_TEST(offsetof(minewatch_dir_stats, iat_hist) == 56u + 4 * MINEWATCH_SIZE_BUCKETS);
  BOOST_TEST(offsetof(minewatch_flow_value, rules_gen) == 2 * sizeof(minewatch_dir_stats));
  BOOST_TEST(offsetof(minewatch_flow_value, initiator) == 2 * sizeof(minewatch_dir_stats) + 12);
  BOOST_TEST(offsetof(minewatch_sample, ts_ns) == 40u);
  BOOST_TEST(offsetof(minewatch_sample, data) == 64u);
}

// The agent reads a hello record's header as a minewatch_sample's: same
// fields at the same offsets, and sizes that tell the two apart.
BOOST_AUTO_TEST_CASE(hello_sample_shares_the_sample_header) {
  BOOST_TEST(offsetof(minewatch_hello_sample, ts_ns) == offsetof(minewatch_sample, ts_ns));
  BOOST_TEST(offsetof(minewatch_hello_sample, payload_len) == offsetof(minewatch_sample, payload_len));
  BOOST_TEST(offsetof(minewatch_hello_sample, captured_len) == offsetof(minewatch_sample, captured_len));
  BOOST_TEST(offsetof(minewatch_hello_sample, kind) == offsetof(minewatch_sample, kind));
  BOOST_TEST(offsetof(minewatch_hello_sample, tcp_flags) == offsetof(minewatch_sample, tcp_flags));
  BOOST_TEST(offsetof(minewatch_hello_sample, data) == offsetof(minewatch_sample, data));
  BOOST_TEST(sizeof(minewatch_hello_sample) == offsetof(minewatch_hello_sample, data) + MINEWATCH_HELLO_MAX);
  BOOST_TEST(sizeof(minewatch_hello_sample) != sizeof(minewatch_sample));
  BOOST_TEST(offsetof(minewatch_lpm_key, addr) == 4u);
  BOOST_TEST(offsetof(minewatch_endpoint_key, port) == 16u);
  BOOST_TEST(offsetof(minewatch_block_rule, first_hit_ns) == 16u);
  BOOST_TEST(offsetof(minewatch_block_rule, rule_id) == 32u);
  BOOST_TEST(offsetof(minewatch_block_rule, prefixlen) == 36u);
  BOOST_TEST(offsetof(minewatch_globals, clock_tick_ns) == 24u);
  BOOST_TEST(offsetof(minewatch_globals, clock_offset_ns) == 32u);
  BOOST_TEST(offsetof(minewatch_clock_sample, coarse_ns) == 8u);
  BOOST_TEST(offsetof(minewatch_sweep_ctx, gen) == 24u);
  BOOST_TEST(offsetof(minewatch_sweep_ctx, flows) == 32u);
  BOOST_TEST(offsetof(minewatch_sweep_ctx, records) == 56u);
  BOOST_TEST(offsetof(minewatch_sweep_ctx, overflow) == 60u);
  BOOST_TEST(offsetof(minewatch_sweep_record, value) == 40u);
  BOOST_TEST(offsetof(minewatch_sweep_record, flags) == 552u);
  BOOST_TEST(offsetof(minewatch_flow_value, msg) == 480u);
  BOOST_TEST(offsetof(minewatch_msg_state, count) == 24u);
  BOOST_TEST(offsetof(minewatch_message, start_ns) == 40u);
  BOOST_TEST(offsetof(minewatch_message, index) == 56u);
  BOOST_TEST(offsetof(minewatch_message, direction) == 62u);
  BOOST_TEST(offsetof(minewatch_config, messages_per_flow) == 16u);
}

BOOST_AUTO_TEST_CASE(histograms_cover_what_mining_needs) {
  // The last inter-arrival bucket starts past two minutes: mining cadence
  // (shares every few seconds to a minute, keepalives each minute) fits below.
  constexpr unsigned long long last_bucket_ns = 1ull << (MINEWATCH_IAT_BUCKETS - 1 + MINEWATCH_IAT_SHIFT);
  BOOST_TEST(last_bucket_ns > 120'000'000'000ull);
  BOOST_TEST((MINEWATCH_SAMPLE_MAX & 7) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
