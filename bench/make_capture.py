#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes a large, deterministic pcap for replay benchmarks: many TCP flows
(handshake, data both ways, FIN), a share of them Stratum sessions to port
3333 (login, job, submit lines as XMRig and pools send them), HTTPS-like
flows on 443 with a ClientHello-sized first message, DNS over UDP, some
IPv6. Addresses are documentation and private ranges only.

    bench/make_capture.py OUT.pcap [--packets 1000000] [--seed 1]"""

import argparse
import random
import struct
import sys

STRATUM_LOGIN = (b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx'
                 b'3skxNgYeYTRj5UzqtReoS44qo9mtmXCqY45DJ852K5Jv2684Rge","pass":"x","agent":"XMRig/6.16.0"}}\n')
STRATUM_JOB = (b'{"jsonrpc":"2.0","method":"job","params":{"blob":"' + b"0e0e" * 38 + b'","job_id":"12345",'
               b'"target":"e4a63d00","algo":"cn-pico"}}\n')
STRATUM_SUBMIT = (b'{"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"1","job_id":"12345",'
                  b'"nonce":"deadbeef","result":"' + b"ab" * 32 + b'"}}\n')


def mac(n):
    return bytes([0x02, 0, 0, 0, (n >> 8) & 0xff, n & 0xff])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    return b"\x08\x00", hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, proto, payload):
    return b"\x86\xdd", struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src, dst) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.count = 0

    def frame(self, ts_us, ethertype, l3):
        data = mac(1) + mac(2) + ethertype + l3
        self.f.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(data), len(data)) + data)
        self.count += 1


def flow_packets(kind, rng):
    """(direction, flags, payload) of one flow: 0 client->server, 1 back."""
    syn, synack, ack, psh, fin = 0x02, 0x12, 0x10, 0x18, 0x11
    out = [(0, syn, b""), (1, synack, b""), (0, ack, b"")]
    if kind == "stratum":
        out += [(0, psh, STRATUM_LOGIN), (1, psh, STRATUM_JOB), (0, ack, b"")]
        for _ in range(rng.randint(3, 20)):
            out += [(1, psh, STRATUM_JOB), (0, ack, b""), (0, psh, STRATUM_SUBMIT), (1, psh, b'{"id":2,"result":{"status":"OK"}}\n')]
    elif kind == "https":
        out += [(0, psh, b"\x16\x03\x01\x02\x00" + bytes(rng.getrandbits(8) for _ in range(300))), (1, psh, bytes(1400))]
        for _ in range(rng.randint(5, 60)):
            out += [(1, ack, bytes(1400)), (1, psh, bytes(1400)), (0, ack, b"")]
    else:  # bulk or chatty plain TCP
        for _ in range(rng.randint(2, 40)):
            out += [(0, psh, bytes(rng.randint(40, 600))), (1, psh, bytes(rng.randint(40, 1400)))]
    out += [(0, fin, b""), (1, fin, b""), (0, ack, b"")]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--packets", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if a.packets < 1000:
        print("make_capture.py: --packets must be at least 1000", file=sys.stderr)
        return 2
    rng = random.Random(a.seed)
    w = Writer(a.out)
    ts = 1_700_000_000_000_000
    flows = 0
    stratum = 0
    # Flows interleave a few at a time, as on a real link.
    active = []
    while w.count < a.packets:
        while len(active) < 64:
            flows += 1
            kind = rng.choices(["stratum", "https", "plain", "dns"], [1, 40, 50, 9])[0]
            v6 = rng.random() < 0.1
            client = (b"\x20\x01\x0d\xb8" + bytes(10) + struct.pack("!H", flows & 0xffff)) if v6 else \
                bytes([10, (flows >> 16) & 0xff, (flows >> 8) & 0xff, flows & 0xff])
            server_id = rng.randint(1, 250)
            server = (b"\x20\x01\x0d\xb8\xff" + bytes(9) + struct.pack("!H", server_id)) if v6 else \
                bytes([198, 51, 100, server_id])
            if kind == "dns":
                q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04pool\x07example\x00\x00\x01\x00\x01"
                pkts = [(0, None, q), (1, None, q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01" + q[8:] +
                                      b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([198, 51, 100, 7]))]
            else:
                pkts = flow_packets(kind, rng)
                stratum += kind == "stratum"
            port = {"stratum": 3333, "https": 443, "plain": rng.choice([80, 8080, 22, 1883]), "dns": 53}[kind]
            active.append({"v6": v6, "c": client, "s": server, "cp": 32768 + flows % 28000, "sp": port,
                           "pkts": pkts, "i": 0, "seq": [1000, 5000]})
        f = active[rng.randrange(len(active))]
        direction, flags, payload = f["pkts"][f["i"]]
        f["i"] += 1
        src, dst = (f["c"], f["s"]) if direction == 0 else (f["s"], f["c"])
        sp, dp = (f["cp"], f["sp"]) if direction == 0 else (f["sp"], f["cp"])
        if flags is None:
            l4, proto = udp(sp, dp, payload), 17
        else:
            seq = f["seq"][direction]
            f["seq"][direction] += len(payload) + (1 if flags & 0x03 else 0)
            l4, proto = tcp(sp, dp, seq, f["seq"][1 - direction], flags, payload), 6
        ethertype, l3 = (ipv6 if f["v6"] else ipv4)(src, dst, proto, l4)
        ts += rng.randint(5, 200)
        w.frame(ts, ethertype, l3)
        if f["i"] == len(f["pkts"]):
            active.remove(f)
    w.f.close()
    print(f"{a.out}: {w.count} packets, {flows} flows ({stratum} Stratum sessions to port 3333)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
