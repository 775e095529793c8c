/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MINEWATCH_CLOCK_BPF_H
#define MINEWATCH_CLOCK_BPF_H

#include "maps.bpf.h"

/* The only way the programs read time. Tests and pcap replay set
 * clock_override_ns so the real code runs on the capture's timestamps. */
static __always_inline __u64 minewatch_now(void)
{
	__u64 injected = minewatch_globals.clock_override_ns;

	return injected ? injected : bpf_ktime_get_ns();
}

#endif /* MINEWATCH_CLOCK_BPF_H */
