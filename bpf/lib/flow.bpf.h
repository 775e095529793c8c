/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Bidirectional flow accounting: canonical key, creation, per-direction
 * counters and histograms. Counters are updated with atomics because the two
 * directions of one flow are often handled on different CPUs (XDP on the RX
 * queue's CPU, TC egress on the sender's). */
#ifndef MINEWATCH_FLOW_BPF_H
#define MINEWATCH_FLOW_BPF_H

#include "maps.bpf.h"
#include "counters.bpf.h"
#include "parse.bpf.h"

static __always_inline __u32 log2_floor(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline __u32 size_bucket(__u32 payload_len)
{
	__u32 b = payload_len ? log2_floor(payload_len) + 1 : 0;

	return b < MINEWATCH_SIZE_BUCKETS ? b : MINEWATCH_SIZE_BUCKETS - 1;
}

static __always_inline __u32 iat_bucket(__u64 gap_ns)
{
	__u64 units = gap_ns >> MINEWATCH_IAT_SHIFT;
	__u32 b = units ? log2_floor(units) : 0;

	return b < MINEWATCH_IAT_BUCKETS ? b : MINEWATCH_IAT_BUCKETS - 1;
}

/* Order endpoints by memcmp of (address, port in network order), so both
 * directions of a conversation produce the same key. Returns the packet's
 * direction in that key. */
static __always_inline enum minewatch_direction make_flow_key(const struct packet *pkt,
							      struct minewatch_flow_key *key)
{
	__u64 s0 = __builtin_bswap64(pkt->src.d[0]), d0 = __builtin_bswap64(pkt->dst.d[0]);
	__u64 s1 = __builtin_bswap64(pkt->src.d[1]), d1 = __builtin_bswap64(pkt->dst.d[1]);
	__u16 sp = bpf_ntohs(pkt->sport), dp = bpf_ntohs(pkt->dport);
	int src_is_a = s0 != d0 ? s0 < d0 : s1 != d1 ? s1 < d1 : sp <= dp;
	const union minewatch_addr *a = src_is_a ? &pkt->src : &pkt->dst;
	const union minewatch_addr *b = src_is_a ? &pkt->dst : &pkt->src;

	__builtin_memcpy(key->addr_a, a->b, 16);
	__builtin_memcpy(key->addr_b, b->b, 16);
	key->port_a = src_is_a ? pkt->sport : pkt->dport;
	key->port_b = src_is_a ? pkt->dport : pkt->sport;
	key->proto = pkt->proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
	return src_is_a ? MINEWATCH_DIR_A_TO_B : MINEWATCH_DIR_B_TO_A;
}

/* The IPv4 key: the same order as make_flow_key (for v4-mapped addresses
 * the first 12 bytes are equal, so the last 4 decide, then the ports). */
static __always_inline enum minewatch_direction make_flow_key4(const struct packet *pkt,
							       struct minewatch_flow_key4 *key)
{
	__u32 s = bpf_ntohl(pkt->src.w[3]), d = bpf_ntohl(pkt->dst.w[3]);
	__u16 sp = bpf_ntohs(pkt->sport), dp = bpf_ntohs(pkt->dport);
	int src_is_a = s != d ? s < d : sp <= dp;

	key->addr_a = src_is_a ? pkt->src.w[3] : pkt->dst.w[3];
	key->addr_b = src_is_a ? pkt->dst.w[3] : pkt->src.w[3];
	key->port_a = src_is_a ? pkt->sport : pkt->dport;
	key->port_b = src_is_a ? pkt->dport : pkt->sport;
	key->proto = pkt->proto;
	key->pad[0] = 0;
	key->pad[1] = 0;
	key->pad[2] = 0;
	return src_is_a ? MINEWATCH_DIR_A_TO_B : MINEWATCH_DIR_B_TO_A;
}

static __always_inline int is_syn_only(const struct packet *pkt)
{
	return pkt->proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (MINEWATCH_TCP_SYN | MINEWATCH_TCP_ACK)) == MINEWATCH_TCP_SYN;
}

/* map: minewatch_flows4 or minewatch_flows, with the matching key.
 * outbound: the packet is leaving through the egress hook (a constant per
 * program: the branch folds away). */
