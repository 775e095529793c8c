#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Turns a pcap or pcapng into per-flow message sequences, one JSON line per
TCP flow, with the rule the data path uses (agent/src/detect/message_sequence.hpp):
a message is a run of TCP payload in one direction; it ends when the other
side sends payload or when the same side is silent for more than GAP_MS.
Pure ACKs are not messages. gap_ms is the time from the previous message's
last payload segment to this message's first one (0 for the first), in
whole milliseconds. tls_type/tls_length come from a TLS record header at the
start of the message's first segment (0/0 when there is none).

    tools/message_sequences.py CAPTURE [CAPTURE...] [--labels LABELS.json]
        [--max-messages N] [--min-messages N] [--heldout 0.3] [--cpp FLOW]

Labels map flows to classes, first match wins:
    [{"client": "10.0.0.2", "server": "10.0.0.1:443", "class": "xmrig_tls"}, ...]
an endpoint is "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or "*:PORT"; an absent
side matches anything. Each line also carries "split" ("train" or "heldout"),
a stable function of the flow, so fits and evaluations agree on the sets.
--cpp prints the flow whose "client-server" key is FLOW as a C++ initializer
for a MessageSequence (what tests/unit's fixtures are made of).

Standard library only. Retransmitted segments count again, as the data path
(which keeps no sequence numbers) counts them."""

import argparse
import hashlib
import ipaddress
import json
import struct
import sys

# The data path's gap threshold. A placeholder until the BPF side fixes its
# value; agent/src/detect/message_sequence.hpp has the same (kMessageGapMs).
GAP_MS = 1000
# How many messages the data path keeps per flow. Also a placeholder.
MAX_MESSAGES = 64


def read_frames(path):
    """Yields (timestamp_s, linktype, frame) from a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        yield from _pcap(data)
    elif magic == b"\x0a\x0d\x0d\x0a":
        yield from _pcapng(data)
    else:
        raise ValueError(f"{path}: neither pcap nor pcapng")


def _pcap(data):
    little = data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    e = "<" if little else ">"
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        yield sec + frac / (1e9 if nano else 1e6), linktype, data[off:off + incl]
        off += incl


def _pcapng(data):
    e = "<"
    interfaces = []  # (linktype, ticks per second)
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(e + "II", data[off:off + 8])
        if btype == 0x0A0D0D0A:  # section header: byte order
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack(e + "II", data[off:off + 8])
            interfaces = []
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            linktype = struct.unpack(e + "H", body[:2])[0]
            interfaces.append((linktype, _tsresol(body[8:], e)))
        elif btype == 6:  # enhanced packet
            ifid, hi, lo, caplen = struct.unpack(e + "IIII", body[:16])
            linktype, ticks = interfaces[ifid]
            yield ((hi << 32) | lo) / ticks, linktype, body[20:20 + caplen]
        elif btype == 3:  # simple packet
            linktype, _ = interfaces[0]
            caplen = struct.unpack(e + "I", body[:4])[0]
            yield 0.0, linktype, body[4:4 + caplen]
        off += blen


def _tsresol(options, e):
    off = 0
    while off + 4 <= len(options):
        code, length = struct.unpack(e + "HH", options[off:off + 4])
        if code == 0:
            break
        if code == 9:
            v = options[off + 4]
            return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
        off += 4 + ((length + 3) & ~3)
    return 1e6


def ip_packet(linktype, frame):
    """The IP packet inside a frame, or None."""
    if linktype == 1:  # Ethernet, with VLAN tags
        ethertype, off = struct.unpack("!H", frame[12:14])[0], 14
        while ethertype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            ethertype, off = struct.unpack("!H", frame[off + 2:off + 4])[0], off + 4
        return frame[off:] if ethertype in (0x0800, 0x86DD) else None
    if linktype in (101, 228, 229, 12):  # raw IP
        return frame
    if linktype == 113:  # Linux cooked
        return frame[16:]
    if linktype == 276:  # Linux cooked v2
        return frame[20:]
    if linktype == 0:  # BSD loopback
        return frame[4:]
    return None


def tcp_segment(ip):
    """(src, dst, sport, dport, flags, payload) of a TCP packet, or None."""
    if not ip:
        return None
    version = ip[0] >> 4
    if version == 4:
        ihl, total, proto = (ip[0] & 0xF) * 4, struct.unpack("!H", ip[2:4])[0], ip[9]
        src, dst, l4 = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20]), ip[ihl:total]
        if struct.unpack("!H", ip[6:8])[0] & 0x1FFF:
            return None  # a later fragment
    elif version == 6:
        proto, plen = ip[6], struct.unpack("!H", ip[4:6])[0]
        src, dst, l4 = ipaddress.ip_address(ip[8:24]), ipaddress.ip_address(ip[24:40]), ip[40:40 + plen]
    else:
        return None
    if proto != 6 or len(l4) < 20:
        return None
    sport, dport, _, _, offset, flags = struct.unpack("!HHIIBB", l4[:14])
    return src, dst, sport, dport, flags, l4[(offset >> 4) * 4:]


