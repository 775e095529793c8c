/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Packet parser shared by the XDP and TC programs. It works on raw
 * data/data_end pointers so both hooks use the same code, and it checks every
 * header against data_end before reading it. Lengths come from the IP headers
 * and are validated against the full packet length (which, for multi-buffer
 * XDP and non-linear skbs, is larger than the linear area).
 */
#ifndef MINEWATCH_PARSE_BPF_H
#define MINEWATCH_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "minewatch_abi.h"
#include "maps.bpf.h"

#define ETH_P_8021AD_ 0x88A8
#define IPV4_FRAG_OFFSET_MASK 0x1fff
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define ICMP_ECHOREPLY_ 0
#define ICMP_ECHO_ 8
#define ICMPV6_ECHO_REQUEST_ 128
#define ICMPV6_ECHO_REPLY_ 129

/* ICMP and ICMPv6 share this prefix; linux/icmp.h drags in libc headers. */
struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

union minewatch_addr {
	__u8 b[16];
	__u32 w[4];
	__u64 d[2];
};

struct packet {
	union minewatch_addr src;
	union minewatch_addr dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 tcp_flags;
	__u8 non_first_fragment;
	__u32 payload_off; /* from the start of the frame */
	__u32 payload_len;
	__u32 frame_len;   /* whole frame, past the linear area too */
};

/* Parse results: 0 or the stat that explains why the packet is not tracked. */
#define PARSE_OK 0

/* The frame's full length. The linear part (data_end - data) is all there is
 * unless the IP header claims more; only then is it worth asking XDP for the
 * fragments' share (a helper call: measurable per packet). TC knows skb->len. */
struct frame_len {
	void *ctx;
	__u32 linear;
	__u32 known;     /* 0 until asked, for XDP */
	__u8 is_xdp;
};

static __always_inline __u32 full_frame_len(struct frame_len *f, __u32 needed)
{
	if (needed <= f->linear || f->known)
		return f->known ? f->known : f->linear;
	if (f->is_xdp)
		f->known = bpf_xdp_get_buff_len(f->ctx);
	return f->known;
}

static __always_inline void map_ipv4(union minewatch_addr *a, __be32 v4)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = bpf_htonl(0xffff);
	a->w[3] = v4;
}

static __always_inline int parse_l4(void *l4, void *data, void *data_end, __u32 l4_len,
				    struct packet *pkt)
{
	__u32 l4_off = l4 - data;

	switch (pkt->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *tcp = l4;
		__u32 hdr_len;

		if ((void *)(tcp + 1) > data_end || l4_len < sizeof(*tcp))
			return MINEWATCH_STAT_MALFORMED_TCP;
		hdr_len = tcp->doff * 4;
		if (hdr_len < sizeof(*tcp) || hdr_len > l4_len)
			return MINEWATCH_STAT_MALFORMED_TCP;
		pkt->sport = tcp->source;
		pkt->dport = tcp->dest;
		pkt->tcp_flags = ((__u8 *)tcp)[13];
		pkt->payload_off = l4_off + hdr_len;
		pkt->payload_len = l4_len - hdr_len;
		return PARSE_OK;
	}
	case IPPROTO_UDP: {
		struct udphdr *udp = l4;
		__u32 udp_len;

		if ((void *)(udp + 1) > data_end || l4_len < sizeof(*udp))
			return MINEWATCH_STAT_MALFORMED_UDP;
		udp_len = bpf_ntohs(udp->len);
		if (udp_len < sizeof(*udp) || udp_len > l4_len)
			return MINEWATCH_STAT_MALFORMED_UDP;
		pkt->sport = udp->source;
		pkt->dport = udp->dest;
		pkt->payload_off = l4_off + sizeof(*udp);
		pkt->payload_len = udp_len - sizeof(*udp);
		return PARSE_OK;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		/* type, code, checksum, then identifier and sequence for echo */
		struct icmp_echo_hdr *icmp = l4;

		if ((void *)(icmp + 1) > data_end || l4_len < sizeof(*icmp))
			return MINEWATCH_STAT_MALFORMED_ICMP;
		if (icmp->type == ICMP_ECHO_ || icmp->type == ICMP_ECHOREPLY_ ||
		    icmp->type == ICMPV6_ECHO_REQUEST_ || icmp->type == ICMPV6_ECHO_REPLY_) {
			/* only the right family's echo types: 0/8 are not echo in ICMPv6 */
			if ((pkt->proto == IPPROTO_ICMP) == (icmp->type < ICMPV6_ECHO_REQUEST_)) {
				pkt->sport = icmp->id;
				pkt->dport = icmp->id;
			}
		}
		pkt->payload_off = l4_off + sizeof(*icmp);
		pkt->payload_len = l4_len - sizeof(*icmp);
		return PARSE_OK;
	}
	default:
		/* GRE, ESP, SCTP...: tracked by address pair and protocol */
		pkt->payload_off = l4_off;
		pkt->payload_len = l4_len;
		return PARSE_OK;
	}
}

