// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The benchmark's floor: an XDP program that does nothing, built and loaded
 * exactly like the sensor so the ratio measures only our work. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The same floor for the TC egress cases. */
SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}
