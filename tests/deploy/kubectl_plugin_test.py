#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""cli/kubectl-minewatch against a stub `kubectl` first on PATH: the stub
answers `get pods` with canned pods (honouring the field selector) and each
`exec` with the minewatch CLI's own JSON fixtures (tests/cli/fixtures), and
logs every command line it was given. Checked: the merged table with the node
first, --json, --node, a selector and context passed through, flows options
passed on, a failing, a hanging and a pending pod (named on stderr, exit 1,
the others still shown), no pods at all; and that the real kubectl takes the
file for a plugin. No root, no cluster; every wait is bounded."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "../cli/fixtures"))
FAILURES = []

STUB = r'''#!/usr/bin/env python3
# A stand-in for kubectl: canned answers from $STUB_SCENARIO, argv logged.
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
scenario = json.load(open(os.environ["STUB_SCENARIO"]))
if "get" in args:
    pods = scenario["pods"]
    if "--field-selector" in args:
        node = args[args.index("--field-selector") + 1].split("=", 1)[1]
        pods = [p for p in pods if p["spec"]["nodeName"] == node]
    print(json.dumps({"kind": "PodList", "items": pods}))
    sys.exit(0)
pod = args[args.index("exec") + 1]
command = args[args.index("--") + 2]
answer = scenario["exec"][pod]
time.sleep(answer.get("hang", 0))
sys.stderr.write(answer.get("stderr", ""))
sys.stdout.write(answer.get("answers", {}).get(command, ""))
sys.exit(answer.get("rc", 0))
'''


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}", flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return f.read()


def pod(name, node, phase="Running"):
    return {"metadata": {"name": name, "labels": {"app.kubernetes.io/name": "minewatch"}},
            "spec": {"nodeName": node}, "status": {"phase": phase}}


