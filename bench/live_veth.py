#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Live traffic across a veth pair, with and without the sensor.

Two network namespaces this script makes and deletes (also on Ctrl-C),
joined by a veth pair (10.210.0.1 <-> 10.210.0.2, inside them only). The
"node" end runs iperf3's server and, in turn: nothing; an empty XDP program
(bench/xdp_pass.bpf.c, native mode, as the sensor attaches: on a veth, any
native XDP program makes the pair hand over 1500-byte frames instead of
64 KiB GSO packets, which is most of the TCP cost below); the real
minewatch-agent (XDP on ingress, TC on egress); empty TC programs on
ingress and egress (the same file's "tc" section); and the agent with
ingress_hook: tc (TC on both hooks, after GRO). Rounds rotate the five, so
the machine's drift hits all alike; the table shows medians:
TCP throughput (one stream), UDP packets/s with 64-byte payloads, and, from
kernel.bpf_stats_enabled=1 (restored afterwards), the average ns our
programs spent per packet (or GRO packet) while loaded. A record to rerun,
not a test.

    sudo bench/live_veth.py [--rounds 5] [--seconds 5]"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import netns_harness  # noqa: E402
from netns_harness import Netns, unique_tag  # noqa: E402

TAG = unique_tag("mwlv")
CLIENT, NODE = f"{TAG}c", f"{TAG}n"
CLIENT_IP, NODE_IP = "10.210.0.1", "10.210.0.2"


def sh(cmd, check=True):
    return netns_harness.sh(cmd, check).stdout


def iperf(net, args, seconds):
    out = net.run(CLIENT, f"iperf3 -c {NODE_IP} -t {seconds} -J {args}").stdout
    return json.loads(out)["end"]


def prog_stats(prog_id):
    info = json.loads(sh(f"bpftool -j prog show id {prog_id}"))
    return info.get("run_time_ns", 0), info.get("run_cnt", 0)


class Agent:
    """The real agent on the node's end, with a private pin root and socket."""

    def __init__(self, net, args, tmp, ingress="xdp"):
        self.net, self.args, self.tmp = net, args, tmp
        config = os.path.join(tmp, "agent.yaml")
        with open(config, "w") as f:
            f.write(f"pin_root: /sys/fs/bpf/{TAG}\nstate_dir: {tmp}/state\nsocket: {tmp}/sock\nevents: /dev/null\n"
                    f"ingress_hook: {ingress}\n")
        self.proc = net.spawn(NODE, [args.agent, "--iface", "n0", "--config", config], os.path.join(tmp, "agent.log"),
                              net_only=True)
        deadline = time.monotonic() + 20
        while True:
            r = subprocess.run([args.cli, "--socket", f"{tmp}/sock", "status", "--json"], capture_output=True,
                               text=True)
            if r.returncode == 0:
                iface = json.loads(r.stdout)["interfaces"][0]
                self.progs = {"tc": iface["tc_prog_id"]}
                if ingress == "xdp":
                    self.progs["xdp"] = iface["xdp_prog_id"]
                else:
                    self.progs["tc_in"] = iface["tc_ingress_prog_id"]
                return
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the agent did not come up; see " + os.path.join(tmp, "agent.log"))
            time.sleep(0.2)

    def stop(self):
        self.net.stop(self.proc, signal.SIGTERM, grace=15)
        sh(f"rm -rf /sys/fs/bpf/{TAG}", check=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    build = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../build")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--agent", default=os.path.join(build, "agent/minewatch-agent"))
    p.add_argument("--cli", default=os.path.join(build, "cli/minewatch"))
    p.add_argument("--empty-xdp", default=os.path.join(build, "bench/bpf/xdp_pass.bpf.o"))
    args = p.parse_args()
    if os.geteuid() != 0:
        print("live_veth.py: run as root (namespaces, BPF)", file=sys.stderr)
        return 2
    if not shutil.which("iperf3"):
        print("live_veth.py: iperf3 is missing (scripts/install-deps.sh)", file=sys.stderr)
        return 2
    if args.rounds < 1 or args.seconds < 1:
        print("live_veth.py: --rounds and --seconds must be at least 1", file=sys.stderr)
        return 2

    stats_before = sh("sysctl -n kernel.bpf_stats_enabled").strip()
    tmp = tempfile.mkdtemp(prefix="mw-live-")
    net = Netns()
    results = {"without": {"tcp": [], "udp": []}, "empty_xdp": {"tcp": [], "udp": []},
               "with": {"tcp": [], "udp": [], "xdp_ns": [], "tc_ns": []},
               "empty_tc": {"tcp": [], "udp": []},
               "with_tc": {"tcp": [], "udp": [], "tc_in_ns": [], "tc_ns": []}}
    try:
        for ns in (CLIENT, NODE):
            net.add(ns)
        net.veth(NODE, "n0", CLIENT, "c0", f"{NODE_IP}/24", f"{CLIENT_IP}/24")
        net.spawn(NODE, ["iperf3", "-s", "-B", NODE_IP], os.path.join(tmp, "iperf3-server.log"))
        net.wait_listening(NODE, 5201)
        sh("sysctl -qw kernel.bpf_stats_enabled=1")
        for r in range(args.rounds):
            for mode in ("without", "empty_xdp", "with", "empty_tc", "with_tc"):
                agent = Agent(net, args, tmp, "tc" if mode == "with_tc" else "xdp") if mode in ("with", "with_tc") \
                    else None
                if mode == "empty_xdp":
                    sh(f"ip -n {NODE} link set dev n0 xdpdrv obj {args.empty_xdp} sec xdp")
                if mode == "empty_tc":
                    sh(f"ip netns exec {NODE} tc qdisc replace dev n0 clsact")
                    for hook in ("ingress", "egress"):
                        sh(f"ip netns exec {NODE} tc filter add dev n0 {hook} bpf da obj {args.empty_xdp} sec tc")
                try:
                    before = {k: prog_stats(v) for k, v in agent.progs.items()} if agent else {}
                    tcp = iperf(net, "", args.seconds)["sum_received"]["bits_per_second"]
                    udp_end = iperf(net, "-u -l 64 -b 0", args.seconds)["sum"]
                    udp_pps = (udp_end["packets"] - udp_end["lost_packets"]) / udp_end["seconds"]
                    results[mode]["tcp"].append(tcp)
                    results[mode]["udp"].append(udp_pps)
                    if agent:
                        for hook, (t0, c0) in before.items():
                            t1, c1 = prog_stats(agent.progs[hook])
                            results[mode][f"{hook}_ns"].append((t1 - t0) / max(1, c1 - c0))
                finally:
                    if agent:
                        agent.stop()
                    if mode == "empty_xdp":
                        sh(f"ip -n {NODE} link set dev n0 xdpdrv off")
                    if mode == "empty_tc":
                        sh(f"ip netns exec {NODE} tc qdisc del dev n0 clsact")
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        sh(f"sysctl -qw kernel.bpf_stats_enabled={stats_before}", check=False)
        net.close()  # the server and any agent first
        sh(f"rm -rf /sys/fs/bpf/{TAG}", check=False)
        shutil.rmtree(tmp, ignore_errors=True)

    med = {m: {k: statistics.median(v) for k, v in d.items() if v} for m, d in results.items()}
    print(f"\nveth pair in namespaces, {args.rounds} alternating rounds of {args.seconds} s, medians\n")
    rows = (("nothing attached", "without", None, None),
            ("empty XDP program", "empty_xdp", None, None),
            ("sensor, XDP ingress", "with", "xdp_ns", "tc_ns"),
            ("empty TC programs", "empty_tc", None, None),
            ("sensor, TC ingress", "with_tc", "tc_in_ns", "tc_ns"))
    base = med["without"]
    print(f"{'':<22} {'TCP Gbit/s':>10} {'vs nothing':>10} {'UDP kpps':>9} {'vs nothing':>10}"
          f" {'ingress ns':>10} {'egress ns':>9}")
    for label, mode, ing, eg in rows:
        m = med[mode]
        print(f"{label:<22} {m['tcp'] / 1e9:>10.2f} {100 * (m['tcp'] - base['tcp']) / base['tcp']:>+9.1f}%"
              f" {m['udp'] / 1e3:>9.1f} {100 * (m['udp'] - base['udp']) / base['udp']:>+9.1f}%"
              f" {m[ing] if ing else float('nan'):>10.0f} {m[eg] if eg else float('nan'):>9.0f}")
    for ours, peer, what in (("with", "empty_xdp", "XDP ingress vs an empty XDP program"),
                             ("with_tc", "empty_tc", "TC ingress vs empty TC programs")):
        a, b = med[ours], med[peer]
        print(f"sensor, {what}: TCP {100 * (a['tcp'] - b['tcp']) / b['tcp']:+.1f}%, "
              f"UDP {100 * (a['udp'] - b['udp']) / b['udp']:+.1f}%")
    print("\ngoal: under 5 % throughput loss")
    return 0


if __name__ == "__main__":
    sys.exit(main())
