#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The agent as a fleet runs it: metrics and health over HTTP (checked by
promtool), rule files reloaded when a ConfigMap-style volume swaps its
..data link (the block reaching BPF: pings stop, then pass again), a
fleet-patch value that the agent reads back, SIGHUP, a port already taken,
each shutdown mode's effect on the kernel, the interface lost under a
running agent (deleted, moved to another namespace, renamed) and back, and a
miner's login on the wire reaching the fleet gauge
(minewatch_suspect_server_clients) on a page promtool accepts.

Needs root: it makes two network namespaces joined by a veth pair (10.201.0.0/24,
inside them only) and deletes them, and every process it started, on exit.
Every wait is bounded; nothing is asserted by sleeping."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
# FAILURES: for importers.
from e2e_check import FAILURES, check, log_if_failed, preflight, run, verdict, wait_for  # noqa: E402,F401
from netns_harness import Netns, unique_tag  # noqa: E402

TAG = unique_tag("mwops")
NODE, PEER = f"{TAG}n", f"{TAG}p"
NODE_IP, PEER_IP = "10.201.0.1", "10.201.0.2"
PORT = 9405




class Ops:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="mwops-")
        self.pin_root = f"/sys/fs/bpf/{TAG}"
        self.socket = f"{self.tmp}/sock"
        self.agent = None
        self.net = Netns()

    # -- the network ---------------------------------------------------------
    def up(self):
        for ns in (NODE, PEER):
            self.net.add(ns)
        self.link_up()
        # A second interface on the node, for the agent that must not start.
        self.net.veth(NODE, "n1", NODE, "n2")

    def link_up(self):
        """The node's uplink n0 and the peer's end p0, addressed and up."""
        self.net.veth(NODE, "n0", PEER, "p0", f"{NODE_IP}/24", f"{PEER_IP}/24")

    def down(self):
        self.net.close()  # the agents and every other process first
        run(f"rm -rf {self.pin_root}", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ping_passes(self):
        return self.net.run(PEER, ["ping", "-c1", "-W0.3", NODE_IP], check=False).returncode == 0

    # -- the agent -----------------------------------------------------------
    def config(self, shutdown, blocklist_dir):
        path = f"{self.tmp}/agent-{shutdown}.yaml"
        with open(path, "w") as f:
            f.write(f"""http:
  listen: 127.0.0.1:{PORT}
shutdown: {shutdown}
pin_root: {self.pin_root}
state_dir: {self.tmp}/state
socket: {self.socket}
events: {self.tmp}/events.jsonl
agent:
  tick_ms: 200
actions:
  blocklist_files: [{blocklist_dir}]
""")
        return path

    def start(self, config, iface="n0", extra=()):
        # The network namespace only: pins land in the host's bpffs.
        return self.net.spawn(NODE, [self.args.agent, "--iface", iface, "--config", config, *extra],
                              f"{self.tmp}/agent.log", net_only=True)

    def http(self, path):
        """(status, body) of GET path on the agent, from inside its netns."""
        r = self.net.run(NODE, ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", f"http://127.0.0.1:{PORT}{path}"],
                         check=False)
        body, _, code = r.stdout.rpartition("\n")
        return (int(code) if code.isdigit() else 0), body

    def cli(self, *args):
        return json.loads(run([self.args.cli, "--socket", self.socket, *args, "--json"]).stdout)

    def blocks(self):
        return {r["target"]: r for r in self.cli("block", "list")}

    def metric(self, name, labels=""):
        _, body = self.http("/metrics")
        m = re.search(rf"^{re.escape(name + labels)} (\S+)$", body, re.M)
        return float(m.group(1)) if m else None

    def stop(self, proc, sig=signal.SIGTERM):
        return self.net.stop(proc, sig, grace=15)

    def xdp_attached(self):
        return "prog/xdp" in run(f"ip -n {NODE} -d link show n0").stdout

    def xdp_prog_id(self, dev="n0"):
        """The id of the XDP program on dev (native or generic), 0 if none."""
        link = json.loads(run(f"ip -n {NODE} -j -d link show {dev}").stdout)[0]
        return link.get("xdp", {}).get("prog", {}).get("id", 0)

    def tc_prog_ids(self, direction, dev="n0"):
        """Ids of the BPF programs in dev's clsact filters on one hook."""
        shown = self.net.run(NODE, ["tc", "-j", "filter", "show", "dev", dev, direction], check=False).stdout
        return {f["options"]["prog"]["id"] for f in json.loads(shown or "[]")
                if "prog" in f.get("options", {})}

    def events(self):
        path = f"{self.tmp}/events.jsonl"
        return [json.loads(line) for line in open(path)] if os.path.exists(path) else []

    def pinned_rules(self):
        """Block rules in the pinned maps (CIDR and endpoint), None if unpinned."""
        total = 0
        for name in ("minewatch_block_cidr", "minewatch_block_endpoint"):
            dumped = run(f"bpftool -j map dump pinned {self.pin_root}/n0/{name}", check=False)
            if dumped.returncode != 0:
                return None
            total += len(json.loads(dumped.stdout))
        return total


class ConfigMapDir:
    """A directory laid out as the kubelet lays out a ConfigMap volume: one
    link per key into ..data, ..data a link to a timestamped directory, and
    an update that writes a new directory and renames a new ..data link over
    the old one."""

    def __init__(self, path):
        self.path = path
        self.generation = 0
        os.makedirs(path)

    def publish(self, data):
        self.generation += 1
        stamp = f"..2026_11_23_00_00_{self.generation:02d}.{os.getpid()}"
        os.makedirs(os.path.join(self.path, stamp))
        for key, value in data.items():
            with open(os.path.join(self.path, stamp, key), "w") as f:
                f.write(value + "\n")
        tmp_link = os.path.join(self.path, "..data_tmp")
        os.symlink(stamp, tmp_link)
        os.rename(tmp_link, os.path.join(self.path, "..data"))
        for key in data:
            link = os.path.join(self.path, key)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", key), link)
        for name in os.listdir(self.path):
            link = os.path.join(self.path, name)
            if not name.startswith(".") and name not in data:
                os.unlink(link)


# A pool that answers a login, and a miner that logs in and stays: the
# signature detector makes the flow mining (the agent's autoblock is off).
POOL_PY = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 3333)); s.listen(1)
c, _ = s.accept(); c.recv(4096)
c.sendall(b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"1","status":"OK"}}\\n')
c.recv(4096)
"""
MINER_PY = """
import socket, sys, time
for _ in range(50):
    try:
        c = socket.create_connection((sys.argv[1], 3333), timeout=1); c.settimeout(30); break
    except OSError: time.sleep(0.1)
