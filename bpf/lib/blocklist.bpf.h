/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Blocklist: exact endpoint rules, then CIDR rules, for both endpoints of the
 * packet. A rule whose deadline has passed matches nothing, so blocks lapse
 * on time even when the agent is not running. */
#ifndef MINEWATCH_BLOCKLIST_BPF_H
#define MINEWATCH_BLOCKLIST_BPF_H

#include "maps.bpf.h"
#include "counters.bpf.h"
#include "parse.bpf.h"

enum block_result {
	BLOCK_NO_MATCH = 0,
	BLOCK_MATCH = 1,
	BLOCK_EXPIRED = 2,
};

static __always_inline enum block_result apply_rule(struct minewatch_block_rule *rule, __u64 now)
{
	if (rule->expires_ns && rule->expires_ns <= now)
		return BLOCK_EXPIRED;
	__sync_fetch_and_add(&rule->hits, 1);
	if (!rule->first_hit_ns)
		__sync_val_compare_and_swap(&rule->first_hit_ns, 0, now);
	rule->last_hit_ns = now;
	return BLOCK_MATCH;
}

/* Expired CIDR rules a packet looks past for a shorter live one: more than
 * the agent's sweep (each tick) lets pile up on one address. */
#define BLOCK_CIDR_TRIES 4

/* An expired rule hides nothing: past an expired endpoint rule the CIDR
 * rules still apply, and past an expired prefix a shorter one does.
 *
 * A global function (not inlined, not static): the verifier checks it once,
 * on its own, where inlined at both call sites its lookups and tries
 * multiplied the paths of everything after the blocklist check (a fifth of
 * the program's verification, which is most of a replay's start-up). Only a
 * flow's first packet, or its first after a rule change, comes here. */
__noinline int match_endpoint(const union minewatch_addr *addr, __be16 port, __u8 proto, __u64 now)
{
	enum block_result seen = BLOCK_NO_MATCH;
	struct minewatch_endpoint_key ek = {};
	struct minewatch_lpm_key lk = {};
	struct minewatch_block_rule *rule;

	if (!addr) /* a global function's pointer argument may be NULL to the verifier */
		return BLOCK_NO_MATCH;
	__builtin_memcpy(ek.addr, addr->b, 16);
	ek.port = port;
	ek.proto = proto;
	rule = bpf_map_lookup_elem(&minewatch_block_endpoint, &ek);
	if (rule) {
		if (apply_rule(rule, now) == BLOCK_MATCH)
			return BLOCK_MATCH;
		seen = BLOCK_EXPIRED;
	}

	lk.prefixlen = 128;
	__builtin_memcpy(lk.addr, addr->b, 16);
	for (int i = 0; i < BLOCK_CIDR_TRIES; i++) {
		/* the trie's longest match no longer than lk.prefixlen */
		rule = bpf_map_lookup_elem(&minewatch_block_cidr, &lk);
		if (!rule)
			break;
		if (apply_rule(rule, now) == BLOCK_MATCH)
			return BLOCK_MATCH;
		seen = BLOCK_EXPIRED;
		if (rule->prefixlen == 0 || rule->prefixlen > lk.prefixlen)
			break; /* no shorter one to find, or no length recorded */
		lk.prefixlen = rule->prefixlen - 1;
	}
	return seen;
}

/* Checks the source, then the destination; the first live match wins. */
static __always_inline enum block_result match_blocklist(const struct packet *pkt, __u64 now)
{
	enum block_result src = match_endpoint(&pkt->src, pkt->sport, pkt->proto, now);

	if (src == BLOCK_MATCH)
		return src;
	enum block_result dst = match_endpoint(&pkt->dst, pkt->dport, pkt->proto, now);

	if (dst == BLOCK_MATCH)
		return dst;
	return src == BLOCK_EXPIRED || dst == BLOCK_EXPIRED ? BLOCK_EXPIRED : BLOCK_NO_MATCH;
}

#endif /* MINEWATCH_BLOCKLIST_BPF_H */
