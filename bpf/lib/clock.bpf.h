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
 * 1/HZ then land in the first buckets; precise_clock restores them.
 *
 * The coarse clock is read from jiffies when user space has calibrated it
 * (see minewatch_globals.clock_tick_ns): every helper call returns through
 * a return thunk on CPUs that need one (Safe RET on this AMD machine), and
 * the helper and the function it calls were 11 ns of a 94 ns packet. */
static __always_inline __u64 minewatch_now(void)
{
	__u64 injected = minewatch_globals.clock_override_ns;
	__u64 tick;

	if (injected)
		return injected;
	if (minewatch_cfg.precise_clock)
		return bpf_ktime_get_ns();
	tick = minewatch_globals.clock_tick_ns;
	if (tick)
		return bpf_jiffies64() * tick + minewatch_globals.clock_offset_ns;
	return bpf_ktime_get_coarse_ns();
}

#endif /* MINEWATCH_CLOCK_BPF_H */