c.sendall(b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"x","pass":"x","agent":"XMRig/6.16.4"}}\\n')
c.recv(4096)
c.recv(4096)
"""


def fleet_gauge(ops):
    """A real detection shows in minewatch_suspect_server_clients."""
    labels = f'{{server="{PEER_IP}",port="3333",proto="tcp",sni=""}}'
    check("no suspect server before any mining", ops.metric("minewatch_suspect_server_clients", labels) is None)
    pool = ops.net.spawn(PEER, ["python3", "-c", POOL_PY, PEER_IP])
    miner = ops.net.spawn(NODE, ["python3", "-c", MINER_PY, PEER_IP])
    try:
        value = wait_for(lambda: ops.metric("minewatch_suspect_server_clients", labels), 15)
        check("a miner's login makes its pool a suspect server with 1 client", value == 1, str(value))
        _, page = ops.http("/metrics")
        promtool = run(["promtool", "check", "metrics"], check=False, input=page)
        check("... on a page promtool accepts", promtool.returncode == 0, promtool.stdout + promtool.stderr)
        check("... and none cut by the cap", ops.metric("minewatch_suspect_servers_dropped") == 0)
    finally:
        for proc in (miner, pool):
            ops.net.stop(proc, signal.SIGKILL)


def interface_comes_and_goes(ops, hook, how="delete"):
    """The uplink deleted under a running agent and created again with the
    same name (or moved to another namespace and back, or renamed and back):
    not ready (but alive and answering) while it is gone, then attached to
    the interface under that name with the pinned rules, which drop again."""
    tag = f"[{hook} ingress, {how}] "
    rules = ConfigMapDir(f"{ops.tmp}/blocklist-{hook}-{how}")
    rules.publish({"example": "198.51.100.7:3333/tcp"})
    ops.agent = ops.start(ops.config("fail-safe", rules.path), extra=["--ingress", hook])
    check(tag + "the agent is ready", wait_for(lambda: ops.http("/readyz")[0] == 200, 20))
    ops.cli("block", "add", f"{PEER_IP}/32")
    check(tag + "a block rule drops the peer", wait_for(lambda: not ops.ping_passes(), 10))
    before = ops.cli("status")["interfaces"][0]
    lost_before = ops.metric("minewatch_interface_lost_total") or 0
    count = lambda kind: sum(e.get("event") == kind for e in ops.events())
    lost_events, back_events = count("interface_lost"), count("interface_reattached")

    if how == "delete":
        run(f"ip -n {NODE} link del n0")
    elif how == "move":
        run(f"ip -n {NODE} link set n0 netns {PEER}")
    else:
        run(f"ip -n {NODE} link set n0 down")
        run(f"ip -n {NODE} link set n0 name n0x")
    check(tag + "losing the interface makes /readyz 503",
          wait_for(lambda: ops.http("/readyz")[0] == 503, 10))
    check(tag + "... saying why", "n0" in ops.http("/readyz")[1], ops.http("/readyz")[1])
    check(tag + "... while /healthz stays 200", ops.http("/healthz")[0] == 200)
    check(tag + "... and the agent keeps running", ops.agent.poll() is None)
    gone = ops.cli("status")["interfaces"][0]
    check(tag + "status says detached, and why",
          gone.get("attached") is False and "n0" in gone.get("detached_reason", ""), str(gone))
    check(tag + "minewatch_up is 0", wait_for(lambda: ops.metric("minewatch_up", f'{{interface="n0",'
                                                                           f'xdp_mode="{before["xdp_mode"]}"}}')
                                              == 0, 5))
    check(tag + "minewatch_interface_lost_total counts it",
          wait_for(lambda: ops.metric("minewatch_interface_lost_total") == lost_before + 1, 5))
    check(tag + "an interface_lost event is written", count("interface_lost") == lost_events + 1)
    check(tag + "the rule stays in the book", f"{PEER_IP}/32" in ops.blocks())
    if how == "rename":
        left = (ops.xdp_prog_id("n0x"), ops.tc_prog_ids("ingress", "n0x"), ops.tc_prog_ids("egress", "n0x"))
        check(tag + "the renamed interface has our programs taken off", left == (0, set(), set()), str(left))

    if how == "delete":
        ops.link_up()
    elif how == "move":
        # Moved back, it may keep its ifindex; it loses its addresses.
        run(f"ip -n {PEER} link set n0 netns {NODE}")
        run(f"ip -n {NODE} addr add {NODE_IP}/24 dev n0")
        run(f"ip -n {NODE} link set n0 up")
    else:
        run(f"ip -n {NODE} link set n0x name n0")
        run(f"ip -n {NODE} link set n0 up")
    check(tag + "the interface back under its name makes /readyz 200",
          wait_for(lambda: ops.http("/readyz")[0] == 200, 15))
    back = ops.cli("status")["interfaces"][0]
    new_index = back.get("ifindex", 0) != before.get("ifindex", 0) or how != "delete"
    check(tag + "status says attached, to the interface now named n0",
          back.get("attached") is True and back.get("ifindex", 0) != 0 and new_index, str(back))
    if hook == "xdp":
        check(tag + "the kernel has our XDP program on the new n0",
              back["xdp_prog_id"] != 0 and ops.xdp_prog_id() == back["xdp_prog_id"],
              f"{ops.xdp_prog_id()} vs {back['xdp_prog_id']}")
    else:
        check(tag + "the kernel has our TC ingress program on the new n0",
              back["tc_ingress_prog_id"] != 0 and back["tc_ingress_prog_id"] in ops.tc_prog_ids("ingress"),
              f"{ops.tc_prog_ids('ingress')} vs {back['tc_ingress_prog_id']}")
    check(tag + "... and our TC egress program",
          back["tc_prog_id"] != 0 and back["tc_prog_id"] in ops.tc_prog_ids("egress"),
          f"{ops.tc_prog_ids('egress')} vs {back['tc_prog_id']}")
    check(tag + "an interface_reattached event is written", count("interface_reattached") == back_events + 1)
    metric = ("minewatch_dropped_packets_total", '{hook="xdp"}' if hook == "xdp" else '{hook="tc_ingress"}')
    dropped = ops.metric(*metric) or 0
    check(tag + "the rule from before the loss drops the peer's pings again", not ops.ping_passes())
    check(tag + "... in our program on the new interface",
          wait_for(lambda: (ops.metric(*metric) or 0) > dropped, 5))
    ops.cli("block", "del", f"{PEER_IP}/32")
    check(tag + "... and only it: lifting the rule lets them through", wait_for(ops.ping_passes, 10))
    check(tag + "the agent stops cleanly", ops.stop(ops.agent) == 0)
    check(tag + "... detaching from the new interface",
          ops.xdp_prog_id() == 0 and back["tc_prog_id"] not in ops.tc_prog_ids("egress"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    if preflight("agent_ops_test", ("promtool", "curl", "bpftool", "nsenter", "ping")):
        return 1

    ops = Ops(args)
    try:
        ops.up()
        check("peer reaches the node before any rule", wait_for(ops.ping_passes, 10))
        blocklist = ConfigMapDir(f"{ops.tmp}/blocklist")
        blocklist.publish({"example": "198.51.100.7:3333/tcp  # an example pool"})
        config = ops.config("keep-attached", blocklist.path)
        ops.agent = ops.start(config)

        # -- health and metrics ---------------------------------------------
        ready = wait_for(lambda: ops.http("/readyz")[0] == 200, 20)
        check("/readyz answers 200 once attached and drained", ready)
        check("/healthz answers 200", ops.http("/healthz")[0] == 200)
        status, page = ops.http("/metrics")
        check("/metrics answers 200", status == 200, str(status))
        promtool = run(["promtool", "check", "metrics"], check=False, input=page)
        check("promtool check metrics passes", promtool.returncode == 0, promtool.stdout + promtool.stderr)
        for family in ("minewatch_up", "minewatch_detections_total", "minewatch_dropped_packets_total",
                       "minewatch_flow_map_entries", "minewatch_flow_map_capacity", "minewatch_block_rules",
                       "minewatch_drain_duration_seconds_bucket", "minewatch_ringbuf_drops_total",
                       "minewatch_reloads_total"):
            check(f"metrics has {family}", re.search(rf"^{family}[{{ ]", page, re.M) is not None)
        check("/nothing is 404", ops.http("/nothing")[0] == 404)
        fleet_gauge(ops)

        # -- a second agent on the same port refuses, before attaching -------
        second = ops.start(config, iface="n1")
        try:
            code = second.wait(timeout=15)
        except subprocess.TimeoutExpired:
            second.kill()
            code = None
        log = open(f"{ops.tmp}/agent.log").read()
        check("a second agent on a taken port exits non-zero", code not in (None, 0), str(code))
        check("... saying it cannot listen", "cannot listen on 127.0.0.1:9405" in log, log[-300:])
        check("... without touching n1", "prog/xdp" not in run(f"ip -n {NODE} -d link show n1").stdout)

        # -- rule files: a ConfigMap update reaches BPF without a restart -----
        check("the file rule is in force", "198.51.100.7:3333/tcp" in ops.blocks())
        check("... as source file", ops.blocks().get("198.51.100.7:3333/tcp", {}).get("source") == "file")
        check("the peer still pings", ops.ping_passes())
        blocklist.publish({"example": "198.51.100.7:3333/tcp", "peer": f"{PEER_IP}/32  # the peer, for the test"})
        check("a ..data swap adds the peer's block",
              wait_for(lambda: f"{PEER_IP}/32" in ops.blocks(), 10))
        check("... and the kernel drops the peer's pings", wait_for(lambda: not ops.ping_passes(), 10))
        dropped = ops.metric("minewatch_dropped_packets_total", '{hook="xdp"}')
        check("... counted in minewatch_dropped_packets_total",
              wait_for(lambda: (ops.metric("minewatch_dropped_packets_total", '{hook="xdp"}') or 0) > 0, 5),
              str(dropped))
        blocklist.publish({"example": "198.51.100.7:3333/tcp"})
        check("removing the key lifts the block", wait_for(lambda: f"{PEER_IP}/32" not in ops.blocks(), 10))
        check("... and the peer pings again", wait_for(ops.ping_passes, 10))

        # A bad line: reported and counted, the good lines stay in force.
        errors_before = ops.metric("minewatch_reloads_total", '{result="error"}') or 0
        blocklist.publish({"example": "198.51.100.7:3333/tcp", "typo": "198.51.100.300/32",
                           "other": "203.0.113.0/24"})
        check("a bad line does not stop the good ones",
              wait_for(lambda: "203.0.113.0/24" in ops.blocks(), 10))
        check("... and counts as a reload error",
              wait_for(lambda: (ops.metric("minewatch_reloads_total", '{result="error"}') or 0) > errors_before,
                       5))
        events = open(f"{ops.tmp}/events.jsonl").read()
        check("... naming the file and line", re.search(r"typo:1: ", events) is not None)

        # The fleet-patch value, written as the kubelet would, is read back.
        patch = json.loads(run([args.cli, "fleet-patch", "192.0.2.77:4444/tcp", "--json"]).stdout)
        data = {"example": "198.51.100.7:3333/tcp", **patch["patch"]["data"]}
        blocklist.publish(data)
        rule = wait_for(lambda: ops.blocks().get("192.0.2.77:4444/tcp"), 10)
        check("a fleet-patch entry becomes a block on reload", rule is not None)
        check("... with its comment as the reason", rule is not None and "added by an operator" in rule["reason"])

        # SIGHUP rereads even when nothing changed.
        ok_before = ops.metric("minewatch_reloads_total", '{result="ok"}') or 0
        ops.agent.send_signal(signal.SIGHUP)
        check("SIGHUP reloads", wait_for(lambda: (ops.metric("minewatch_reloads_total", '{result="ok"}') or 0)
                                         > ok_before, 5))
        check("... and the agent keeps running", ops.agent.poll() is None)

        # -- shutdown modes ---------------------------------------------------
        check("keep-attached: exits 0 on SIGTERM", ops.stop(ops.agent) == 0)
        check("... leaving XDP attached", ops.xdp_attached())
        check("... and the rules pinned", (ops.pinned_rules() or 0) >= 1)
        blocked_peer = ConfigMapDir(f"{ops.tmp}/blocklist2")
        blocked_peer.publish({"peer": f"{PEER_IP}/32"})
        ops.agent = ops.start(ops.config("fail-safe", blocked_peer.path))
        check("the next agent takes over", wait_for(lambda: ops.http("/readyz")[0] == 200, 20))
        check("... and enforces", wait_for(lambda: not ops.ping_passes(), 10))
        check("fail-safe: exits 0 on SIGTERM", ops.stop(ops.agent) == 0)
        check("... detached", not ops.xdp_attached())
        check("... rules still pinned", (ops.pinned_rules() or 0) >= 1)
        check("... and nothing drops the peer now", wait_for(ops.ping_passes, 10))
        ops.agent = ops.start(ops.config("fail-open", blocked_peer.path))
        check("a fail-open agent starts", wait_for(lambda: ops.http("/readyz")[0] == 200, 20))
        check("fail-open: exits 0 on SIGTERM", ops.stop(ops.agent) == 0)
        check("... detached", not ops.xdp_attached())
        check("... and no rule left pinned", ops.pinned_rules() == 0, str(ops.pinned_rules()))

        # -- the interface deleted and created again --------------------------
        for hook, how in (("xdp", "delete"), ("tc", "delete"), ("xdp", "move"), ("tc", "rename")):
            interface_comes_and_goes(ops, hook, how)
    finally:
        agent_log = log_if_failed(f"{ops.tmp}/agent.log")
        ops.down()
    return verdict(agent_log)


if __name__ == "__main__":
    sys.exit(main())