static __always_inline int parse_ipv4(void *l3, void *data, void *data_end, struct frame_len *len,
				      struct packet *pkt)
{
	struct iphdr *ip = l3;
	__u32 l3_off = l3 - data;
	__u32 hdr_len, tot_len;

	if ((void *)(ip + 1) > data_end || ip->version != 4)
		return MINEWATCH_STAT_MALFORMED_IPV4;
	hdr_len = ip->ihl * 4;
	if (hdr_len < sizeof(*ip) || l3 + hdr_len > data_end)
		return MINEWATCH_STAT_MALFORMED_IPV4_IHL;
	tot_len = bpf_ntohs(ip->tot_len);
	if (tot_len < hdr_len || l3_off + tot_len > full_frame_len(len, l3_off + tot_len))
		return MINEWATCH_STAT_MALFORMED_IPV4;
	pkt->frame_len = full_frame_len(len, l3_off + tot_len);

	pkt->family = MINEWATCH_FAMILY_IPV4;
	pkt->proto = ip->protocol;
	map_ipv4(&pkt->src, ip->saddr);
	map_ipv4(&pkt->dst, ip->daddr);
	if (bpf_ntohs(ip->frag_off) & IPV4_FRAG_OFFSET_MASK) {
		/* no L4 header here: account by address pair */
		pkt->non_first_fragment = 1;
		pkt->payload_off = l3_off + hdr_len;
		pkt->payload_len = tot_len - hdr_len;
		return PARSE_OK;
	}
	return parse_l4(l3 + hdr_len, data, data_end, tot_len - hdr_len, pkt);
}

/* The verifier checks everything after a header walk once for each place
 * the walk can end (each VLAN tag or IPv6 extension header taken is another
 * offset), and the program's load time (most of a replay's start-up) grew
 * with their product. The same pointer, with its offset made opaque and
 * masked to a range every path shares, is one state for all of them. The
 * range holds every offset a walk can reach (Ethernet, two VLAN tags, IPv6
 * and MINEWATCH_IPV6_EXT_MAX headers of at most 2,048 bytes: 12,350), so the
 * NULL past it is never taken; the caller counts it all the same. */
#define OPAQUE_OFFSET_MAX 16383
static __always_inline void *opaque_offset(void *data, void *cursor)
{
	__u64 off = cursor - data;

	if (off > OPAQUE_OFFSET_MAX)
		return NULL;
	off = (off + minewatch_opaque_zero) & OPAQUE_OFFSET_MAX;
	return data + off;
}

static __always_inline int parse_ipv6(void *l3, void *data, void *data_end, struct frame_len *len,
				      struct packet *pkt)
{
	struct ipv6hdr *ip6 = l3;
	__u32 l3_off = l3 - data;
	__u32 remaining;
	void *cursor;
	__u8 next;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return MINEWATCH_STAT_MALFORMED_IPV6;
	remaining = bpf_ntohs(ip6->payload_len);
	if (l3_off + sizeof(*ip6) + remaining > full_frame_len(len, l3_off + sizeof(*ip6) + remaining))
		return MINEWATCH_STAT_MALFORMED_IPV6;
	pkt->frame_len = full_frame_len(len, l3_off + sizeof(*ip6) + remaining);

