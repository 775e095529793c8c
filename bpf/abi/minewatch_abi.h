/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * minewatch_abi.h - the one contract between the BPF programs and user space.
 *
 * This is the only bpf/ header C++ may include. Every struct crossing the
 * boundary is laid out with explicit padding and its size is asserted here,
 * so a change on one side that the other side does not see fails the build
 * instead of corrupting a map. tests/unit/abi_layout_test.cpp adds offsetof
 * checks from the C++ side.
 */
#ifndef MINEWATCH_ABI_H
#define MINEWATCH_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define MINEWATCH_ABI_ASSERT(c, m) static_assert(c, m)
#else
#define MINEWATCH_ABI_ASSERT(c, m) _Static_assert(c, m)
#endif

/* The rules both sides apply to these structs are functions here, once.
 * In BPF they must inline (an out-of-line one would be a BPF-to-BPF call
 * on the packet path); in C++ they are ordinary inline functions. Plain C
 * that also compiles as C++20 under the project's warnings: no casts. */
#ifdef __bpf__
#define MINEWATCH_ABI_FN static inline __attribute__((always_inline))
#else
#define MINEWATCH_ABI_FN static inline
#endif

/* Histogram geometry. Both are log2 buckets so a flow's shape survives in a
 * few hundred bytes.
 *
 * Payload size: bucket 0 holds packets without payload (pure ACKs), bucket
 * i >= 1 holds payloads of [2^(i-1), 2^i) bytes, the last bucket everything
 * from 2^(MINEWATCH_SIZE_BUCKETS-2) bytes up.
 *
 * Inter-arrival (per direction, time since that direction's previous packet):
 * bucket 0 holds gaps below 2^(MINEWATCH_IAT_SHIFT+1) ns, bucket i holds
 * [2^(i+SHIFT), 2^(i+SHIFT+1)) ns, the last bucket everything longer
 * (2^37 ns, about 137 s). Mining traffic lives in the 1-120 s range. */
#define MINEWATCH_SIZE_BUCKETS 16
#define MINEWATCH_IAT_BUCKETS 28
#define MINEWATCH_IAT_SHIFT 10

#define MINEWATCH_SAMPLE_MAX 256 /* payload bytes carried by one sample */
/* payload bytes of a TLS ClientHello sample: browsers with post-quantum key
 * shares send ~1.8 KB, XMRig more than MINEWATCH_SAMPLE_MAX */
#define MINEWATCH_HELLO_MAX 2048
#define MINEWATCH_IPV6_EXT_MAX 6 /* extension headers walked before giving up */

/* Addresses are stored as 16 bytes; IPv4 as the v4-mapped form ::ffff:a.b.c.d
 * so one key type serves both families. */
enum minewatch_family {
	MINEWATCH_FAMILY_IPV4 = 4,
	MINEWATCH_FAMILY_IPV6 = 6,
};

/* Canonical bidirectional flow key: the (addr, port) pair that compares lower
 * byte-wise is endpoint "a", the other "b". Packets from a to b are direction
 * MINEWATCH_DIR_A_TO_B. For ICMP echo both ports carry the echo identifier;
 * for other ICMP and for non-first fragments both ports are zero. */
struct minewatch_flow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__be16 port_a;
	__be16 port_b;
	__u8 proto;  /* IPPROTO_* */
	__u8 family; /* enum minewatch_family */
	__u8 pad[2]; /* explicit; always zero */
} __attribute__((aligned(8))); /* lets BPF build and hash it in 8-byte words */
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_flow_key) == 40, "flow key layout");

/* The same key for IPv4 flows, which have a map of their own: hashing and
 * comparing 16 bytes instead of 40 is most of what an existing flow's
 * packet costs (bench/bench_datapath). Endpoints are ordered as in the wide
 * key, so a flow has the same "a", "b" and direction in either form; the
 * agent widens these keys to minewatch_flow_key (v4-mapped) when it reads. */
struct minewatch_flow_key4 {
	__be32 addr_a;
	__be32 addr_b;
	__be16 port_a;
	__be16 port_b;
	__u8 proto;  /* IPPROTO_* */
	__u8 pad[3]; /* explicit; always zero */
} __attribute__((aligned(8)));
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_flow_key4) == 16, "IPv4 flow key layout");

