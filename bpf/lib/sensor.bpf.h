/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The per-packet pipeline both hooks run: parse, blocklist, account, message
 * sequence, sample. */
#ifndef MINEWATCH_SENSOR_BPF_H
#define MINEWATCH_SENSOR_BPF_H

#include "blocklist.bpf.h"
#include "clock.bpf.h"
#include "flow.bpf.h"
#include "messages.bpf.h"
#include "sample.bpf.h"

enum sensor_verdict {
	SENSOR_PASS = 0,
	SENSOR_DROP = 1,
};

/* Benchmark only (pruned by the verifier otherwise): a different source
 * port every packet, so repeated runs of one packet measure flow creation. */
static __always_inline void bench_vary_key(struct minewatch_flow_key *key,
					   struct minewatch_flow_key4 *key4)
{
	__u32 zero = 0;
	struct minewatch_scratch *scratch = bpf_map_lookup_elem(&minewatch_scratch, &zero);

	if (scratch) {
		scratch->bench_counter++;
		__builtin_memcpy(key->addr_a, &scratch->bench_counter, sizeof(__u64));
		__builtin_memcpy(&key4->addr_a, &scratch->bench_counter, sizeof(__u64));
	}
}

/* Tells the agent the flow is news, after its counters took the packet (the
 * agent reads them when it sees this). IPv4 flows get their wide key built
 * here; it is the one name the agent knows flows by. */
static __always_inline void report_dirty(const struct minewatch_flow_key *key,
					 const struct minewatch_flow_key4 *key4, __u32 flags)
{
	struct minewatch_dirty_event ev;

	ev.flags = flags;
	ev.pad = 0;

	if (key4)
		minewatch_widen_key4(key4, &ev.key);
	else
		ev.key = *key;
	if (bpf_ringbuf_output(&minewatch_dirty, &ev, sizeof ev, 0))
		count(MINEWATCH_STAT_DIRTY_DROPS);
}

/* gso_segs: how many frames this packet leaves as. TC egress sees a GSO
 * packet once, before the device (or software GSO) cuts it into segments,
 * each with its own headers; counting it as those frames keeps the flow
 * table equal to what the wire, and the interface counters, see. */
static __always_inline enum sensor_verdict sensor_process(void *ctx, void *data,
							  void *data_end, __u32 skb_len,
							  __u32 gso_segs,
							  enum minewatch_hook hook)
{
	struct minewatch_flow_value *flow;
	struct minewatch_flow_key key;
	struct minewatch_flow_key4 key4;
	int v4, restamped, closing;
	__u64 lane; /* see the flow lookup */
	struct packet pkt = {};
	enum minewatch_direction dir;
	__u64 now, gen;
	int rc;
	const int outbound = hook == MINEWATCH_HOOK_TC; /* egress */

	struct frame_len len = {
		.ctx = ctx,
		.linear = (__u32)(data_end - data),
		.known = hook == MINEWATCH_HOOK_XDP ? 0 : skb_len,
		.is_xdp = hook == MINEWATCH_HOOK_XDP,
	};

	count(hook == MINEWATCH_HOOK_XDP  ? MINEWATCH_STAT_XDP_PACKETS
	      : hook == MINEWATCH_HOOK_TC ? MINEWATCH_STAT_TC_PACKETS
					  : MINEWATCH_STAT_TC_INGRESS_PACKETS);
	rc = parse_packet(data, data_end, &len, &pkt);
	if (rc != PARSE_OK) {
		count(rc); /* fail open: never drop what we cannot read */
		return SENSOR_PASS;
	}
	if (pkt.non_first_fragment)
		count(MINEWATCH_STAT_FRAGMENTS);

	now = minewatch_now();
	v4 = pkt.family == MINEWATCH_FAMILY_IPV4;
	if (v4)
		dir = make_flow_key4(&pkt, &key4);
	else
		dir = make_flow_key(&pkt, &key);
	if (minewatch_cfg.bench_new_flow_per_packet)
		bench_vary_key(&key, &key4);

	/* Flows remember the blocklist generation they were cleared against, so
	 * the trie is consulted once per flow and again after each rule change. */
	gen = minewatch_globals.rules_gen + 1;
	/* Two call sites the compiler must not merge into one with a map chosen
	 * at run time: the verifier inlines a lookup only when its call site
	 * sees a single map, and otherwise calls through the map's ops (an
	 * indirect call, a retpoline here: ~30 ns a packet). Each branch ends in
	 * a different no-op the compiler cannot see through, so it has nothing
	 * common to sink the two calls into. */
	if (v4) {
		flow = bpf_map_lookup_elem(&minewatch_flows4, &key4);
		asm volatile("%0 = 4" : "=r"(lane));
	} else {
		flow = bpf_map_lookup_elem(&minewatch_flows, &key);
		asm volatile("%0 = 6" : "=r"(lane));
	}
	if (!flow || flow->rules_gen != gen) {
		enum block_result block = match_blocklist(&pkt, now);

		if (block == BLOCK_MATCH) {
			if (minewatch_cfg.enforce) {
				count(hook == MINEWATCH_HOOK_XDP  ? MINEWATCH_STAT_BLOCKED_XDP
				      : hook == MINEWATCH_HOOK_TC ? MINEWATCH_STAT_BLOCKED_TC
								  : MINEWATCH_STAT_BLOCKED_TC_INGRESS);
				/* bytes too: interface counters include what XDP drops */
				count_n(hook == MINEWATCH_HOOK_XDP  ? MINEWATCH_STAT_BLOCKED_XDP_BYTES
					: hook == MINEWATCH_HOOK_TC ? MINEWATCH_STAT_BLOCKED_TC_BYTES
								    : MINEWATCH_STAT_BLOCKED_TC_INGRESS_BYTES,
					pkt.frame_len);
				return SENSOR_DROP;
			}
			count(MINEWATCH_STAT_BLOCK_WOULD_DROP);
		} else if (block == BLOCK_EXPIRED) {
			count(MINEWATCH_STAT_BLOCK_EXPIRED);
		}
		if (!flow && v4) {
			flow = create_flow(&minewatch_flows4, &key4, dir, &pkt, outbound);
			asm volatile("%0 = 4" : "=r"(lane)); /* as at the lookup */
		} else if (!flow) {
			flow = create_flow(&minewatch_flows, &key, dir, &pkt, outbound);
			asm volatile("%0 = 6" : "=r"(lane));
		}
		if (!flow)
			return SENSOR_PASS;
		/* a would-drop is re-checked every packet so tap mode counts them all */
		if (block != BLOCK_MATCH)
			flow->rules_gen = gen;
	}

	if (gso_segs > 1)
		restamped = account_packet(flow, dir, &pkt, gso_segs,
					   pkt.frame_len + (__u64)(gso_segs - 1) * pkt.payload_off, now,
					   outbound);
	else
		restamped = account_packet(flow, dir, &pkt, 1, pkt.frame_len, now, outbound);
	closing = pkt.proto == IPPROTO_TCP && (pkt.tcp_flags & (MINEWATCH_TCP_FIN | MINEWATCH_TCP_RST));
	if (restamped || closing)
		report_dirty(&key, v4 ? &key4 : NULL, closing ? MINEWATCH_DIRTY_CLOSING : 0);
	track_message(ctx, hook, flow, dir, &pkt, now);
	maybe_sample(ctx, hook, flow, dir, &pkt, now);
	return SENSOR_PASS;
}

#endif /* MINEWATCH_SENSOR_BPF_H */
