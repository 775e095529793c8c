/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MINEWATCH_CLOCK_BPF_H
#define MINEWATCH_CLOCK_BPF_H

#include "maps.bpf.h"

/* The only way the programs read time. Tests and pcap replay set
 * clock_override_ns so the real code runs on the capture's timestamps.
 *
 * Live, the coarse clock (CLOCK_MONOTONIC at 1/HZ resolution) is the
 * default: the exact one costs as much as the rest of the flow update
 * (bench/), and detection reads gaps of a quarter second and up. Gaps below
 * 1/HZ then land in the first buckets; precise_clock restores them. */
static __always_inline __u64 minewatch_now(void)
{
	__u64 injected = minewatch_globals.clock_override_ns;

	if (injected)
		return injected;
	return minewatch_cfg.precise_clock ? bpf_ktime_get_ns() : bpf_ktime_get_coarse_ns();
}

#endif /* MINEWATCH_CLOCK_BPF_H */