/* The wide form of an IPv4 key: v4-mapped addresses, family 4. */
MINEWATCH_ABI_FN void minewatch_widen_key4(const struct minewatch_flow_key4 *key,
					     struct minewatch_flow_key *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	out->addr_a[10] = 0xff;
	out->addr_a[11] = 0xff;
	out->addr_b[10] = 0xff;
	out->addr_b[11] = 0xff;
	__builtin_memcpy(&out->addr_a[12], &key->addr_a, 4);
	__builtin_memcpy(&out->addr_b[12], &key->addr_b, 4);
	out->port_a = key->port_a;
	out->port_b = key->port_b;
	out->proto = key->proto;
	out->family = MINEWATCH_FAMILY_IPV4;
}

/* The IPv4 key of a wide one; 0 (and *out untouched) when the flow is IPv6. */
MINEWATCH_ABI_FN int minewatch_narrow_key(const struct minewatch_flow_key *key,
					  struct minewatch_flow_key4 *out)
{
	if (key->family != MINEWATCH_FAMILY_IPV4)
		return 0;
	__builtin_memset(out, 0, sizeof(*out));
	__builtin_memcpy(&out->addr_a, &key->addr_a[12], 4);
	__builtin_memcpy(&out->addr_b, &key->addr_b[12], 4);
	out->port_a = key->port_a;
	out->port_b = key->port_b;
	out->proto = key->proto;
	return 1;
}

enum minewatch_direction {
	MINEWATCH_DIR_A_TO_B = 0,
	MINEWATCH_DIR_B_TO_A = 1,
	MINEWATCH_DIRS = 2,
};

/* TCP flags as they appear in byte 13 of the TCP header. */
enum minewatch_tcp_flag {
	MINEWATCH_TCP_FIN = 0x01,
	MINEWATCH_TCP_SYN = 0x02,
	MINEWATCH_TCP_RST = 0x04,
	MINEWATCH_TCP_PSH = 0x08,
	MINEWATCH_TCP_ACK = 0x10,
	MINEWATCH_TCP_URG = 0x20,
};

struct minewatch_dir_stats {
	__u64 packets;
	__u64 bytes;         /* L2 frame length, as interface counters count */
	__u64 payload_bytes; /* L4 payload (or L3 payload for non-first fragments) */
	__u64 first_seen_ns;
	__u64 last_seen_ns;
	__u32 psh_packets;   /* TCP segments with PSH */
	__u32 tcp_flags;     /* OR of every enum minewatch_tcp_flag seen */
	__u32 samples;       /* payload samples taken (or attempted) */
	__u32 drain_gen;     /* minewatch_globals.drain_gen at this direction's last packet */
	__u32 size_hist[MINEWATCH_SIZE_BUCKETS];
	__u32 iat_hist[MINEWATCH_IAT_BUCKETS];
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_dir_stats) == 232, "dir stats layout");

enum minewatch_flow_flags {
	/* initiator was taken from a SYN without ACK, not just the first packet seen */
	MINEWATCH_FLOW_INITIATOR_FROM_SYN = 0x1,
	/* flow holds non-first fragments accounted by address pair */
	MINEWATCH_FLOW_FRAGMENTS = 0x2,
	/* a ClientHello began in the last sampled packet of direction A (0x8) or
	 * B (0x10) and its record goes on: the next one is sampled long too */
	MINEWATCH_FLOW_HELLO_CONT_A = 0x8,
	MINEWATCH_FLOW_HELLO_CONT_B = 0x10,
	/* the packet that named the initiator left through the egress hook:
	 * this host (or a pod behind it) opened the flow, so the other side is
	 * the remote server. Auto-block acts only on such flows; a flow opened
	 * from outside would let anyone make the agent block its own node. */
	MINEWATCH_FLOW_OPENED_OUTBOUND = 0x4,
};

