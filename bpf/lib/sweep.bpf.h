/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The agent's sweep of the flow table, in place: see struct
 * minewatch_sweep_ctx. Its rules (minewatch_flow_closed, _stamped) are the
 * ABI header's, which FlowDrain::look (agent/src/drain/flow_drain.cpp) applies too. */
#ifndef MINEWATCH_SWEEP_BPF_H
#define MINEWATCH_SWEEP_BPF_H

#include "maps.bpf.h"

/* The callbacks' state; on the stack, as bpf_for_each_map_elem requires. */
struct sweep_state {
	__u64 now_ns, idle_ns, closed_ns;
	__u64 flows, stay_bytes, stay_packets;
	__u32 gen, records, overflow;
};

/* Returns the record to fill for this flow, or NULL when it only adds to
 * the totals (or did not fit, which voids the sweep). */
static __always_inline struct minewatch_sweep_record *
sweep_flow(struct sweep_state *s, const struct minewatch_flow_value *v)
{
	__u64 last = v->dir[0].last_seen_ns > v->dir[1].last_seen_ns ? v->dir[0].last_seen_ns
								       : v->dir[1].last_seen_ns;
	__u64 quiet = s->now_ns > last ? s->now_ns - last : 0;
	int changed = minewatch_flow_stamped(v, s->gen) || minewatch_flow_stamped(v, s->gen - 1);
	int over = quiet >= s->idle_ns || (minewatch_flow_closed(v) && quiet >= s->closed_ns);
	struct minewatch_sweep_record *r;
	__u32 i = s->records;

	s->flows++;
	if (!changed && !over) {
		s->stay_bytes += v->dir[0].bytes + v->dir[1].bytes;
		s->stay_packets += v->dir[0].packets + v->dir[1].packets;
		return NULL;
	}
	r = bpf_map_lookup_elem(&minewatch_sweep_out, &i);
	if (!r) {
		s->overflow++;
		return NULL;
	}
	__builtin_memcpy(&r->value, v, sizeof(*v));
	r->flags = changed ? MINEWATCH_SWEEP_CHANGED : 0;
	r->pad = 0;
	s->records = i + 1;
	return r;
}

static long sweep_flow4(void *map, const struct minewatch_flow_key4 *key, struct minewatch_flow_value *v,
			struct sweep_state *s)
{
	struct minewatch_sweep_record *r = sweep_flow(s, v);

	if (r)
		minewatch_widen_key4(key, &r->key);
	return 0;
}

static long sweep_flow6(void *map, const struct minewatch_flow_key *key, struct minewatch_flow_value *v,
			struct sweep_state *s)
{
	struct minewatch_sweep_record *r = sweep_flow(s, v);

	if (r)
		__builtin_memcpy(&r->key, key, sizeof(*key));
	return 0;
}

/* bpf_loop body of minewatch_read_flows: flow i of the agent's list. */
static long read_flow(__u32 i, __u32 *found)
{
	struct minewatch_flow_key *key = bpf_map_lookup_elem(&minewatch_read_keys, &i);
	struct minewatch_sweep_record *r = bpf_map_lookup_elem(&minewatch_sweep_out, &i);
	struct minewatch_flow_key4 key4;
	struct minewatch_flow_value *v;

	if (!key || !r)
		return 1; /* past the arrays: the agent asked for too many */
	if (minewatch_narrow_key(key, &key4))
		v = bpf_map_lookup_elem(&minewatch_flows4, &key4);
	else
		v = bpf_map_lookup_elem(&minewatch_flows, key);
	__builtin_memcpy(&r->key, key, sizeof(*key));
	r->pad = 0;
	if (!v) {
		r->flags = 0;
		return 0;
	}
	__builtin_memcpy(&r->value, v, sizeof(*v));
	r->flags = MINEWATCH_SWEEP_FOUND;
	(*found)++;
	return 0;
}

#endif /* MINEWATCH_SWEEP_BPF_H */
