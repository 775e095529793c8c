#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/) from the
repository's own captures and fixtures, so each target starts from inputs
that reach deep into its parser:

  classify      payload samples of tests/data/pcaps as the sensor takes them
                (first 4 payload packets of each flow direction, <= 256 bytes),
                behind the one context byte fuzz_classify.cpp reads
  tls_hello     ClientHellos made by Python's own TLS stack (with and without
                SNI and ALPN, TLS 1.2 and 1.3), whole and cut
  dns           DNS answers: A, AAAA, CNAME chains, compression pointers
  pcap          small captures in every link type the reader accepts, pcap
                (micro- and nanosecond) and pcapng, from the public captures
  config        the shipped configs, and one with every key
  rule_lines    rule lines of every syntax, and the shipped intel feed
  control_request  one request line per command
  confirm_answer   what servers answer the confirmer's probes (pools in each
                dialect, a pool's refusal, HTTP, a TLS alert, other JSON-RPC),
                behind the dialect byte fuzz_confirm_answer.cpp reads

Deterministic: rerunning writes the same files. Run from anywhere:
  python3 tests/fuzz/make_seeds.py
"""

import hashlib
import os
import shutil
import ssl
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../.."))
PCAPS = os.path.join(ROOT, "tests/data/pcaps")
OUT = os.path.join(HERE, "corpus")


def packets(path):
    """(link type, timestamp s, frame bytes) of a pcap or pcapng file."""
    data = open(path, "rb").read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        yield from pcapng_packets(data)
        return
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    at = 24
    while at + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        yield link, sec + frac / 1e6, data[at + 16:at + 16 + caplen]
        at += 16 + caplen


def pcapng_packets(data):
    links, at, endian = [], 0, "<"
    while at + 12 <= len(data):
        kind = struct.unpack(endian + "I", data[at:at + 4])[0]
        if kind == 0x0A0D0D0A:
            endian = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        length = struct.unpack(endian + "I", data[at + 4:at + 8])[0]
        body = data[at + 8:at + length - 4]
        if kind == 1:
            links.append(struct.unpack(endian + "H", body[:2])[0])
        elif kind == 6:
            iface, hi, lo, caplen = struct.unpack(endian + "IIII", body[:16])
            yield links[iface], ((hi << 32) | lo) / 1e6, body[20:20 + caplen]
        if length < 12:
            break
        at += length


def l4_payloads(frame):
    """(proto, sport, dport, payload) of an Ethernet frame, or None."""
    if len(frame) < 14:
        return None
    ethertype, at = struct.unpack(">H", frame[12:14])[0], 14
    while ethertype in (0x8100, 0x88A8) and len(frame) >= at + 4:
        ethertype, at = struct.unpack(">H", frame[at + 2:at + 4])[0], at + 4
    if ethertype == 0x0800 and len(frame) >= at + 20:
        proto, at = frame[at + 9], at + (frame[at] & 0xF) * 4
    elif ethertype == 0x86DD and len(frame) >= at + 40:
        proto, at = frame[at + 6], at + 40
    else:
        return None
    if proto == 6 and len(frame) >= at + 20:
        sport, dport = struct.unpack(">HH", frame[at:at + 4])
        return proto, sport, dport, frame[at + (frame[at + 12] >> 4) * 4:]
    if proto == 17 and len(frame) >= at + 8:
        sport, dport = struct.unpack(">HH", frame[at:at + 4])
        return proto, sport, dport, frame[at + 8:]
    return None


def write(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


def by_hash(target, data):
    write(target, hashlib.sha1(data).hexdigest()[:16], data)


def classify_seeds():
    for name in sorted(os.listdir(PCAPS)):
        if not name.endswith((".pcap", ".pcapng")):
            continue
        taken = {}
        for link, _, frame in packets(os.path.join(PCAPS, name)):
            parsed = l4_payloads(frame) if link == 1 else None
            if not parsed or not parsed[3]:
                continue
            proto, sport, dport, payload = parsed
            direction = (proto, sport, dport)
            if taken.get(direction, 0) >= 4:
                continue
            taken[direction] = taken.get(direction, 0) + 1
            # the context byte: bit 0 UDP, bits 1-2 direction (unknown), bit 3 DNS sample
            context = (1 if proto == 17 else 0) | (8 if 53 in (sport, dport) else 0)
            by_hash("classify", bytes([context]) + payload[:256])


def tls_seeds():
    def hello(sni, alpn, version):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        if version:
            context.maximum_version = version
        if alpn:
            context.set_alpn_protocols(alpn)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()

    cases = [("pool.example.net", ["h2", "http/1.1"], None), (None, None, None),
             ("xmr.example.org", None, ssl.TLSVersion.TLSv1_2), (None, ["stratum"], ssl.TLSVersion.TLSv1_2)]
    for i, (sni, alpn, version) in enumerate(cases):
        # Python's hellos carry a random and a key share: made once, kept
        path = os.path.join(OUT, "tls_hello", f"hello-{i}")
        if os.path.exists(path):
            data = open(path, "rb").read()
        else:
            data = hello(sni, alpn, version)
            write("tls_hello", f"hello-{i}", data)
            write("tls_hello", f"hello-{i}-cut", data[:len(data) // 2])
        write("classify", f"tls-hello-{i}", bytes([0x10]) + data[:256])  # dst port 443


def dns_name(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_seeds():
    def message(qname, answers, flags=0x8180):
        head = struct.pack(">HHHHHH", 0x1234, flags, 1, len(answers), 0, 0)
        question = dns_name(qname) + struct.pack(">HH", 1, 1)
        return head + question + b"".join(answers)

    def record(rtype, rdata, name=b"\xc0\x0c"):
        return name + struct.pack(">HHIH", rtype, 1, 300, len(rdata)) + rdata

    write("dns", "a", message("pool.example.net", [record(1, bytes([198, 51, 100, 7]))]))
    write("dns", "aaaa", message("pool.example.net", [record(28, bytes(15) + b"\x07")]))
    write("dns", "cname-chain", message("xmr.example.org", [
        record(5, dns_name("edge.example.org")),
        record(1, bytes([203, 0, 113, 9]), name=dns_name("edge.example.org"))]))
    write("dns", "nxdomain", message("nothing.example", [], flags=0x8183))
    write("dns", "pointer-loop", message("loop.example", [record(1, bytes(4), name=b"\xc0\x0c\xc0\x0c")]))
    for name in os.listdir(os.path.join(OUT, "dns")):
        data = open(os.path.join(OUT, "dns", name), "rb").read()
        write("classify", "dns-" + name, bytes([0x31]) + data)  # UDP, DNS sample, port 53


def pcap_file(link, frames, nano=False):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, link)
    for i, frame in enumerate(frames):
        out += struct.pack("<IIII", 1700000000 + i, 500, len(frame), len(frame)) + frame
    return out


def pcapng_file(link, frames):
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", link, 0, 65535))
    for i, frame in enumerate(frames):
        ts = (1700000000 + i) * 1000000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    return out


def pcap_seeds():
    frames = []
    for name in sorted(os.listdir(PCAPS)):
        if name.endswith((".pcap", ".pcapng")):
            frames += [f for link, _, f in packets(os.path.join(PCAPS, name)) if link == 1][:6]
    ip = [f[14:] for f in frames]
    write("pcap", "ethernet.pcap", pcap_file(1, frames))
    write("pcap", "ethernet-ns.pcap", pcap_file(1, frames, nano=True))
    write("pcap", "ethernet.pcapng", pcapng_file(1, frames))
    write("pcap", "raw.pcap", pcap_file(101, ip))
    write("pcap", "null.pcap", pcap_file(0, [struct.pack("<I", 2) + p for p in ip]))
    write("pcap", "sll.pcap", pcap_file(113, [bytes(14) + f[12:14] + p for f, p in zip(frames, ip)]))
    write("pcap", "sll2.pcap", pcap_file(276, [f[12:14] + bytes(18) + p for f, p in zip(frames, ip)]))
    write("pcap", "truncated.pcap", pcap_file(1, frames)[:-5])


def text_seeds():
    for name in ("deploy/agent.example.yaml", "deploy/k8s/config/agent.yaml"):
        write("config", os.path.basename(os.path.dirname(name)) + "-" + os.path.basename(name),
              open(os.path.join(ROOT, name), "rb").read())
    write("config", "lists.yaml", b"actions:\n  autoblock: dry-run\n  blocklist: [198.51.100.7:3333, 10.0.0.0/8]\n"
                                  b"  allowlist: ['[2001:db8::1]:443/tcp']\nintel:\n  ports: [3333, 4444]\n")
    write("rule_lines", "targets", b"198.51.100.7\n198.51.100.0/24\n198.51.100.7:3333\n198.51.100.7:3333/udp\n"
                                   b"[2001:db8::7]:443/tcp\n2001:db8::/32 # a comment\n\n# only a comment\n")
    write("rule_lines", "hosts", b"0.0.0.0 pool.example.net\n*.example.org\n.example.com\n203.0.113.0/24\n")
    write("rule_lines", "intel-feed", open(os.path.join(ROOT, "deploy/k8s/intel/mining-pools.txt"), "rb").read())
    requests = [b'{"cmd":"status"}', b'{"cmd":"flows","top":20,"sort":"packets"}', b'{"cmd":"detections"}',
                b'{"cmd":"explain","flow":"3409370e37c6"}', b'{"cmd":"block_add","target":"198.51.100.7:3333","ttl":60}',
                b'{"cmd":"block_del","target":"10.0.0.0/8"}', b'{"cmd":"block_list"}',
                b'{"cmd":"allow_add","target":"[2001:db8::1]:443"}', b'{"cmd":"allow_list"}']
    for i, line in enumerate(requests):
        write("control_request", f"request-{i}", line)


def confirm_answer_seeds():
    job = (b'{"blob":"0e0ee8b8dd8f06","job_id":"1","target":"b88d0600","algo":"cn-pico","height":1001,'
           b'"seed_hash":"c0c0","id":"lab"}')
    answers = [
        (0, b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"lab","job":' + job + b',"status":"OK"}}\n'),
        (0, b'{"id":1,"jsonrpc":"2.0","error":{"code":-1,"message":"Invalid payment address provided"}}\n'),
        (1, b'{"id":1,"result":[[["mining.notify","1"]],"08000002",4],"error":null}\n'
            b'{"id":2,"result":true,"error":null}\n'),
        (1, b'{"id":null,"method":"mining.set_difficulty","params":[16384]}\n'),
        (2, b'{"id":1,"jsonrpc":"2.0","result":[["mining.notify","ae68","EthereumStratum/1.0.0"],"080c"],'
            b'"error":null}\n'),
        (3, b'{"id":1,"jsonrpc":"2.0","result":true}\n{"id":2,"jsonrpc":"2.0","result":["0x' + b"ab" * 32 +
            b'","0x' + b"cd" * 32 + b'","0x00000000ffff"]}\n'),
        (0, b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
        (1, b"\x15\x03\x03\x00\x02\x02\x28"),
        (2, b'{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}\n'),
        (3, b'{"type":"event","data":{"channel":"orders"}}\n'),
    ]
    for i, (dialect, answer) in enumerate(answers):
        write("confirm_answer", f"answer-{i}", bytes([dialect]) + answer)


def main():
    for target in ("classify", "dns", "pcap", "config", "rule_lines", "control_request", "confirm_answer"):
        shutil.rmtree(os.path.join(OUT, target), ignore_errors=True)
    tls_seeds()  # before classify: its hellos also seed the classifier
    classify_seeds()
    dns_seeds()
    pcap_seeds()
    text_seeds()
    confirm_answer_seeds()
    for target in sorted(os.listdir(OUT)):
        print(f"{target}: {len(os.listdir(os.path.join(OUT, target)))} seeds")


if __name__ == "__main__":
    main()