/* Message sequence of a TCP flow (issue 15; the SPLT idea of Cisco's ETA
 * and CESNET's per-packet information): its first messages_per_flow
 * messages, a message being a run of payload in one direction. Segments of
 * one burst are one message; a new one begins when the other side speaks,
 * or after more than message_gap_ms of silence. Each finished message goes
 * to the minewatch_messages ring as a struct minewatch_message; the one in
 * progress lives in the flow value (minewatch_flow_value.msg), where the
 * agent finds the last message of a flow that ended. */
#define MINEWATCH_MESSAGES_MAX 4096 /* upper bound of messages_per_flow */

/* The message in progress. */
struct minewatch_msg_state {
	__u64 start_ns; /* its first segment, data-path clock */
	__u64 last_ns;  /* its newest segment */
	__u32 bytes;    /* payload so far */
	__u32 gap_ms;   /* silence before it (previous message's last segment to
			 * its first); 0 for a flow's first message */
	/* messages begun, this one included (0: none yet); messages_per_flow
	 * + 1 once the last was handed out. Boundaries move it by
	 * compare-and-swap, so two CPUs never both close one message. */
	__u32 count;
	__u16 tls_len;  /* length field of the TLS record header its first segment began with */
	__u8 dir;       /* enum minewatch_direction */
	__u8 tls_type;  /* that record's content type (20-24); 0: no TLS record header */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_msg_state) == 32, "message state layout");

struct minewatch_flow_value {
	struct minewatch_dir_stats dir[MINEWATCH_DIRS];
	__u64 rules_gen;  /* blocklist generation this flow was last checked against, +1 */
	__u32 flags;      /* enum minewatch_flow_flags */
	__u8 initiator;   /* enum minewatch_direction of whoever opened the flow */
	__u8 pad[3];
	struct minewatch_msg_state msg; /* TCP only; all zero when messages_per_flow is 0 */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_flow_value) == 512, "flow value layout");

/* Over: either side sent RST, or both sent FIN. */
MINEWATCH_ABI_FN int minewatch_flow_closed(const struct minewatch_flow_value *v)
{
	__u32 f0 = v->dir[0].tcp_flags, f1 = v->dir[1].tcp_flags;

	return ((f0 | f1) & MINEWATCH_TCP_RST) ||
	       ((f0 & MINEWATCH_TCP_FIN) && (f1 & MINEWATCH_TCP_FIN));
}

/* A packet of either direction stamped drain generation gen into it. */
MINEWATCH_ABI_FN int minewatch_flow_stamped(const struct minewatch_flow_value *v, __u32 gen)
{
	return v->dir[0].drain_gen == gen || v->dir[1].drain_gen == gen;
}

enum minewatch_dirty_flags {
	/* the packet had FIN or RST: the flow may be over, so the agent reads it
	 * at its next drain even when it would hold a busy flow back */
	MINEWATCH_DIRTY_CLOSING = 0x1,
};

/* A flow had its first packet in a direction since the agent began its last
 * drain (its drain_gen stamp changed), or a FIN or RST (reported each time,
 * flagged). The agent reads just these flows between full sweeps of the
 * table: an idle flow costs it nothing. */
struct minewatch_dirty_event {
	struct minewatch_flow_key key;
	__u32 flags; /* enum minewatch_dirty_flags */
	__u32 pad;
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_dirty_event) == 48, "dirty event layout");

/* The agent's periodic sweep of the flow table, run in the kernel by
 * minewatch_sweep (bpf_for_each_map_elem): copying every flow out costs
 * ~0.5 us each (the batched-read floor, bench/bench_agent), walking them in
 * place a fifth of that. Flows that changed since the last drain, and flows
 * that are over (idle, or closed and quiet), come out whole in
 * minewatch_sweep_out; the rest are only summed. The same rules as the
 * agent's batched sweep (agent/src/drain/flow_drain.cpp), which it falls back
 * to when the records do not fit. */
struct minewatch_sweep_ctx {
	/* in */
	__u64 now_ns;     /* the drain's "now", data-path clock */
	__u64 idle_ns;    /* over when quiet this long */
	__u64 closed_ns;  /* over when closed (RST, or FIN both ways) and quiet this long */
	__u32 gen;        /* changed: a direction stamped gen or gen - 1 */
	__u32 pad;
	/* out */
	__u64 flows;        /* flows walked, both maps */
	__u64 stay_bytes;   /* totals of the flows not handed out */
	__u64 stay_packets;
	__u32 records;      /* minewatch_sweep_out[0, records) are valid */
	__u32 overflow;     /* flows that did not fit: the sweep is void */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_sweep_ctx) == 64, "sweep ctx layout");

