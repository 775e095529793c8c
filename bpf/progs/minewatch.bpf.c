// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * minewatch data path: XDP on ingress, TC (clsact) on egress. The entry
 * points live in one object so one skeleton owns the maps they share and
 * every flow is counted in both directions. Ingress may run on TC instead
 * (ingress_hook: tc), where an XDP program would cost the interface its GRO
 * packets (veth, virtio).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include "sensor.bpf.h"
#include "sweep.bpf.h"

/* libxdp dispatcher: run early, and let later programs see what we pass. */
struct {
	__uint(priority, 5);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(minewatch_xdp);

/* xdp.frags: the code reads lengths and payload through frag-aware helpers,
 * so it may attach where the MTU exceeds a page (jumbo frames). */
SEC("xdp.frags")
int minewatch_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	return sensor_process(ctx, data, data_end, 0, 1, MINEWATCH_HOOK_XDP) == SENSOR_DROP
		       ? XDP_DROP
		       : XDP_PASS;
}

/* Headers longer than the linear area are pulled in once; 256 bytes covers
 * Ethernet, two VLAN tags, IPv6 with extension headers and TCP options.
 * Only when they are not all there already (common_headers_linear). */
#define TC_PULL_BYTES 256

static __always_inline int tc_run(struct __sk_buff *skb, enum minewatch_hook hook)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 linear = data_end - data;

	if (linear < TC_PULL_BYTES && skb->len > linear && !common_headers_linear(data, data_end)) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_BYTES ? skb->len : TC_PULL_BYTES);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}

	return sensor_process(skb, data, data_end, skb->len, skb->gso_segs, hook) == SENSOR_DROP ? TC_ACT_SHOT
												  : TC_ACT_OK;
}

SEC("tc")
int minewatch_tc_egress(struct __sk_buff *skb)
{
	return tc_run(skb, MINEWATCH_HOOK_TC);
}

/* gso_segs counts the frames GRO merged, so the flow table still counts
 * what the wire carried. */
SEC("tc")
int minewatch_tc_ingress(struct __sk_buff *skb)
{
	return tc_run(skb, MINEWATCH_HOOK_TC_INGRESS);
}

/* Run by user space (BPF_PROG_TEST_RUN, never attached) to calibrate the
 * jiffies clock (see minewatch_globals.clock_tick_ns): writes a struct
 * minewatch_clock_sample over the start of the test frame, which comes
 * back as data_out. An XDP program because the syscall program type may
 * not read the coarse clock. */
SEC("xdp")
int minewatch_clock_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct minewatch_clock_sample *out = data;

	if ((void *)(out + 1) > data_end)
		return XDP_ABORTED;
	out->jiffies = bpf_jiffies64();
	out->coarse_ns = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/* The agent's sweep (struct minewatch_sweep_ctx), run by BPF_PROG_TEST_RUN.
 * Sleepable, so on a preemptible kernel it yields between hash buckets. */
SEC("syscall")
int minewatch_sweep(struct minewatch_sweep_ctx *ctx)
{
	struct sweep_state s = {
		.now_ns = ctx->now_ns,
		.idle_ns = ctx->idle_ns,
		.closed_ns = ctx->closed_ns,
		.gen = ctx->gen,
	};

	bpf_for_each_map_elem(&minewatch_flows4, sweep_flow4, &s, 0);
	bpf_for_each_map_elem(&minewatch_flows, sweep_flow6, &s, 0);
	ctx->flows = s.flows;
	ctx->stay_bytes = s.stay_bytes;
	ctx->stay_packets = s.stay_packets;
	ctx->records = s.records;
	ctx->overflow = s.overflow;
	return 0;
}

/* A tick's news (struct minewatch_read_ctx), run by BPF_PROG_TEST_RUN. */
SEC("syscall")
int minewatch_read_flows(struct minewatch_read_ctx *ctx)
{
	__u32 found = 0;

	bpf_loop(ctx->count, read_flow, &found, 0);
	ctx->found = found;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