static __always_inline struct minewatch_flow_value *
create_flow(void *map, const void *key, enum minewatch_direction dir, const struct packet *pkt,
	    int outbound)
{
	__u32 zero = 0;
	struct minewatch_scratch *scratch = bpf_map_lookup_elem(&minewatch_scratch, &zero);
	struct minewatch_flow_value *flow;
	long err;

	if (!scratch)
		return NULL;
	scratch->zero_flow.initiator = dir;
	scratch->zero_flow.flags = (is_syn_only(pkt) ? MINEWATCH_FLOW_INITIATOR_FROM_SYN : 0) |
				   (outbound ? MINEWATCH_FLOW_OPENED_OUTBOUND : 0);
	if (pkt->non_first_fragment)
		scratch->zero_flow.flags |= MINEWATCH_FLOW_FRAGMENTS;
	/* NOEXIST: another CPU may have created it meanwhile; that is not an error */
	err = bpf_map_update_elem(map, key, &scratch->zero_flow, BPF_NOEXIST);
	if (err == 0)
		count(MINEWATCH_STAT_FLOWS_CREATED);
	else if (err != -17 /* EEXIST */)
		count(MINEWATCH_STAT_FLOW_INSERT_FAILED);
	flow = bpf_map_lookup_elem(map, key);
	if (!flow && err == 0)
		count(MINEWATCH_STAT_FLOW_INSERT_FAILED); /* evicted at once */
	return flow;
}

/* Returns 1 when this packet is the direction's first since the agent began
 * a drain: the flow is news (see struct minewatch_dirty_event). */
static __always_inline int account_packet(struct minewatch_flow_value *flow,
					  enum minewatch_direction dir,
					  const struct packet *pkt, __u32 frames, __u64 wire_len,
					  __u64 now, int outbound)
{
	struct minewatch_dir_stats *d = &flow->dir[dir & 1];
	__u32 drain_gen = minewatch_globals.drain_gen;
	int restamped = 0;
	__u64 prev;

	/* a plain store, and only when it changes: the agent reads it, and a
	 * racing packet on another CPU writes the same value (both may then
	 * report the flow; the agent reads it once) */
	if (d->drain_gen != drain_gen) {
		d->drain_gen = drain_gen;
		restamped = 1;
	}
	__sync_fetch_and_add(&d->packets, frames);
	__sync_fetch_and_add(&d->bytes, wire_len);
	if (pkt->payload_len)
		__sync_fetch_and_add(&d->payload_bytes, pkt->payload_len);
	__sync_fetch_and_add(&d->size_hist[size_bucket(pkt->payload_len)], 1);

	if (!d->first_seen_ns)
		__sync_val_compare_and_swap(&d->first_seen_ns, 0, now);
	prev = __sync_lock_test_and_set(&d->last_seen_ns, now);
	if (prev)
		__sync_fetch_and_add(&d->iat_hist[iat_bucket(now > prev ? now - prev : 0)], 1);

	if (pkt->proto != IPPROTO_TCP)
		return restamped;
	if (pkt->tcp_flags & ~d->tcp_flags)
		__sync_fetch_and_or(&d->tcp_flags, pkt->tcp_flags);
	if (pkt->tcp_flags & MINEWATCH_TCP_PSH)
		__sync_fetch_and_add(&d->psh_packets, 1);
	/* The first packet seen may be mid-flow; a bare SYN names the opener. */
	if (is_syn_only(pkt) && !(flow->flags & MINEWATCH_FLOW_INITIATOR_FROM_SYN)) {
		flow->initiator = dir;
		/* the SYN's hook, not the first packet's, says who opened it */
		if (outbound) {
			__sync_fetch_and_or(&flow->flags, MINEWATCH_FLOW_INITIATOR_FROM_SYN |
							  MINEWATCH_FLOW_OPENED_OUTBOUND);
		} else {
			__sync_fetch_and_and(&flow->flags, ~(__u32)MINEWATCH_FLOW_OPENED_OUTBOUND);
			__sync_fetch_and_or(&flow->flags, MINEWATCH_FLOW_INITIATOR_FROM_SYN);
		}
	}
	return restamped;
}

#endif /* MINEWATCH_FLOW_BPF_H */