enum minewatch_sweep_flags {
	MINEWATCH_SWEEP_CHANGED = 0x1, /* stamped with gen or gen - 1 */
	MINEWATCH_SWEEP_FOUND = 0x2,   /* minewatch_read_flows: the flow exists (value valid) */
};

struct minewatch_sweep_record {
	struct minewatch_flow_key key; /* wide, IPv4 ones widened */
	struct minewatch_flow_value value;
	__u32 flags;                   /* enum minewatch_sweep_flags */
	__u32 pad;
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_sweep_record) == 560, "sweep record layout");

/* minewatch_read_flows: the flows named in minewatch_read_keys[0, count),
 * each copied to minewatch_sweep_out[i] (flags FOUND, or not there). A
 * tick's news in one syscall instead of one per flow (1-2 us each). */
struct minewatch_read_ctx {
	__u32 count; /* in */
	__u32 found; /* out */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_read_ctx) == 8, "read ctx layout");

/* Which program saw a packet. */
enum minewatch_hook {
	MINEWATCH_HOOK_XDP = 0, /* ingress */
	MINEWATCH_HOOK_TC = 1,  /* egress */
	/* ingress on TC instead of XDP (ingress_hook: tc): after GRO, so a
	 * veth or virtio NIC keeps its 64 KiB packets; any XDP program makes
	 * those hand over MTU-sized frames */
	MINEWATCH_HOOK_TC_INGRESS = 2,
};

enum minewatch_sample_kind {
	MINEWATCH_SAMPLE_FLOW_START = 1, /* one of the first payload packets of a direction */
	MINEWATCH_SAMPLE_DNS = 2,        /* a DNS response, rate-limited */
	MINEWATCH_SAMPLE_TLS_HELLO = 3,  /* minewatch_hello_sample: a ClientHello's first packet */
	MINEWATCH_SAMPLE_TLS_HELLO_CONT = 4, /* minewatch_hello_sample: the packet after it */
	/* minewatch_hello_sample: a JSON message longer than the short sample (a
	 * pool's notify with its params first names its method past byte 256) */
	MINEWATCH_SAMPLE_JSON_LONG = 5,
};

/* One ring-buffer record. captured_len bytes of data[] are valid. */
struct minewatch_sample {
	struct minewatch_flow_key key;
	__u64 ts_ns;
	__u32 payload_len;  /* payload length on the wire */
	__u16 captured_len; /* <= MINEWATCH_SAMPLE_MAX */
	__u8 direction;     /* enum minewatch_direction */
	__u8 kind;          /* enum minewatch_sample_kind */
	__u8 hook;          /* enum minewatch_hook */
	__u8 tcp_flags;
	/* the flow's initiator and flags (low byte) at the sample: who is the
	 * client, without the agent reading the flow map for it */
	__u8 initiator;
	__u8 flow_flags;
	__u8 pad[4];
	__u8 data[MINEWATCH_SAMPLE_MAX];
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_sample) == 320, "sample layout");

/* A longer ring-buffer record, taken instead of a minewatch_sample for a
 * client packet that begins a ClientHello and for the packet after it while
 * the record goes on (once per TLS flow), and for a sampled packet that
 * begins a JSON object longer than the short sample: only those pay for
 * 2 KB. The header is minewatch_sample's; the agent tells the two apart by
 * size. */
struct minewatch_hello_sample {
	struct minewatch_flow_key key;
	__u64 ts_ns;
	__u32 payload_len;
	__u16 captured_len; /* <= MINEWATCH_HELLO_MAX */
	__u8 direction;
	__u8 kind;          /* MINEWATCH_SAMPLE_TLS_HELLO or _TLS_HELLO_CONT */
	__u8 hook;
	__u8 tcp_flags;
	__u8 initiator;
	__u8 flow_flags;
	__u8 pad[4];
	__u8 data[MINEWATCH_HELLO_MAX];
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_hello_sample) == 2112, "hello sample layout");
/* Where data[] begins in both sample records: BPF fills either through one
 * function (emit_payload_record), the agent reads either header alike. */