	pkt->family = MINEWATCH_FAMILY_IPV6;
	__builtin_memcpy(pkt->src.b, &ip6->saddr, 16);
	__builtin_memcpy(pkt->dst.b, &ip6->daddr, 16);
	next = ip6->nexthdr;
	cursor = ip6 + 1;

	/* Bounded walk: a chain longer than the walk is counted, not followed. */
#pragma unroll
	for (int i = 0; i < MINEWATCH_IPV6_EXT_MAX; i++) {
		__u8 *ext = cursor;
		__u32 ext_len;

		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(ext + 8) > data_end)
				return MINEWATCH_STAT_MALFORMED_IPV6;
			ext_len = (ext[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(ext + 8) > data_end)
				return MINEWATCH_STAT_MALFORMED_IPV6;
			ext_len = (ext[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if ((void *)(ext + 8) > data_end)
				return MINEWATCH_STAT_MALFORMED_IPV6;
			ext_len = 8;
			if (bpf_ntohs(*(__be16 *)(ext + 2)) & IPV6_FRAG_OFFSET_MASK)
				pkt->non_first_fragment = 1;
			break;
		default:
			goto l4;
		}
		if (ext_len > remaining)
			return MINEWATCH_STAT_MALFORMED_IPV6;
		remaining -= ext_len;
		next = ext[0];
		cursor += ext_len;
		if (pkt->non_first_fragment) {
			pkt->proto = next;
			pkt->payload_off = cursor - data;
			pkt->payload_len = remaining;
			return PARSE_OK;
		}
	}
	if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
	    next == IPPROTO_AH || next == IPPROTO_FRAGMENT)
		return MINEWATCH_STAT_IPV6_EXT_TOO_DEEP;
l4:
	pkt->proto = next;
	cursor = opaque_offset(data, cursor);
	if (!cursor)
		return MINEWATCH_STAT_IPV6_EXT_TOO_DEEP;
	return parse_l4(cursor, data, data_end, remaining, pkt);
}

/* Fills pkt; returns PARSE_OK or the enum minewatch_stat to count. */
static __always_inline int parse_packet(void *data, void *data_end, struct frame_len *len,
					struct packet *pkt)
{
	struct ethhdr *eth = data;
	void *cursor = eth + 1;
	__u16 proto;

	if (cursor > data_end)
		return MINEWATCH_STAT_MALFORMED_ETH;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD_))
			break;
		if (cursor + 4 > data_end)
			return MINEWATCH_STAT_MALFORMED_VLAN;
		proto = *(__be16 *)(cursor + 2);
		cursor += 4;
	}
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD_))
		return MINEWATCH_STAT_VLAN_TOO_DEEP;
	cursor = opaque_offset(data, cursor); /* at most 22 bytes in: never NULL */
	if (!cursor)
		return MINEWATCH_STAT_MALFORMED_VLAN;

	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(cursor, data, data_end, len, pkt);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(cursor, data, data_end, len, pkt);
	return MINEWATCH_STAT_NON_IP;
}

/* Whether a common frame (Ethernet, then IPv4, or IPv6 without extension
 * headers, then TCP, UDP or ICMP) has every header the parser reads in the
 * linear area. A TC program pulls headers in when not; GRO and GSO packets
 * nearly always have them there already, and pulling anyway copies payload
 * into the head: 80 ns of a 236 ns GRO packet on a veth (bench/live_veth).
 * 0 for anything else, which is then pulled as before. */
static __always_inline int common_headers_linear(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *l4;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end)
			return 0;
		l4 = (void *)ip + ip->ihl * 4;
		proto = ip->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		l4 = ip6 + 1;
		proto = ip6->nexthdr;
	} else {
		return 0;
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return 0;
		return l4 + tcp->doff * 4 <= data_end;
	}
	if (proto == IPPROTO_UDP || proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return l4 + sizeof(struct udphdr) <= data_end; /* 8 bytes: ICMP's echo header too */
	return 0;
}

#endif /* MINEWATCH_PARSE_BPF_H */
