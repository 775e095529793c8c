/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Maps and globals shared by the XDP and TC programs. Sizes here are
 * defaults; user space resizes with bpf_map__set_max_entries before load. */
#ifndef MINEWATCH_MAPS_BPF_H
#define MINEWATCH_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "minewatch_abi.h"

/* LRU so a flood of new flows recycles old entries instead of wedging the
 * table; one shared (not per-CPU) value updated with atomics, because a
 * per-CPU value would multiply ~512 B per flow by the CPU count.
 * IPv6 flows here, IPv4 flows in minewatch_flows4 under a 16-byte key. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct minewatch_flow_key);
	__type(value, struct minewatch_flow_value);
} minewatch_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct minewatch_flow_key4);
	__type(value, struct minewatch_flow_value);
} minewatch_flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} minewatch_samples SEC(".maps");

/* struct minewatch_message records */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} minewatch_messages SEC(".maps");

/* struct minewatch_dirty_event records */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} minewatch_dirty SEC(".maps");

/* Where minewatch_sweep hands flows to the agent, which maps it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct minewatch_sweep_record);
} minewatch_sweep_out SEC(".maps");

/* The keys minewatch_read_flows reads, written by the agent in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct minewatch_flow_key);
} minewatch_read_keys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct minewatch_lpm_key);
	__type(value, struct minewatch_block_rule);
} minewatch_block_cidr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct minewatch_endpoint_key);
	__type(value, struct minewatch_block_rule);
} minewatch_block_endpoint SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MINEWATCH_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} minewatch_stats SEC(".maps");

/* Per-CPU scratch: a zeroed flow value to insert (too big for the 512-byte
 * BPF stack) and the DNS sampling window. */
struct minewatch_scratch {
	struct minewatch_flow_value zero_flow;
	__u64 dns_window_start_ns;
	__u64 dns_window_count;
	__u64 bench_counter;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct minewatch_scratch);
} minewatch_scratch SEC(".maps");

const volatile struct minewatch_config minewatch_cfg = {
	.samples_per_direction = 4,
	.sample_bytes = MINEWATCH_SAMPLE_MAX,
	.dns_samples_per_sec = 200,
	.enforce = 1,
	.bench_new_flow_per_packet = 0,
	.precise_clock = 0,
	.messages_per_flow = 64,
	.message_gap_ms = 100,
};

struct minewatch_globals minewatch_globals = {};

/* Always 0 (nothing writes it), but in .bss, where the verifier cannot see
 * its value: added to a packet offset that differs only by the path taken
 * to it, it makes the paths one state (see opaque_offset in parse.bpf.h). */
__u32 minewatch_opaque_zero = 0;

#endif /* MINEWATCH_MAPS_BPF_H */
