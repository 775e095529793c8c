#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The confirmer in a running agent: a suspected server that accepts and
never answers is refuted while the agent keeps ticking; a second flow to it
makes no second probe; the project's test pool is confirmed, its flows turn
mining and auto-block drops them; the agent's own probe connections are
never judged; after a restart the results stand (a new flow to the pool is
mining at once, with no new probe).

Needs root: two network namespaces joined by a veth pair (10.202.0.0/24,
inside them only), deleted with every process it started on exit. The
agent probes only the peer's address (confirm.allow_private for the test's
own private range). Every wait is bounded; nothing is asserted by sleeping."""

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from e2e_check import check, log_if_failed, preflight, run, verdict, wait_for  # noqa: E402
from netns_harness import Netns, unique_tag  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, "..", "lab")
TAG = unique_tag("mwcf")
NODE, PEER = f"{TAG}n", f"{TAG}p"
NODE_IP, PEER_IP = "10.202.0.1", "10.202.0.2"
HTTP_PORT = 9406
SILENT_PORT, POOL_PORT = 3333, 3334  # both common pool ports: intel's weak evidence starts a probe

# Accepts every connection, reads what comes, never says a word.
SILENT_PY = """
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
def hold(c):
    while c.recv(4096):
        pass
while True:
    c, _ = s.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
"""
# A client that is no miner: a line every half second, whatever comes back.
CLIENT_PY = """
import socket, sys, time
for _ in range(100):
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1); break
    except OSError:
        time.sleep(0.1)
c.settimeout(0.5)
while True:
    try:
        c.sendall(b'{"id":7,"jsonrpc":"2.0","method":"status.ping","params":[]}\\n')
        c.recv(4096)
    except socket.timeout:
        pass
    except OSError:
        time.sleep(0.5)
    time.sleep(0.5)
"""


class Lab:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="mwcf-")
        self.pin_root = f"/sys/fs/bpf/{TAG}"
        self.socket = f"{self.tmp}/sock"
        self.net = Netns()
        self.agent = None

    def up(self):
        for ns in (NODE, PEER):
            self.net.add(ns)
        self.net.veth(NODE, "n0", PEER, "p0", f"{NODE_IP}/24", f"{PEER_IP}/24")

    def down(self):
        self.net.close()
        run(f"rm -rf {self.pin_root}", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def config(self):
        path = f"{self.tmp}/agent.yaml"
        with open(path, "w") as f:
            f.write(f"""http:
  listen: 127.0.0.1:{HTTP_PORT}
pin_root: {self.pin_root}
state_dir: {self.tmp}/state
socket: {self.socket}
events: {self.tmp}/events.jsonl
agent:
  tick_ms: 200
actions:
  autoblock: on
confirm:
  when: evidence
  allow_private: true
  min_interval_s: 0
  timeout_ms: 1000
