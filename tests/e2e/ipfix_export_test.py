#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""IPFIX export from a live agent: flows crossing a veth pair (ICMP, ICMPv6,
TCP, UDP) reach nfcapd (Debian's nfdump) listening on 127.0.0.1 inside the
node's namespace, and `nfdump -r` shows each with the packet and byte counts,
per direction, that `minewatch flows --json` gave for it (a ping split by a
1 s active timeout into records that add up); tshark decodes a capture of
the same stream (templates, data sets, our enterprise elements: SNI,
verdict, JA3, detectors) with nothing malformed and no expert warning; the
same over TCP to a collector that reads; with nothing listening on the
collector's UDP port, or a TCP collector that never reads, the agent counts
dropped records and its ticks keep coming.

Needs root: two network namespaces joined by a veth pair (10.202.0.0/24,
fd00:202::/64, inside them only), deleted on exit with every process it
started. Every wait is bounded; nothing is asserted by sleeping."""

import argparse
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from e2e_check import FAILURES, check, preflight, run, verdict, wait_for  # noqa: E402,F401
from netns_harness import Netns, unique_tag  # noqa: E402

TAG = unique_tag("mwipfix")
NODE, PEER = f"{TAG}n", f"{TAG}p"
NODE_IP, PEER_IP = "10.202.0.1", "10.202.0.2"
NODE_IP6, PEER_IP6 = "fd00:202::1", "fd00:202::2"
COLLECTOR_PORT = 4739
METRICS_PORT = 9407



def in_node(*cmd):
    return Netns.inside(NODE, cmd)


def in_peer(*cmd):
    return Netns.inside(PEER, cmd)


class Test:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="mwipfix-")
        self.pin_root = f"/sys/fs/bpf/{TAG}"
        self.socket = f"{self.tmp}/sock"
        self.net = Netns()

    # -- the network and the processes --------------------------------------
    def up(self):
        for ns in (NODE, PEER):
            self.net.add(ns)
        self.net.veth(NODE, "n0", PEER, "p0", f"{NODE_IP}/24", f"{PEER_IP}/24")
        self.net.address(NODE, "n0", f"{NODE_IP6}/64", nodad=True)
        self.net.address(PEER, "p0", f"{PEER_IP6}/64", nodad=True)

    def down(self):
        self.net.close()  # every process first
        run(f"rm -rf {self.pin_root}", check=False)
        if self.args.keep:
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def spawn(self, ns, cmd, log, **kw):
        """cmd in ns, its output in the temporary directory's log."""
        return self.net.spawn(ns, cmd, f"{self.tmp}/{log}", **kw)

    def stop(self, proc, sig=signal.SIGTERM):
        return self.net.stop(proc, sig, grace=15)

    def config(self, name, target, extra=""):
        path = f"{self.tmp}/{name}.yaml"
        with open(path, "w") as f:
            f.write(f"""http:
  listen: 127.0.0.1:{METRICS_PORT}
pin_root: {self.pin_root}
socket: {self.socket}
events: {self.tmp}/events-{name}.jsonl
agent:
  tick_ms: 200
  idle_timeout_s: 6
  closed_timeout_s: 5
  sweep_every_s: 1
intel:
  feeds: [{self.tmp}/intel.txt]
export:
  ipfix: "{target}"
{extra}""")
        with open(f"{self.tmp}/intel.txt", "w") as f:
            f.write("pool.example\n")
        return path

    def start_agent(self, config):
        # The network namespace only: pins land in the host's bpffs.
        agent = self.spawn(NODE, [self.args.agent, "--iface", "n0", "--config", config], "agent.log", net_only=True)
        if not wait_for(lambda: self.status() is not None, 20):
            raise RuntimeError("agent did not answer: " + open(f"{self.tmp}/agent.log").read())
        return agent

    def cli(self, *args):
        r = run([self.args.cli, "--socket", self.socket, *args, "--json"], check=False)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def status(self):
        return self.cli("status")

    # -- traffic ---------------------------------------------------------------
    def traffic(self):
        # 3 s of pings: with a 1 s active timeout, several records whose
        # delta counts must add up to the sensor's.
        run(in_peer("ping", "-c", "11", "-i", "0.3", "-W", "1", NODE_IP))
        run(in_peer("ping", "-6", "-c", "3", "-i", "0.2", "-W", "1", NODE_IP6))
        sink = self.spawn(NODE, ["socat", "-u", "TCP-LISTEN:5001,reuseaddr", "OPEN:/dev/null"], "tcp-sink.log")
        self.net.wait_listening(NODE, 5001, timeout=10)
        data = f"{self.tmp}/payload"
        with open(data, "wb") as f:
            f.write(os.urandom(200_000))
        run(in_peer("socat", "-u", f"OPEN:{data}", f"TCP:{NODE_IP}:5001"))
        check("the TCP sink finished", sink.wait(timeout=10) == 0)
        udp = self.spawn(NODE, ["socat", "-u", "UDP-RECV:5002", "OPEN:/dev/null"], "udp-sink.log")
        self.net.wait_listening(NODE, 5002, udp=True, timeout=10)
        script = (f"import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('{PEER_IP}',40002))\n"
                  f"for n in (10,200,1000,30,500): s.sendto(b'x'*n,('{NODE_IP}',5002))")
        run(in_peer("python3", "-c", script))
        # A TLS ClientHello naming a server the intel feed lists: the flow's
        # record carries the verdict, the SNI, JA3 and the detectors.
        tls = self.spawn(NODE, ["socat", "-u", "TCP-LISTEN:3333,reuseaddr", "OPEN:/dev/null"], "tls-sink.log")
        self.net.wait_listening(NODE, 3333, timeout=10)
        hello = ("import socket,ssl\n"
                 f"s=socket.create_connection(('{NODE_IP}',3333),timeout=1)\n"
                 "c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE\n"
                 # TLS 1.2, one suite: a 157-byte hello, whole in a 256-byte sample (JA3 needs it whole)
                 "c.maximum_version=ssl.TLSVersion.TLSv1_2;c.set_ciphers('ECDHE-RSA-AES128-GCM-SHA256')\n"
                 "try: c.wrap_socket(s,server_hostname='pool.example')\n"
                 "except Exception: pass\n")
        run(in_peer("python3", "-c", hello))
        check("the TLS sink finished", tls.wait(timeout=10) == 0)
        return udp

    def our_flows(self):
        """The sensor's flows the test made (NDP and the like left out: they
        may still move while the test reads), keyed as nfdump prints them."""
        flows = self.cli("flows") or []
        out = {}
        for f in flows:
            fl = f["flow"]
            proto = fl["proto"]
            if proto in ("tcp", "udp") and int(fl["dport"]) in (5001, 5002, 3333) or proto == "icmp" or (
                    proto == "icmpv6" and int(fl["sport"]) != 0):
                # nfdump prints an ICMP type and code as the port: ports only for TCP and UDP
                port = int(fl["dport"]) if proto in ("tcp", "udp") else 0
                out[(fl["src"], fl["dst"], proto, port)] = (f["packets_up"], f["bytes_up"], f["packets_down"],
                                                      f["bytes_down"])
        return out

    # -- the checks ------------------------------------------------------------
    def export_to_nfcapd(self):
        flows_dir = f"{self.tmp}/nfcapd"
        os.makedirs(flows_dir)
        cap = f"{self.tmp}/ipfix.pcapng"
        shark = self.capture(cap, f"udp port {COLLECTOR_PORT}")
        nfcapd = self.spawn(NODE, ["nfcapd", "-b", "127.0.0.1", "-p", str(COLLECTOR_PORT), "-w", flows_dir,
                                   "-t", "3600"], "nfcapd.log")
        check("nfcapd listens on 127.0.0.1 in the node",
              wait_for(lambda: self.net.listening(NODE, COLLECTOR_PORT, udp=True), 10))
        agent = self.start_agent(self.config("nfcapd", f"127.0.0.1:{COLLECTOR_PORT}", "  active_timeout_s: 1\n"))
        udp = self.traffic()
        # The sensor's view once the traffic has settled (the same across two
        # of the agent's drains, none holding a busy flow back for later:
        # `flows` answers as of the last read), before the flows time out
        # (5-6 s after their last packet).
        snapshot, since_tick = {}, -1

        def settled():
            nonlocal snapshot, since_tick
            agent_status = (self.status() or {}).get("agent", {})
            ticks = agent_status.get("ticks", 0)
            now = self.our_flows()
            if now != snapshot or len(now) < 5 or agent_status.get("flows_held", 1):
                snapshot, since_tick = now, ticks
                return False
            return ticks >= since_tick + 2
        check("the sensor shows the test's flows", wait_for(settled, 4), snapshot)
        self.stop(udp)
        # Flows end (idle, closed), the agent exports them.
        gone = wait_for(lambda: not (self.our_flows().keys() & snapshot.keys()), 30)
        check("the flows ended in the agent", gone)
        st = wait_for(lambda: (s := self.status()) and s["export"]["records"] >= len(snapshot) and
                      s["export"]["queued"] == 0 and s, 10)
        check("the agent says it sent a record per flow", bool(st), self.status())
        if st:
            check("nothing was dropped on the way to nfcapd", sum(st["export"]["dropped"].values()) == 0,
                  st["export"])
            self.metrics(st["export"]["records"])
            # Every message sent so far is in the capture before it stops.
            check("the capture holds every message the agent sent",
                  wait_for(lambda: self.messages(cap, "udp", COLLECTOR_PORT) >= st["export"]["messages"], 10),
                  (self.messages(cap, "udp", COLLECTOR_PORT), st["export"]))
        self.stop(agent)
        self.stop(nfcapd)
        self.stop(shark)
        files = [f for f in os.listdir(flows_dir) if f.startswith("nfcapd.") and "current" not in f]
        check("nfcapd wrote a file", len(files) == 1, os.listdir(flows_dir))
        if not files:
            return
        out = run(["nfdump", "-r", f"{flows_dir}/{files[0]}", "-o", "csv", "-q"]).stdout
        self.compare(snapshot, out)
        self.tshark(cap)

    def capture(self, path, pcap_filter):
        """tcpdump on the node's loopback, each packet written as it comes (-U),
        so what the test waits for in the file is there."""
        log = f"{self.tmp}/{os.path.basename(path)}.log"
        proc = self.spawn(NODE, ["tcpdump", "-U", "-n", "-i", "lo", "-w", path, pcap_filter],
                          os.path.basename(log))
        if not wait_for(lambda: "listening on" in open(log).read(), 20):
            raise RuntimeError("tcpdump did not start: " + open(log).read())
        return proc

    def messages(self, cap, transport, port, extra=""):
        """IPFIX messages tshark finds in a capture (so far)."""
        r = run(["tshark", "-r", cap, "-d", f"{transport}.port=={port},cflow", "-Y", "cflow.version == 10" + extra],
                check=False)
        return len(r.stdout.strip().splitlines()) if r.returncode == 0 else 0

    def metrics(self, records):
        body = run(in_node("curl", "-sf", f"http://127.0.0.1:{METRICS_PORT}/metrics")).stdout
        line = f'minewatch_export_records_total{{collector="127.0.0.1:{COLLECTOR_PORT}/udp"}} {records}'
        check("/metrics counts the records sent", line in body.splitlines(), line)
        check("/metrics has dropped records by reason",
              'minewatch_export_dropped_total{collector="127.0.0.1:4739/udp",reason="queue_full"} 0' in body)
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        check("promtool accepts the page with the export metrics", r.returncode == 0, r.stdout + r.stderr)

    def compare(self, snapshot, csv_text):
        names = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6", "ICMP": "icmp", "TCP": "tcp", "UDP": "udp",
                 "ICMP6": "icmpv6"}
        rows = list(csv.reader(io.StringIO(csv_text)))
        header = ["ts", "te", "td", "sa", "da", "sp", "dp", "pr", "flg", "fwd", "stos", "ipkt", "ibyt", "opkt",
                  "obyt"]
        seen, records = {}, {}
        for row in rows:
            if len(row) < len(header) or row[0] == "ts":
                continue
            r = dict(zip(header, row))
            proto = names.get(r["pr"].strip(), r["pr"].strip())
            key = (r["sa"], r["da"], proto, int(r["dp"]) if proto in ("tcp", "udp") else 0)
            counts = tuple(int(r[k]) for k in ("ipkt", "ibyt", "opkt", "obyt"))
            prev = seen.get(key, (0, 0, 0, 0))
            seen[key] = tuple(a + b for a, b in zip(prev, counts))
            records[key] = records.get(key, 0) + 1
        pings = [k for k in snapshot if k[2] == "icmp"]
        check("the 3 s ping flow came as several records (active timeout 1 s)",
              len(pings) == 1 and records.get(pings[0], 0) >= 2, records)
        for key, counts in sorted(snapshot.items()):
            check(f"nfdump shows {key[2]} {key[0]} -> {key[1]}:{key[3]} with the sensor's packets and bytes "
                  f"(up {counts[0]}/{counts[1]}, down {counts[2]}/{counts[3]})", seen.get(key) == counts,
                  f"nfdump: {seen.get(key)}; all: {csv_text}")

    def tshark(self, cap):
        decode = ["-d", f"udp.port=={COLLECTOR_PORT},cflow"]
        msgs = run(["tshark", "-r", cap, *decode, "-Y", "cflow.version == 10"]).stdout.strip().splitlines()
        check("tshark reads IPFIX messages in the capture", len(msgs) > 0)
        bad = run(["tshark", "-r", cap, *decode, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456"]).stdout
        check("tshark finds nothing malformed and no expert warning", bad.strip() == "", bad)
        fields = run(["tshark", "-r", cap, *decode, "-T", "fields", "-e", "cflow.template_id", "-e",
                      "cflow.flowset_id"]).stdout
        check("tshark decodes both templates and their data sets", "256" in fields and "257" in fields, fields)
        # Our enterprise elements (the documentation PEN 32473), as tshark
        # shows elements it has no names for: type and hex bytes.
        text = run(["tshark", "-r", cap, *decode, "-V"]).stdout
        def element(n, value):
            return f"Use) Type {n}: Value (hex bytes): {value}" in text
        check("a record names the server (SNI)", element(3, "70 6f 6f 6c 2e 65 78 61 6d 70 6c 65"))
        check("a record has the verdict mining", element(1, "02"))
        check("a record names the intel detector", element(5, "69 6e 74 65 6c"))
        check("a record has a JA3 hash (32 hex digits)",
              re.search(r"Use\) Type 4: Value \(hex bytes\): (3[0-9a-f] |6[1-6] ){24}", text) is not None)

    def tcp_collector(self):
        """IPFIX over TCP (nfcapd takes UDP only): a collector that reads the
        stream, and tshark on a capture of it."""
        port = 4742
        cap = f"{self.tmp}/ipfix-tcp.pcapng"
        shark = self.capture(cap, f"tcp port {port}")
        reader = self.spawn(NODE, ["python3", "-c",
                                   "import socket,sys\n"
                                   "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                                   f"s.bind(('127.0.0.1',{port}));s.listen(1)\n"
                                   "c,_=s.accept()\n"
                                   f"f=open('{self.tmp}/tcp-stream','wb')\n"
                                   "while (b:=c.recv(65536)): f.write(b)\n"], "tcp-collector.log")
        self.net.wait_listening(NODE, port, timeout=10)
        agent = self.start_agent(self.config("tcp", f"127.0.0.1:{port}/tcp"))
        run(in_peer("ping", "-c", "3", "-i", "0.2", "-W", "1", NODE_IP))
        # The ping has had its replies when ping returns: the sensor's count is
        # final once a drain has read it (`flows` answers as of the last one).
        snapshot = wait_for(lambda: {k: v for k, v in self.our_flows().items()
                                     if k[2] == "icmp" and v[0] == 3 and v[2] == 3}, 5) or {}
        st = wait_for(lambda: (s := self.status()) and s["export"]["records"] >= 1 and
                      not (self.our_flows().keys() & snapshot.keys()) and s["export"]["queued"] == 0 and s, 30)
        check("tcp: the agent connected once and sent the ping's record", st and st["export"]["connected"] and
              len(snapshot) == 1, st)
        self.stop(agent)  # closes the connection: the collector reads to the end
        check("tcp: the collector read the stream to its end", reader.wait(timeout=15) == 0)
        fin = ["tshark", "-r", cap, "-Y", f"tcp.flags.fin == 1 && tcp.dstport == {port}"]
        check("tcp: the capture holds the stream to the exporter's FIN",
              wait_for(lambda: run(fin, check=False).stdout.strip() != "", 10))
        self.stop(shark)
        decode = ["-d", f"tcp.port=={port},cflow"]
        msgs = run(["tshark", "-r", cap, *decode, "-Y", "cflow.version == 10"]).stdout.strip().splitlines()
        check("tcp: tshark reads IPFIX messages in the stream", len(msgs) > 0)
        bad = run(["tshark", "-r", cap, *decode, "-Y", "_ws.malformed || _ws.expert.severity >= 6291456"]).stdout
        check("tcp: tshark finds nothing malformed and no expert warning", bad.strip() == "", bad)
        fields = run(["tshark", "-r", cap, *decode, "-Y", f"cflow.srcaddr == {PEER_IP} && cflow.protocol == 1",
                      "-T", "fields", "-e", "cflow.packets"]).stdout.split()
        want = [str(v[0]) for v in snapshot.values()]
        check("tcp: tshark finds the ping's record with the sensor's packet count",
              bool(want) and any(want[0] in f.split(",") for f in fields), (fields, want))

    def dead_collectors(self):
        # UDP: nothing listens on the port.
        agent = self.start_agent(self.config("dead-udp", "127.0.0.1:4740"))
        self.ticks_go_on_while_dropping(agent, "refused")
        self.stop(agent)
        # TCP: a collector that accepts (in the kernel's backlog) and never reads.
        listener = self.spawn(NODE, ["python3", "-c",
                                     "import socket,time\n"
                                     "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,4096)\n"
                                     "s.bind(('127.0.0.1',4741));s.listen(1)\n"
                                     "time.sleep(600)"], "slow-collector.log")
        self.net.wait_listening(NODE, 4741, timeout=10)
        agent = self.start_agent(self.config("slow-tcp", "127.0.0.1:4741/tcp", "  max_queue: 8\n"))
        self.ticks_go_on_while_dropping(agent, "queue_full", flows=2500)
        st = self.status()
        check("the agent connected to the slow collector", st and st["export"]["connected"], st)
        self.stop(agent)
        self.stop(listener)

    def ticks_go_on_while_dropping(self, agent, reason, flows=50):
        # Many short UDP flows (one datagram each from its own port), each a
        # record when it goes idle.
        script = ("import socket\n"
                  f"for i in range({flows}):\n"
                  "  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  f"  s.sendto(b'x',('{NODE_IP}',9))\n"
                  "  s.close()\n")
        run(in_peer("python3", "-c", script))
        dropped = wait_for(lambda: (s := self.status()) and s["export"]["dropped"][reason] > 0 and s, 30)
        check(f"{reason}: the agent counts dropped records", bool(dropped), self.status())
        if not dropped:
            return
        ticks = dropped["agent"]["ticks"]
        # Ten more ticks at 200 ms each while the collector takes nothing.
        later = wait_for(lambda: (s := self.status()) and s["agent"]["ticks"] >= ticks + 10, 15)
        check(f"{reason}: the agent keeps ticking", bool(later))
        check(f"{reason}: the agent is still running", agent.poll() is None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (captures, logs)")
    args = parser.parse_args()
    if preflight("ipfix_export_test", ("nfcapd", "nfdump", "tshark", "tcpdump", "socat", "promtool", "curl",
                                       "nsenter")):
        return 1
    t = Test(args)
    try:
        t.up()
        t.export_to_nfcapd()
        t.tcp_collector()
        t.dead_collectors()
    finally:
        t.down()
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