#define MINEWATCH_SAMPLE_DATA_OFF 64
MINEWATCH_ABI_ASSERT(__builtin_offsetof(struct minewatch_sample, data) == MINEWATCH_SAMPLE_DATA_OFF,
		     "sample header");
MINEWATCH_ABI_ASSERT(__builtin_offsetof(struct minewatch_hello_sample, data) == MINEWATCH_SAMPLE_DATA_OFF,
		     "hello sample shares the sample header");

/* One finished message of a TCP flow, a minewatch_messages ring record. */
struct minewatch_message {
	struct minewatch_flow_key key; /* wide, IPv4 ones v4-mapped */
	__u64 start_ns;  /* its first segment, data-path clock */
	__u32 bytes;     /* payload bytes, all its segments */
	__u32 gap_ms;    /* as minewatch_msg_state.gap_ms */
	__u32 index;     /* 0-based position in the flow's sequence */
	__u16 tls_len;   /* as minewatch_msg_state */
	__u8 direction;  /* enum minewatch_direction */
	__u8 tls_type;   /* as minewatch_msg_state; 23 application data */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_message) == 64, "message record layout");

/* Blocklist keys. The LPM trie holds IPv4 and IPv6 prefixes in one 16-byte
 * address space (IPv4 as ::ffff:0:0/96 + prefix), so a /24 is prefixlen 120. */
struct minewatch_lpm_key {
	__u32 prefixlen;
	__u8 addr[16];
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_lpm_key) == 20, "lpm key layout");

/* Exact remote endpoint: address, port and protocol. */
struct minewatch_endpoint_key {
	__u8 addr[16];
	__be16 port;
	__u8 proto;
	__u8 pad; /* explicit; always zero */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_endpoint_key) == 20, "endpoint key layout");

struct minewatch_block_rule {
	/* Deadline on the BPF clock (CLOCK_MONOTONIC, or the injected clock);
	 * 0 means the rule never expires. Checked in BPF so an expired rule stops
	 * dropping even when the agent is gone. */
	__u64 expires_ns;
	__u64 hits;        /* packets matched while the rule was live */
	__u64 first_hit_ns; /* when it first dropped something: time-to-block */
	__u64 last_hit_ns;
	__u32 rule_id;     /* assigned by the agent, echoed in events */
	/* CIDR rules: their key's prefixlen, so a packet whose longest match
	 * has expired can look for a shorter live one (the trie returns only
	 * the longest). 0 for endpoint rules, and from agents before it. */
	__u32 prefixlen;
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_block_rule) == 40, "block rule layout");

/* Per-CPU counters, indexed by this enum in the minewatch_stats array.
 * Append only: the numbering is part of the ABI. */