""")
        return path

    def start_agent(self):
        self.agent = self.net.spawn(NODE, [self.args.agent, "--iface", "n0", "--config", self.config()],
                                    f"{self.tmp}/agent.log", net_only=True)
        return wait_for(lambda: self.http("/readyz")[0] == 200, 20)

    def stop_agent(self):
        return self.net.stop(self.agent, signal.SIGTERM, grace=15)

    def http(self, path):
        r = self.net.run(NODE, ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", f"http://127.0.0.1:{HTTP_PORT}{path}"],
                         check=False)
        body, _, code = r.stdout.rpartition("\n")
        return (int(code) if code.isdigit() else 0), body

    def metric(self, name, labels=""):
        m = re.search(rf"^{re.escape(name + labels)} (\S+)$", self.http("/metrics")[1], re.M)
        return float(m.group(1)) if m else None

    def cli(self, *args):
        return json.loads(run([self.args.cli, "--socket", self.socket, *args, "--json"]).stdout)

    def ticks(self):
        return self.cli("status")["agent"]["ticks"]

    def events(self, kind):
        path = f"{self.tmp}/events.jsonl"
        out = []
        for line in open(path) if os.path.exists(path) else []:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == kind:
                out.append(event)
        return out

    def probes(self, port):
        return [e for e in self.events("confirm") if e["server"] == f"{PEER_IP}:{port}"]

    def client(self, port):
        return self.net.spawn(NODE, ["python3", "-c", CLIENT_PY, PEER_IP, str(port)])

    def flows_to(self, port):
        return [f for f in self.cli("flows") if f["flow"]["dst"] == PEER_IP and f["flow"]["dport"] == port]

    def explained(self, flow_id):
        return self.cli("explain", flow_id)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    if preflight("confirm_agent_test", ("curl", "nsenter")):
        return 1
    lab = Lab(args)
    try:
        lab.up()
        lab.net.spawn(PEER, ["python3", "-c", SILENT_PY, PEER_IP, str(SILENT_PORT)])
        lab.net.spawn(PEER, ["python3", f"{LAB}/stratum_pool.py", "--listen", PEER_IP, "--port", str(POOL_PORT)],
                      f"{lab.tmp}/pool.log")
        lab.net.wait_listening(PEER, SILENT_PORT)
        lab.net.wait_listening(PEER, POOL_PORT)
        check("the agent attaches and drains", lab.start_agent())

        # -- a server that never answers: refuted; the loop never waits -------
        lab.client(SILENT_PORT)
        pending = wait_for(lambda: (lab.metric("minewatch_confirm_pending") or 0) >= 1, 20)
        check("a probe of the silent server is pending", pending)
        before = lab.ticks()
        # Three ticks (0.6 s at tick_ms 200) inside a probe that waits ~4 s.
        advanced = wait_for(lambda: lab.ticks() >= before + 3 and (lab.metric("minewatch_confirm_pending") or 0) >= 1,
                            5)
        check("the agent keeps ticking while the probe waits on silence", advanced, f"ticks {before} -> {lab.ticks()}")
        silent = wait_for(lambda: lab.probes(SILENT_PORT), 30)
        check("the silent server is probed and refuted",
              len(silent) == 1 and silent[0]["result"] == "refuted", silent)
        check("... each connection of the probe read nothing",
              silent and silent[0].get("answer_head", "") == "", silent)

        # -- a second suspicious flow to it: the cached result, no new probe --
        lab.client(SILENT_PORT)

        def second_flow_judged():
            for f in lab.flows_to(SILENT_PORT):
                e = lab.explained(f["id"])
                if any(x["detector"] == "confirmation" for x in e["evidence"]) and len(lab.flows_to(SILENT_PORT)) >= 2:
                    return e
            return None
        shown = wait_for(second_flow_judged, 20)
        check("a flow to the refuted server carries the refutation", shown,
              [lab.explained(f["id"])["evidence"] for f in lab.flows_to(SILENT_PORT)])
        check("... and explain shows the exchange", shown and shown.get("confirmation", {}).get("result") == "refuted")
        check("no second probe of the same endpoint", len(lab.probes(SILENT_PORT)) == 1, lab.probes(SILENT_PORT))

        # -- the test pool: confirmed, mining, blocked ------------------------
        lab.client(POOL_PORT)
        confirmed = wait_for(lambda: lab.probes(POOL_PORT), 30)
        check("the test pool is probed and confirmed",
              len(confirmed) == 1 and confirmed[0]["result"] == "confirmed", confirmed)
        check("... by its Monero login", confirmed and confirmed[0]["dialect"] == "monero-login", confirmed)

        def pool_mining():
            return [d for d in lab.cli("detections") if d["flow"]["dport"] == POOL_PORT and d["verdict"] == "mining"]
        mining = wait_for(pool_mining, 20)
        check("the client's flow to the pool turns mining", mining)
        check("... for the confirmation",
              mining and any(r.startswith("confirmed a pool") for r in mining[0]["reasons"]), mining)
        target = f"{PEER_IP}:{POOL_PORT}/tcp"
        blocked = wait_for(lambda: target in {r["target"] for r in lab.cli("block", "list")}, 10)
        check("auto-block blocks the confirmed pool", blocked)
        check("minewatch_confirm_total counts it",
              (lab.metric("minewatch_confirm_total", '{result="confirmed"}') or 0) >= 1)
        probes = lab.cli("status").get("confirm", {}).get("probes", {})
        check("status counts the probes", probes.get("confirmed") == 1 and probes.get("refuted") == 1, probes)

        own = {c for e in lab.events("confirm") for c in e.get("connections", [])}
        check("the probes' connections are named", len(own) >= 2, own)
        judged_own = [d for d in lab.cli("detections")
                      if f"{d['flow']['src']}:{d['flow']['sport']}" in own
                      or f"{d['flow']['dst']}:{d['flow']['dport']}" in own]
        check("no probe connection of the agent's own is judged", not judged_own, judged_own)

        # -- a restart: the results stand -------------------------------------
        check("the agent stops cleanly", lab.stop_agent() == 0)
        check("the agent starts again", lab.start_agent())
        listed = {c["server"]: c["result"] for c in lab.cli("confirmations")}
        check("the confirmations survive the restart",
              listed.get(f"{PEER_IP}:{POOL_PORT}") == "confirmed" and listed.get(f"{PEER_IP}:{SILENT_PORT}") == "refuted",
              listed)
        lab.client(POOL_PORT)
        again = wait_for(lambda: len(pool_mining()) >= 1, 20)
        check("a new flow to the pool is mining at once", again)
        check("... with no new probe", len(lab.probes(POOL_PORT)) == 1, lab.probes(POOL_PORT))
    finally:
        log = log_if_failed(f"{lab.tmp}/agent.log")
        lab.down()
    return verdict(log)


if __name__ == "__main__":
    sys.exit(main())
