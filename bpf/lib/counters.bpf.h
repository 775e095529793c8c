/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MINEWATCH_COUNTERS_BPF_H
#define MINEWATCH_COUNTERS_BPF_H

#include "maps.bpf.h"

/* Per-CPU slot: no atomics needed, user space sums the CPUs. */
static __always_inline void count_n(enum minewatch_stat stat, __u64 n)
{
	__u32 key = stat;
	__u64 *slot = bpf_map_lookup_elem(&minewatch_stats, &key);

	if (slot)
		*slot += n;
}

static __always_inline void count(enum minewatch_stat stat)
{
	count_n(stat, 1);
}

#endif /* MINEWATCH_COUNTERS_BPF_H */