enum minewatch_stat {
	MINEWATCH_STAT_XDP_PACKETS = 0,
	MINEWATCH_STAT_TC_PACKETS,
	MINEWATCH_STAT_NON_IP,            /* ARP, LLDP, ...: passed uncounted */
	MINEWATCH_STAT_MALFORMED_ETH,     /* shorter than an Ethernet header */
	MINEWATCH_STAT_MALFORMED_VLAN,    /* truncated VLAN tag */
	MINEWATCH_STAT_VLAN_TOO_DEEP,     /* more than two VLAN tags */
	MINEWATCH_STAT_MALFORMED_IPV4,    /* truncated header or bad total length */
	MINEWATCH_STAT_MALFORMED_IPV4_IHL,/* IHL below 5 or past the packet */
	MINEWATCH_STAT_MALFORMED_IPV6,    /* truncated header or extension header */
	MINEWATCH_STAT_IPV6_EXT_TOO_DEEP, /* more extension headers than the walk */
	MINEWATCH_STAT_MALFORMED_TCP,     /* truncated or data offset below 5 */
	MINEWATCH_STAT_MALFORMED_UDP,
	MINEWATCH_STAT_MALFORMED_ICMP,
	MINEWATCH_STAT_FRAGMENTS,         /* non-first fragments accounted by IP pair */
	MINEWATCH_STAT_FLOWS_CREATED,
	MINEWATCH_STAT_FLOW_INSERT_FAILED,/* map full / out of memory */
	MINEWATCH_STAT_SAMPLES,
	MINEWATCH_STAT_RINGBUF_DROPS,
	MINEWATCH_STAT_DNS_RATE_LIMITED,
	MINEWATCH_STAT_BLOCKED_XDP,
	MINEWATCH_STAT_BLOCKED_TC,
	MINEWATCH_STAT_BLOCK_WOULD_DROP,  /* matched while not enforcing (tap mode) */
	MINEWATCH_STAT_BLOCK_EXPIRED,     /* matched an expired rule: passed */
	MINEWATCH_STAT_SAMPLE_LOAD_FAILED,/* payload bytes could not be read */
	MINEWATCH_STAT_BLOCKED_XDP_BYTES, /* frame bytes of the packets dropped at XDP */
	MINEWATCH_STAT_BLOCKED_TC_BYTES,
	MINEWATCH_STAT_DIRTY_DROPS,       /* "flow changed" events lost: the ring was full */
	MINEWATCH_STAT_TC_INGRESS_PACKETS,
	MINEWATCH_STAT_BLOCKED_TC_INGRESS,
	MINEWATCH_STAT_BLOCKED_TC_INGRESS_BYTES,
	MINEWATCH_STAT_MESSAGES,          /* finished messages handed to the agent */
	MINEWATCH_STAT_MESSAGE_DROPS,     /* ... lost: the messages ring was full */
	MINEWATCH_STAT_MAX,
};

/* Load-time settings, in .rodata (const volatile) so the verifier prunes
 * what is switched off. */
struct minewatch_config {
	__u32 samples_per_direction; /* payload packets sampled per flow direction */
	__u32 sample_bytes;          /* <= MINEWATCH_SAMPLE_MAX */
	__u32 dns_samples_per_sec;   /* per CPU; 0 disables DNS sampling */
	__u8 enforce;                /* 0: count would-drops only (tap mode) */
	__u8 bench_new_flow_per_packet; /* benchmark only: vary the key every packet */
	__u8 precise_clock;          /* ns timestamps; else the coarse clock (1/HZ) */
	__u8 pad;
	__u32 messages_per_flow;     /* <= MINEWATCH_MESSAGES_MAX; 0: no message sequence */
	__u32 message_gap_ms;        /* silence that ends a message in one direction */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_config) == 24, "config layout");

/* Mutable globals, in .bss. */
struct minewatch_globals {
	/* When non-zero, the programs' notion of "now" (test runs, pcap replay). */
	__u64 clock_override_ns;
	/* Bumped by user space after every blocklist change; flows cache "not
	 * blocked" against it. User space seeds it from CLOCK_MONOTONIC at start so
	 * a restarted agent never reuses a generation a pinned flow already holds. */
	__u64 rules_gen;
	/* Bumped by user space before each drain of the flow map; packets stamp
	 * it into their direction, so a drain can skip the flows whose stamp is
	 * older than the previous drain: nothing happened to them since. */
	__u32 drain_gen;
	__u32 pad;
	/* Live "now" without a helper call: jiffies (which the verifier inlines
	 * to one load) times clock_tick_ns, plus clock_offset_ns (mod 2^64),
	 * is CLOCK_MONOTONIC at 1/HZ resolution. User space measures both with
	 * minewatch_clock_probe after load; until then (0) the programs call
	 * bpf_ktime_get_coarse_ns, the same clock at twice the cost per packet. */
	__u64 clock_tick_ns;
	__u64 clock_offset_ns;
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_globals) == 40, "globals layout");

/* What minewatch_clock_probe writes over its test frame: the two clocks,
 * read back to back in the kernel. */
struct minewatch_clock_sample {
	__u64 jiffies;
	__u64 coarse_ns; /* bpf_ktime_get_coarse_ns() */
};
MINEWATCH_ABI_ASSERT(sizeof(struct minewatch_clock_sample) == 16, "clock sample layout");

#endif /* MINEWATCH_ABI_H */