def tls_header(payload):
    """(type, length) of a TLS record header opening payload, else (0, 0)."""
    if len(payload) >= 5 and 20 <= payload[0] <= 24 and payload[1] == 3 and payload[2] <= 4:
        length = struct.unpack("!H", payload[3:5])[0]
        if length <= 16384 + 2048:
            return payload[0], length
    return 0, 0


def endpoint(addr, port):
    return f"[{addr}]:{port}" if addr.version == 6 else f"{addr}:{port}"


class Flow:
    def __init__(self, first_src, first_dst, syn):
        self.client, self.server = first_src, first_dst  # (addr, port)
        self.initiator = "syn" if syn else "first-packet"
        self.messages = []  # [dir, bytes, gap_ms, tls_type, tls_length]
        self.last_payload_s = None

    def add(self, ts, to_server, payload, gap_ms, limit):
        direction = "up" if to_server else "down"
        cur = self.messages[-1] if self.messages else None
        same = cur is not None and cur[0] == direction and (ts - self.last_payload_s) * 1000 <= gap_ms
        if same:
            cur[1] += len(payload)
        elif len(self.messages) < limit:
            gap = 0 if self.last_payload_s is None else int((ts - self.last_payload_s) * 1000)
            self.messages.append([direction, len(payload), max(gap, 0), *tls_header(payload)])
        else:
            return  # the data path keeps only the first messages
        self.last_payload_s = ts


def flows_of(path, gap_ms, limit):
    flows = {}
    for ts, linktype, frame in read_frames(path):
        seg = tcp_segment(ip_packet(linktype, frame))
        if seg is None:
            continue
        src, dst, sport, dport, flags, payload = seg
        a, b = (src, sport), (dst, dport)
        key = (a, b) if (str(a[0]), a[1]) < (str(b[0]), b[1]) else (b, a)
        flow = flows.get(key)
        syn_only = flags & 0x12 == 0x02
        if flow is None or (syn_only and flow.messages):  # a reused 4-tuple starts anew
            if flow is not None:
                yield flow
            flow = flows[key] = Flow(a, b, syn_only)
            # Without a SYN, guess: the side on the lower port is the server.
            if not syn_only and sport < dport:
                flow.client, flow.server = b, a
        if payload:
            flow.add(ts, a == flow.client, payload, gap_ms, limit)
    yield from flows.values()


def label_of(labels, client, server):
    def matches(rule, ep):
        if rule is None or rule == ep:
            return True
        host, _, port = ep.rpartition(":")
        return rule in (host, host.strip("[]"), f"*:{port}")
    for rule in labels:
        if matches(rule.get("client"), client) and matches(rule.get("server"), server):
            return rule["class"]
    return None


def split_of(key, heldout):
    h = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") / 2**32
    return "heldout" if h < heldout else "train"


def cpp_initializer(messages, source):
    lines = [f"// {source}; {{direction, bytes, gap_ms, tls_type, tls_length}}", "MessageSequence{"]
    for d, n, gap, t, tl in messages:
        lines.append(f"    {{{'Up' if d == 'up' else 'Down'}, {n}, {gap}, {t}, {tl}}},")
    return "\n".join(lines + ["};"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("captures", nargs="+")
    p.add_argument("--labels", help="JSON list of {client, server, class}")
    p.add_argument("--gap-ms", type=int, default=GAP_MS)
    p.add_argument("--max-messages", type=int, default=MAX_MESSAGES)
    p.add_argument("--min-messages", type=int, default=1)
    p.add_argument("--heldout", type=float, default=0.3, help="share of flows in the held-out set")
    p.add_argument("--cpp", metavar="FLOW", help="print this flow (client-server) as a C++ fixture")
    args = p.parse_args()
    labels = json.load(open(args.labels)) if args.labels else []
    for path in args.captures:
        for flow in flows_of(path, args.gap_ms, args.max_messages):
            if len(flow.messages) < args.min_messages:
                continue
            client, server = endpoint(*flow.client), endpoint(*flow.server)
            key = f"{client}-{server}"
            if args.cpp:
                if key == args.cpp:
                    print(cpp_initializer(flow.messages, f"{path.split('/')[-1]} {key}"))
                continue
            print(json.dumps({"capture": path.split("/")[-1], "flow": key, "client": client, "server": server,
                              "initiator": flow.initiator, "class": label_of(labels, client, server),
                              "split": split_of(key, args.heldout), "gap_threshold_ms": args.gap_ms,
                              "fields": ["dir", "bytes", "gap_ms", "tls_type", "tls_length"],
                              "messages": flow.messages}, separators=(",", ":")))


if __name__ == "__main__":
    sys.exit(main())
