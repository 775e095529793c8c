#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Rules the real agent must not lose (issue 13): across a restart the
operator's allows come back and blocks keep their source and reason; a line
removed from a list file while no agent runs is gone after start (from BPF
too); a list directory that disappears keeps its rules and status says it is
stale, and coming back reconciles; pins removed under a running agent are
pinned again (and a restart still has its rules); a block map that is full
refuses rules, counts them and the agent keeps running.

Needs root; the namespaces, veth pair and helpers are agent_ops_test's
(10.201.0.0/24, deleted on exit with every process started). Every wait is
bounded; nothing is asserted by sleeping."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_ops_test import ConfigMapDir, Ops  # noqa: E402
from e2e_check import FAILURES, check, log_if_failed, preflight, run, verdict, wait_for  # noqa: E402


class Rules(Ops):
    def rules_config(self, blocklist_dir, extra=""):
        path = f"{self.tmp}/agent-rules.yaml"
        with open(path, "w") as f:
            f.write(f"""http:
  listen: 127.0.0.1:9405
shutdown: fail-safe
pin_root: {self.pin_root}
state_dir: {self.tmp}/state
socket: {self.socket}
events: {self.tmp}/events.jsonl
agent:
  tick_ms: 200
  sweep_every_s: 1
actions:
  blocklist_files: [{blocklist_dir}]
{extra}""")
        return path

    def status(self):
        return json.loads(run([self.args.cli, "--socket", self.socket, "status", "--json"]).stdout)

    def stale(self):
        return self.status().get("lists", {}).get("stale", [])

    def notes(self):
        return self.status().get("notes", [])

    def allows(self):
        return {r["target"]: r for r in self.cli("allow", "list")}

    def ready(self):
        return wait_for(lambda: self.http("/readyz")[0] == 200, 20)

    def pins_present(self):
        return all(os.path.exists(f"{self.pin_root}/n0/{name}")
                   for name in ("minewatch_block_cidr", "minewatch_block_endpoint", "minewatch_flows"))

    def pinned_v4(self):
        """IPv4 addresses of the CIDR rules in the pinned trie (key: u32
        prefix length, then the v4-mapped address)."""
        dumped = run(f"bpftool -j map dump pinned {self.pin_root}/n0/minewatch_block_cidr", check=False)
        if dumped.returncode != 0:
            return None
        return {".".join(str(int(b, 16)) for b in entry["key"][-4:]) for entry in json.loads(dumped.stdout)}

    def events(self, kind):
        path = f"{self.tmp}/events.jsonl"
        if not os.path.exists(path):
            return []
        return [e for e in map(json.loads, open(path).read().splitlines()) if e.get("event") == kind]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    if preflight("agent_rules_e2e_test", ("curl", "bpftool", "nsenter")):
        return 1

    ops = Rules(args)
    try:
        ops.up()
        lists = ConfigMapDir(f"{ops.tmp}/blocklist")
        lists.publish({"pools": "192.0.2.1/32  # first\n192.0.2.2/32  # second"})
        config = ops.rules_config(lists.path)

        # -- a restart keeps the operator's allows and the blocks' story -----
        ops.agent = ops.start(config)
        check("the agent starts", ops.ready())
        ops.cli("allow", "add", "198.18.0.0/15")
        ops.cli("block", "add", "203.0.113.9:4444")
        check("three blocks before the restart", len(ops.blocks()) == 3, str(ops.blocks()))
        check("fail-safe stop exits 0", ops.stop(ops.agent) == 0)
        lists.publish({"pools": "192.0.2.1/32  # first"})  # edited while no agent runs
        ops.agent = ops.start(config)
        check("the agent starts again", ops.ready())
        allows = ops.allows()
        check("the manual allow is back", allows.get("198.18.0.0/15", {}).get("source") == "manual", str(allows))
        blocks = ops.blocks()
        manual = blocks.get("203.0.113.9:4444/tcp", {})
        check("the manual block keeps its source", manual.get("source") == "manual", str(manual))
        check("... and its reason", manual.get("reason") == "added by an operator", str(manual))
        check("the file block keeps its source", blocks.get("192.0.2.1/32", {}).get("source") == "file", str(blocks))
        check("a line removed while down is gone", "192.0.2.2/32" not in blocks, str(blocks))
        check("... from the pinned maps too", ops.pinned_v4() == {"192.0.2.1"}, str(ops.pinned_v4()))

        # -- a list directory that disappears keeps its rules ----------------
        shutil.rmtree(lists.path)
        stale = wait_for(ops.stale, 10)
        check("a removed list dir is reported stale", bool(stale) and stale[0]["path"] == lists.path, str(stale))
        check("... with the rules it keeps", bool(stale) and stale[0]["rules_kept"] == 1, str(stale))
        check("... its block stays in force", "192.0.2.1/32" in ops.blocks(), str(ops.blocks()))
        check("... and in BPF", ops.pinned_v4() == {"192.0.2.1"}, str(ops.pinned_v4()))
        check("... minewatch_list_source_stale says so",
              wait_for(lambda: ops.metric("minewatch_list_source_stale", f'{{path="{lists.path}"}}') == 1, 5))
        check("... and an event names it", wait_for(lambda: ops.events("list_source_stale"), 5))
        lists = ConfigMapDir(lists.path)
        lists.publish({"pools": "192.0.2.3/32"})
        ops.agent.send_signal(signal.SIGHUP)  # its watch went with it; the 30 s recheck would do the same
        check("back, the dir is read again", wait_for(lambda: "192.0.2.3/32" in ops.blocks(), 10))
        check("... and reconciled: what it no longer lists is lifted", "192.0.2.1/32" not in ops.blocks())
        check("... and it is no longer stale", ops.stale() == [])

        # -- pins removed under the running agent ----------------------------
        run(f"rm -r {ops.pin_root}/n0")
        check("removed pins are pinned again at the next sweep", wait_for(ops.pins_present, 10))
        if not ops.pins_present():  # the rest needs the maps: the next agent must not start from nothing
            run(f"rm -rf {ops.pin_root}")
        check("... with a warning event", wait_for(lambda: ops.events("pins_restored"), 5))
        check("... a note in status", any("pinned again" in n for n in ops.notes()), str(ops.notes()))
        check("... and counted", (ops.metric("minewatch_pins_restored_total") or 0) >= 1)
        check("... the same rules are pinned", ops.pinned_v4() == {"192.0.2.3"} and ops.pinned_rules() == 2,
              str(ops.pinned_v4()))
        check("fail-safe stop exits 0", ops.stop(ops.agent) == 0)
        ops.agent = ops.start(config)
        check("after a restart", ops.ready())
        blocks = ops.blocks()
        check("... the rules are still there", set(blocks) == {"192.0.2.3/32", "203.0.113.9:4444/tcp"}, str(blocks))
        check("... with their story", blocks.get("203.0.113.9:4444/tcp", {}).get("source") == "manual", str(blocks))
        check("... and the allow", "198.18.0.0/15" in ops.allows())
        check("fail-safe stop exits 0", ops.stop(ops.agent) == 0)

        # -- a full block map refuses, counts and goes on --------------------
        run(f"rm -rf {ops.pin_root}")
        lists.publish({"many": "\n".join(f"192.0.2.{i}/32" for i in range(10, 15))})
        ops.agent = ops.start(ops.rules_config(lists.path, "datapath:\n  max_block_rules: 2\n"))
        check("with max_block_rules: 2 and five file rules the agent starts", ops.ready())
        check("... and keeps running", ops.agent.poll() is None)
        refused = ops.status()["maps"]["block_rules"]
        check("status counts the refused rules", refused.get("refused") == 3, str(refused))
        check("... and says the map is full", any("block map is full" in n for n in ops.notes()))
        check("minewatch_block_rules_refused_total counts them",
              ops.metric("minewatch_block_rules_refused_total", '{source="file"}') == 3)
        r = run([args.cli, "--socket", ops.socket, "block", "add", "203.0.113.0/24"], check=False)
        check("block add on a full map fails", r.returncode != 0)
        check("... with a one-line error saying so", "block map is full" in r.stderr and
              len(r.stderr.strip().splitlines()) == 1, r.stderr)
        check("... and an event", wait_for(lambda: [e for e in ops.events("block_refused")
                                                             if e.get("source") == "manual"], 5))
        check("the agent is still running", ops.agent.poll() is None and ops.http("/healthz")[0] == 200)
        check("fail-safe stop exits 0", ops.stop(ops.agent) == 0)
    finally:
        agent_log = log_if_failed(f"{ops.tmp}/agent.log")
        ops.down()
    return verdict(agent_log)


if __name__ == "__main__":
    sys.exit(main())
