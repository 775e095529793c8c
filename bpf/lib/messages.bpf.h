/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The message sequence of a TCP flow: see struct minewatch_msg_state. A
 * segment that goes on the message in progress costs an add and a store;
 * only a message's first segment reads payload (for a TLS record header)
 * and only a finished message writes a ring record. Packets without
 * payload, and every packet once the flow's messages are out, return at
 * the first test. */
#ifndef MINEWATCH_MESSAGES_BPF_H
#define MINEWATCH_MESSAGES_BPF_H

#include "maps.bpf.h"
#include "counters.bpf.h"
#include "flow.bpf.h"
#include "sample.bpf.h"

#define NSEC_PER_MSEC 1000000ULL
#define TLS_HEADER_LEN 5
/* TLSCiphertext's largest length field: 2^14 plus 2048 of expansion */
#define TLS_RECORD_MAX (16384 + 2048)

/* The TLS record header a segment begins with, if it does: content type
 * 20-24 (change_cipher_spec, alert, handshake, application_data,
 * heartbeat), version 3.0-3.4, a length a record may have. */
static __always_inline void read_tls_header(void *ctx, enum minewatch_hook hook,
					    const struct packet *pkt,
					    struct minewatch_msg_state *m)
{
	__u8 h[TLS_HEADER_LEN];
	__u16 len;

	m->tls_type = 0;
	m->tls_len = 0;
	if (pkt->payload_len < TLS_HEADER_LEN ||
	    load_payload(ctx, hook, pkt->payload_off, h, sizeof(h)))
		return;
	len = (__u16)h[3] << 8 | h[4];
	if (h[0] < 20 || h[0] > 24 || h[1] != 3 || h[2] > 4 || len > TLS_RECORD_MAX)
		return;
	m->tls_type = h[0];
	m->tls_len = len;
}

/* Hands message `index`, finished, to the agent. */
static __always_inline void emit_message(const struct packet *pkt,
					 const struct minewatch_msg_state *m, __u32 index)
{
	struct minewatch_message *r;

	r = bpf_ringbuf_reserve(&minewatch_messages, sizeof(*r), 0);
	if (!r) {
		count(MINEWATCH_STAT_MESSAGE_DROPS);
		return;
	}
	make_flow_key(pkt, &r->key);
	r->start_ns = m->start_ns;
	r->bytes = m->bytes;
	r->gap_ms = m->gap_ms;
	r->index = index;
	r->tls_len = m->tls_len;
	r->direction = m->dir;
	r->tls_type = m->tls_type;
	bpf_ringbuf_submit(r, 0);
	count(MINEWATCH_STAT_MESSAGES);
}

static __always_inline void track_message(void *ctx, enum minewatch_hook hook,
					  struct minewatch_flow_value *flow,
					  enum minewatch_direction dir, const struct packet *pkt,
					  __u64 now)
{
	struct minewatch_msg_state *m = &flow->msg;
	const __u32 max = minewatch_cfg.messages_per_flow;
	__u64 quiet;
	__u32 n;

	if (!max || pkt->proto != IPPROTO_TCP || !pkt->payload_len || pkt->non_first_fragment)
		return;
	n = m->count;
	if (n > max)
		return; /* all out */
	quiet = now > m->last_ns ? now - m->last_ns : 0;
	if (n && m->dir == dir && quiet <= minewatch_cfg.message_gap_ms * NSEC_PER_MSEC) {
		__sync_fetch_and_add(&m->bytes, pkt->payload_len);
		m->last_ns = now;
		return;
	}
	/* A boundary: message n (if any) is finished. The CPU that moves the
	 * count closes it; a segment that loses the race (the other direction
	 * at the same instant) goes uncounted rather than into a message
	 * another CPU is rewriting. */
	if (__sync_val_compare_and_swap(&m->count, n, n + 1) != n)
		return;
	if (n)
		emit_message(pkt, m, n - 1);
	if (n == max)
		return; /* count is now max + 1: the sequence is complete */
	quiet /= NSEC_PER_MSEC;
	m->gap_ms = !n ? 0 : quiet > 0xffffffffULL ? 0xffffffff : quiet;
	m->start_ns = now;
	m->last_ns = now;
	m->bytes = pkt->payload_len;
	m->dir = dir;
	read_tls_header(ctx, hook, pkt, m);
}

#endif /* MINEWATCH_MESSAGES_BPF_H */