class Plugin:
    def __init__(self, plugin, tmp):
        self.plugin, self.tmp = plugin, tmp
        self.bin = os.path.join(tmp, "bin")
        os.makedirs(self.bin)
        stub = os.path.join(self.bin, "kubectl")
        with open(stub, "w") as f:
            f.write(STUB)
        os.chmod(stub, 0o755)
        self.log = os.path.join(tmp, "argv.jsonl")

    def run(self, scenario, *args, timeout=60):
        """(exit status, stdout, stderr, [argv the stub got]) of one call."""
        path = os.path.join(self.tmp, "scenario.json")
        with open(path, "w") as f:
            json.dump(scenario, f)
        open(self.log, "w").close()
        env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"], STUB_SCENARIO=path,
                   STUB_LOG=self.log)
        r = subprocess.run([self.plugin, *args], capture_output=True, text=True, env=env, timeout=timeout)
        with open(self.log) as f:
            calls = [json.loads(line) for line in f]
        return r.returncode, r.stdout, r.stderr, calls


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plugin", required=True, help="cli/kubectl-minewatch")
    args = parser.parse_args()

    detections_a = fixture("detections")
    detections_b = json.dumps(json.loads(detections_a)[:1])  # node-b: the miner only
    answers = {"detections": None, "flows": fixture("flows"), "status": fixture("status")}
    healthy = {"pods": [pod("minewatch-b7x2k", "node-b"), pod("minewatch-a9f4q", "node-a")],
               "exec": {"minewatch-a9f4q": {"answers": {**answers, "detections": detections_a}},
                        "minewatch-b7x2k": {"answers": {**answers, "detections": detections_b}}}}

    with tempfile.TemporaryDirectory(prefix="mw-plugin-") as tmp:
        p = Plugin(args.plugin, tmp)

        # -- every node, one table ------------------------------------------
        code, out, err, calls = p.run(healthy, "detections")
        lines = out.splitlines()
        check("detections: exit 0 when every pod answers", code == 0, err)
        check("... the pods listed by the agents' label, in their namespace, as JSON",
              calls and calls[0] == ["-n", "minewatch", "get", "pods", "-l", "app.kubernetes.io/name=minewatch",
                                     "-o", "json"], str(calls[:1]))
        execs = sorted(c for c in calls if "exec" in c)
        check("... each pod asked once for the CLI's JSON, in the agent container",
              execs == [["-n", "minewatch", "exec", f"minewatch-{p_}", "-c", "agent", "--", "minewatch",
                         "detections", "--json"] for p_ in ("a9f4q", "b7x2k")], str(execs))
        check("... a table with NODE as its first column, then the CLI's",
              lines and lines[0].split() == ["NODE", "ID", "VERDICT", "CONF", "FLOW", "ACTION", "DETECTED", "WHY"],
              lines[0] if lines else out)
        check("... one row per detection, node by node",
              [line.split()[:3] for line in lines[1:]] == [["node-a", "3409370e37c6", "mining"],
                                                           ["node-a", "45887a9ca8fa", "suspicious"],
                                                           ["node-b", "3409370e37c6", "mining"]], out)
        check("... the flow and reasons as `minewatch detections` prints them",
              "tcp 10.77.0.1:49307 -> 10.77.0.2:3333" in out and "agent XMRig/6.16.4 (+1 more)" in out, out)

        code, out, err, _ = p.run(healthy, "detections", "--json")
        rows = json.loads(out) if code == 0 else []
        fixture_rows = json.loads(detections_a)
        check("--json: one list, every agent's rows with node and pod added",
              [(r["node"], r["pod"], r["id"]) for r in rows] ==
              [("node-a", "minewatch-a9f4q", "3409370e37c6"), ("node-a", "minewatch-a9f4q", "45887a9ca8fa"),
               ("node-b", "minewatch-b7x2k", "3409370e37c6")], out)
        check("... the agent's fields untouched",
              rows[:2] and all({k: v for k, v in r.items() if k not in ("node", "pod")} == f
                               for r, f in zip(rows[:2], fixture_rows)), out)

        # -- selection -------------------------------------------------------
        code, out, err, calls = p.run(healthy, "detections", "--node", "node-b")
        check("--node: the node's pod picked by the API server (field selector)",
              calls and calls[0][-2:] == ["--field-selector", "spec.nodeName=node-b"], str(calls[:1]))
        check("... only that pod asked, only its rows shown",
              [c[3] for c in calls if "exec" in c] == ["minewatch-b7x2k"] and
              [line.split()[0] for line in out.splitlines()[1:]] == ["node-b"], out)
        code, out, err, calls = p.run(healthy, "status", "-l", "tier=edge", "--context", "prod", "-n", "mw")
        check("-l, --context, -n: passed to kubectl, the selector added to the agents' label",
              calls and calls[0] == ["--context", "prod", "-n", "mw", "get", "pods", "-l",
                                     "app.kubernetes.io/name=minewatch,tier=edge", "-o", "json"], str(calls[:1]))
        check("... and to each exec", all(c[:4] == ["--context", "prod", "-n", "mw"] for c in calls), str(calls))
        status_lines = out.splitlines()
        check("status: one row per node, with its interface and ingress",
              code == 0 and [line.split()[:5] for line in status_lines[1:]] ==
              [["node-a", "minewatch-a9f4q", "eth0", "xdp", "native"], ["node-b", "minewatch-b7x2k", "eth0", "xdp",
                                                                        "native"]], out + err)
        code, out, err, calls = p.run(healthy, "flows", "--top", "5", "--sort", "age")
        check("flows: --top and --sort passed on to each agent",
              all(c[c.index("--") + 1:] == ["minewatch", "flows", "--json", "--top", "5", "--sort", "age"]
                  for c in calls if "exec" in c) and code == 0, str(calls))
        check("... rows in the CLI's flow columns, NODE first",
              out.splitlines()[0].split() == ["NODE", "ID", "FLOW", "NAME", "UP", "DOWN", "PKTS", "AGE", "VERDICT"]
              and "[2001:db8::10]:51000 -> [2001:db8:1::443]:443" in out, out)
        code, out, err, _ = p.run(healthy, "status", "--top", "5")
        check("--top with status is a usage error", code == 2 and "--top" in err, err)

        # -- pods that do not answer ----------------------------------------
        broken = json.loads(json.dumps(healthy))
        broken["pods"] += [pod("minewatch-c1d2e", "node-c"), pod("minewatch-d3e4f", "node-d"),
                           pod("minewatch-e5f6g", "node-e", phase="Pending")]
        broken["exec"]["minewatch-c1d2e"] = {"rc": 1, "stderr": "error: unable to upgrade connection: "
                                                                "container not found (\"agent\")\n"}
        broken["exec"]["minewatch-d3e4f"] = {"hang": 30}
        started = time.monotonic()
        code, out, err, calls = p.run(broken, "detections", "--timeout", "2")
        took = time.monotonic() - started
        check("failing pods: exit 1", code == 1, f"{code}: {err}")
        check("... the answering nodes still shown",
              sorted({line.split()[0] for line in out.splitlines()[1:]}) == ["node-a", "node-b"], out)
        check("... the failing pod named with its node and kubectl's reason",
              'kubectl-minewatch: node node-c (pod minewatch-c1d2e): error: unable to upgrade connection: '
              'container not found ("agent")' in err, err)
        check("... the hanging one given up on after --timeout",
              "node node-d (pod minewatch-d3e4f): no answer within 2 s" in err and took < 20, f"{took:.1f}s: {err}")
        check("... the pending one named and never exec'd",
              "node node-e (pod minewatch-e5f6g): pod is Pending, not asked" in err and
              not any("minewatch-e5f6g" in c for c in calls), err)
        code, out, err, _ = p.run(broken, "detections", "--json", "--timeout", "2")
        check("... with --json too: the answers on stdout, the failures on stderr",
              code == 1 and len(json.loads(out)) == 3 and err.count("kubectl-minewatch: node") == 3, err)
        code, out, err, _ = p.run({"pods": [], "exec": {}}, "detections")
        check("no agent pods: exit 1, saying where it looked",
              code == 1 and "no minewatch pods in namespace minewatch" in err, err)

    # -- kubectl's plugin convention, with the real kubectl -------------------
    real = shutil.which("kubectl")
    if check("kubectl is installed (scripts/install-deps.sh)", real is not None):
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(args.plugin)) + os.pathsep + os.environ["PATH"])
        listed = subprocess.run([real, "plugin", "list"], capture_output=True, text=True, env=env, timeout=30)
        check("kubectl plugin list finds kubectl-minewatch",
              os.path.abspath(args.plugin) in listed.stdout, listed.stdout + listed.stderr)
        helped = subprocess.run([real, "minewatch", "--help"], capture_output=True, text=True, env=env, timeout=30)
        check("kubectl minewatch --help runs the plugin", helped.returncode == 0 and "detections" in helped.stdout,
              helped.stdout + helped.stderr)

    print(f"\n{'PASS' if not FAILURES else 'FAIL: ' + '; '.join(FAILURES)}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
