/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Payload samples to the ring buffer: the first payload packets of each flow
 * direction, and DNS responses under a per-CPU rate limit. Payload is copied
 * with the load_bytes helpers so it may sit in non-linear parts of the packet.
 * A ClientHello gets a longer record (minewatch_hello_sample). */
#ifndef MINEWATCH_SAMPLE_BPF_H
#define MINEWATCH_SAMPLE_BPF_H

#include "maps.bpf.h"
#include "counters.bpf.h"
#include "parse.bpf.h"
#include "flow.bpf.h"

#define DNS_PORT 53
#define NSEC_PER_SEC 1000000000ULL

static __always_inline int is_dns_response(const struct packet *pkt)
{
	return pkt->proto == IPPROTO_UDP && pkt->sport == bpf_htons(DNS_PORT);
}

static __always_inline int dns_sample_allowed(__u64 now)
{
	__u32 zero = 0;
	struct minewatch_scratch *scratch = bpf_map_lookup_elem(&minewatch_scratch, &zero);

	if (!scratch || !minewatch_cfg.dns_samples_per_sec)
		return 0;
	if (now - scratch->dns_window_start_ns >= NSEC_PER_SEC || now < scratch->dns_window_start_ns) {
		scratch->dns_window_start_ns = now;
		scratch->dns_window_count = 0;
	}
	if (scratch->dns_window_count >= minewatch_cfg.dns_samples_per_sec) {
		count(MINEWATCH_STAT_DNS_RATE_LIMITED);
		return 0;
	}
	scratch->dns_window_count++;
	return 1;
}

