# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The lab's traffic classes: which addresses each class uses, how a flow is
told to belong to one, and what the agent made of each class (flows, how many
reached suspicious, mining, blocked, and how fast). Every class has its own
client address or its own server endpoint, so a flow's class follows from its
addresses and ports alone — in the lab's report and in the labels written
beside a recording (--pcap)."""

import json
import re
import subprocess
from datetime import datetime

from labnet import SUBNET  # noqa: E402  (the lab network's)


def ip(last):
    return f"{SUBNET}.{last}"


# Addresses added to a host's lab interface beside its own (labnet gives .1
# node, .2 pool, .3 web): one per class where a class needs its own.
ALIASES = {
    "node": [51, 52, 53, 21, 22, 31, 32, 33, 41, 42, 43, 44, 45, 46],
    "pool": [12],
    "web": [13, 14, 15, 16, 17, 18],
}
TLS_POOL = ip(12)
HARD_NEGATIVE_SERVERS = {  # kind: (address, port); each on an address of its own, on its usual port
    "eventstream": (ip(13), 443), "websocket": (ip(14), 443), "grpc": (ip(15), 443),
    "ssh": (ip(16), 22), "mqtt": (ip(17), 8883), "longpoll": (ip(18), 443),
}
HARD_NEGATIVE_CLIENTS = {  # kind: the client addresses (several: a fleet on one server)
    "eventstream": [ip(41), ip(42), ip(43)], "mqtt": [ip(44), ip(45), ip(46)],
    "websocket": [ip(1)], "grpc": [ip(1)], "ssh": [ip(1)], "longpoll": [ip(1)],
}
OLD_BENIGN_CLIENTS = {"longpoll": ip(51), "websocket": ip(52), "bulk": ip(53)}
TLS_MINERS = [  # (class, client address, pool port, SNI or None); XMRig itself is added by the lab
    ("miner-tls-sni", ip(21), 443, "pool.lab"),
    ("miner-tls-nosni", ip(22), 8443, None),
    ("miner-tls-fleet", ip(31), 14433, None),
    ("miner-tls-fleet", ip(32), 14433, None),
    ("miner-tls-fleet", ip(33), 14433, None),
]

# (class, client address or None for any, server address, server port, proto); the first match wins.
RULES = [
    ("miner-plain", None, ip(2), 3333, "tcp"),
    ("miner-tls-nosni", ip(1), TLS_POOL, 443, "tcp"),  # XMRig --tls: no SNI
    *[(c, client, TLS_POOL, port, "tcp") for c, client, port, _ in TLS_MINERS],
    ("benign-mosquitto", None, ip(3), 1883, "tcp"),
    ("benign-openssh", None, ip(3), 22, "tcp"),
    ("benign-https-poll", OLD_BENIGN_CLIENTS["longpoll"], ip(3), 443, "tcp"),
    ("benign-ws-heartbeat", OLD_BENIGN_CLIENTS["websocket"], ip(3), 443, "tcp"),
    ("benign-bulk", OLD_BENIGN_CLIENTS["bulk"], ip(3), 443, "tcp"),
    ("benign-dns", None, ip(3), 53, "udp"),
    *[(f"benign-{kind}", None, addr, port, "tcp") for kind, (addr, port) in HARD_NEGATIVE_SERVERS.items()],
]
CLASSES = list(dict.fromkeys(rule[0] for rule in RULES))
# The benign classes the lab had before the hard negatives: not even suspicious, ever.
NEVER_FLAGGED = {"benign-mosquitto", "benign-openssh", "benign-https-poll", "benign-ws-heartbeat", "benign-bulk",
                 "benign-dns"}


def class_of(client, server, port, proto):
    for name, rule_client, rule_server, rule_port, rule_proto in RULES:
        if (rule_client in (None, client)) and (rule_server, rule_port, rule_proto) == (server, port, proto):
            return name
    return "unlabelled"


def stamp(text):
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def captured_flows(pcap):
    """(proto, client, cport, server, sport) of every flow in the capture: a
    TCP flow by its SYN, a UDP one by its first datagram to port 53."""
    out = subprocess.run(["tcpdump", "-nn", "-r", pcap, "(tcp[tcpflags] & (tcp-syn|tcp-ack)) == tcp-syn "
                          "or (udp and dst port 53)"], capture_output=True, text=True).stdout
    flows = set()
    for m in re.finditer(r"IP ([\d.]+)\.(\d+) > ([\d.]+)\.(\d+): (Flags)?", out):
        flows.add(("tcp" if m.group(5) else "udp", m.group(1), int(m.group(2)), m.group(3), int(m.group(4))))
    return flows


def detection_events(events_file):
    events = []
    with open(events_file) as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "detection":
                events.append(event)
    return events


def blocked(rules, proto, server, port):
    targets = {r["target"] for r in rules}
    return bool(targets & {server, f"{server}:{port}", f"{server}:{port}/{proto}", f"{server}/32"})


def outcomes(flows, events, rules, probe_sources=frozenset()):
    """Per class: flows, reached suspicious (or more), mining, blocked, the
    fastest flow to suspicious and to mining and the slowest to mining (s
    after its first packet). The agent's own probes (client address and
    port in probe_sources) are a class of their own: confirm-probe."""
    seen = {}
    for e in events:
        f = e["flow"]
        key = (f["proto"], f["src"], f["sport"], f["dst"], f["dport"])
        seconds = stamp(e["detected_at"]) - stamp(e["first_seen"])
        entry = seen.setdefault(key, {})
        for level in ("suspicious", "mining") if e["verdict"] == "mining" else (e["verdict"],):
            entry[level] = min(entry.get(level, seconds), seconds)
    def new_row():
        return {"flows": 0, "suspicious": 0, "mining": 0, "blocked": 0, "first_suspicious_s": None,
                "first_mining_s": None, "last_mining_s": None, "flagged": []}
    table = {name: new_row() for name in CLASSES}
    for key in sorted(set(flows) | set(seen)):
        proto, client, cport, server, sport = key
        name = "confirm-probe" if (client, cport) in probe_sources else class_of(client, server, sport, proto)
        row = table.setdefault(name, new_row())
        row["flows"] += 1
        entry = seen.get(key, {})
        for level in ("suspicious", "mining"):
            if level in entry:
                row[level] += 1
                best = row[f"first_{level}_s"]
                row[f"first_{level}_s"] = round(entry[level] if best is None else min(best, entry[level]), 1)
        if "mining" in entry:
            last = row["last_mining_s"]
            row["last_mining_s"] = round(entry["mining"] if last is None else max(last, entry["mining"]), 1)
        if entry:
            row["flagged"].append(f"{client}:{cport}->{server}:{sport} "
                                  f"{'mining' if 'mining' in entry else 'suspicious'}")
        row["blocked"] += blocked(rules, proto, server, sport)
    return table


def print_table(table):
    print(f"\n{'class':<22} {'flows':>5} {'suspicious':>10} {'mining':>6} {'blocked':>7} "
          f"{'first suspicious':>16} {'first mining':>12}")
    for name, row in table.items():
        def seconds(value):
            return "-" if value is None else f"{value:.1f} s"
        print(f"{name:<22} {row['flows']:>5} {row['suspicious']:>10} {row['mining']:>6} {row['blocked']:>7} "
              f"{seconds(row['first_suspicious_s']):>16} {seconds(row['first_mining_s']):>12}")
    print("(suspicious: flows that reached suspicious or mining; blocked: flows whose server a block rule names; "
          "first: the fastest flow, after its own first packet)")


def labels(flows):
    """The labels file's flows: each flow of a recording and its class."""
    return [{"client": f"{client}:{cport}", "server": f"{server}:{sport}", "proto": proto,
             "class": class_of(client, server, sport, proto)}
            for proto, client, cport, server, sport in sorted(flows)]