static __always_inline long load_payload(void *ctx, enum minewatch_hook hook, __u32 off, void *to,
					 __u32 len)
{
	if (hook == MINEWATCH_HOOK_XDP)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

/* 1 when a TCP payload begins a TLS handshake record (type 22, version 3.0
 * to 3.4) whose first message is a ClientHello; *record_len then counts the
 * whole record with its 5-byte header. */
static __always_inline int begins_client_hello(void *ctx, enum minewatch_hook hook,
					       const struct packet *pkt, __u32 *record_len)
{
	__u8 h[6];

	if (pkt->proto != IPPROTO_TCP || pkt->payload_len < sizeof(h))
		return 0;
	if (load_payload(ctx, hook, pkt->payload_off, h, sizeof(h)))
		return 0;
	if (h[0] != 0x16 || h[1] != 3 || h[2] > 4 || h[5] != 1)
		return 0;
	*record_len = 5 + ((__u32)h[3] << 8 | h[4]);
	return 1;
}

/* Reserves a sample record of record_size bytes (a minewatch_sample or a
 * minewatch_hello_sample: the same header, data[] of a different length),
 * fills it with the header and len payload bytes, and submits it. Callers
 * pass a constant size and a len already cut to that record's data[], so
 * the verifier sees the copy fit. */
static __always_inline void emit_payload_record(void *ctx, enum minewatch_hook hook,
						const struct minewatch_flow_key *key,
						enum minewatch_direction dir,
						const struct packet *pkt,
						enum minewatch_sample_kind kind, __u64 now,
						__u32 len, const __u32 record_size,
						const struct minewatch_flow_value *flow)
{
	struct minewatch_sample *s;

	if (len == 0)
		return;
	s = bpf_ringbuf_reserve(&minewatch_samples, record_size, 0);
	if (!s) {
		count(MINEWATCH_STAT_RINGBUF_DROPS);
		return;
	}
	__builtin_memcpy(&s->key, key, sizeof(*key));
	s->ts_ns = now;
	s->payload_len = pkt->payload_len;
	s->captured_len = len;
	s->direction = dir;
	s->kind = kind;
	s->hook = hook;
	s->tcp_flags = pkt->tcp_flags;
	s->initiator = flow->initiator;
	s->flow_flags = (__u8)flow->flags;
	__builtin_memset(s->pad, 0, sizeof(s->pad));
	/* data[] through the record's start, not s->data: for a hello record it
	 * runs past the 256 bytes struct minewatch_sample declares */
	if (load_payload(ctx, hook, pkt->payload_off, (__u8 *)s + MINEWATCH_SAMPLE_DATA_OFF, len)) {
		count(MINEWATCH_STAT_SAMPLE_LOAD_FAILED);
		bpf_ringbuf_discard(s, 0);
		return;
	}
	count(MINEWATCH_STAT_SAMPLES);
	bpf_ringbuf_submit(s, 0);
}

/* 1 when a TCP payload begins a JSON object: Stratum and JSON-RPC
 * messages as a pool or miner sends them, straight in the payload. */
static __always_inline int begins_json_object(void *ctx, enum minewatch_hook hook, const struct packet *pkt)
{
	__u8 c;

	if (pkt->proto != IPPROTO_TCP)
		return 0;
	if (load_payload(ctx, hook, pkt->payload_off, &c, 1))
		return 0;
	return c == '{';
}

/* The long record for a ClientHello's packets and long JSON messages; see
 * minewatch_hello_sample. */
static __always_inline void emit_hello_sample(void *ctx, enum minewatch_hook hook,
					      const struct minewatch_flow_key *key,
					      enum minewatch_direction dir,
					      const struct packet *pkt,
					      enum minewatch_sample_kind kind, __u64 now,
					      const struct minewatch_flow_value *flow)
{
	__u32 len = pkt->payload_len;

	if (len > MINEWATCH_HELLO_MAX)
		len = MINEWATCH_HELLO_MAX;
	emit_payload_record(ctx, hook, key, dir, pkt, kind, now, len,
			    sizeof(struct minewatch_hello_sample), flow);
}

static __always_inline void emit_sample(void *ctx, enum minewatch_hook hook,
					const struct minewatch_flow_key *key,
					enum minewatch_direction dir, const struct packet *pkt,
					enum minewatch_sample_kind kind, __u64 now,
					const struct minewatch_flow_value *flow)
{
	__u32 len = pkt->payload_len;

	if (len > minewatch_cfg.sample_bytes)
		len = minewatch_cfg.sample_bytes;
	if (len > MINEWATCH_SAMPLE_MAX)
		len = MINEWATCH_SAMPLE_MAX;
	emit_payload_record(ctx, hook, key, dir, pkt, kind, now, len,
			    sizeof(struct minewatch_sample), flow);
}

/* Samples carry the wide key whatever map the flow is in: the agent files
 * them by it. Built only when a sample is taken. */
static __always_inline void maybe_sample(void *ctx, enum minewatch_hook hook,
					 struct minewatch_flow_value *flow,
					 enum minewatch_direction dir, const struct packet *pkt,
					 __u64 now)
{
	struct minewatch_dir_stats *d = &flow->dir[dir & 1];
	struct minewatch_flow_key wide;
	struct minewatch_flow_key *key = &wide;
	__u32 record_len = 0, cont;

	if (!pkt->payload_len || pkt->non_first_fragment)
		return;
	if (is_dns_response(pkt)) {
		if (dns_sample_allowed(now)) {
			make_flow_key(pkt, key);
			emit_sample(ctx, hook, key, dir, pkt, MINEWATCH_SAMPLE_DNS, now, flow);
		}
		return;
	}
	if (d->samples >= minewatch_cfg.samples_per_direction)
		return;
	/* claim a slot first so two CPUs cannot both take the last one */
	if (__sync_fetch_and_add(&d->samples, 1) >= minewatch_cfg.samples_per_direction)
		return;
	make_flow_key(pkt, key);
	cont = dir & 1 ? MINEWATCH_FLOW_HELLO_CONT_B : MINEWATCH_FLOW_HELLO_CONT_A;
	/* A ClientHello (XMRig's, a browser's) outgrows the short sample: take
	 * its packet, and the next one while the record goes on, whole. */
	if (flow->flags & cont) {
		__sync_fetch_and_and(&flow->flags, ~cont);
		emit_hello_sample(ctx, hook, key, dir, pkt, MINEWATCH_SAMPLE_TLS_HELLO_CONT, now, flow);
		return;
	}
	if (begins_client_hello(ctx, hook, pkt, &record_len)) {
		if (record_len > pkt->payload_len && pkt->payload_len < MINEWATCH_HELLO_MAX)
			__sync_fetch_and_or(&flow->flags, cont);
		emit_hello_sample(ctx, hook, key, dir, pkt, MINEWATCH_SAMPLE_TLS_HELLO, now, flow);
		return;
	}
	/* So does a JSON message (Stratum, JSON-RPC) the short sample would cut:
	 * a pool may put a notify's method after 300 bytes of params. */
	if (pkt->payload_len > minewatch_cfg.sample_bytes && begins_json_object(ctx, hook, pkt)) {
		emit_hello_sample(ctx, hook, key, dir, pkt, MINEWATCH_SAMPLE_JSON_LONG, now, flow);
		return;
	}
	emit_sample(ctx, hook, key, dir, pkt, MINEWATCH_SAMPLE_FLOW_START, now, flow);
}

#endif /* MINEWATCH_SAMPLE_BPF_H */
