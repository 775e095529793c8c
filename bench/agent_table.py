#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The README's agent table: bench_agent over its sizes, in rounds, medians.

One bench_agent run moves by ±30 % on a shared machine (the bare walk of a
million flows took 152-327 ms in one session), so this runs every
configuration in turn, round after round (drift hits all alike), and prints
medians with the range. With --baseline, another build's bench_agent (say,
main before a change) runs beside it in every round, and the table gains
the ratio new/baseline of the share of a core and of memory: a before/after from one
session, as bench/ records them. A record to rerun, not a test.

    sudo bench/agent_table.py [--rounds 3] [--baseline OTHER/bench_agent] [--quick]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = os.path.join(HERE, "..", "build", "bench", "bench_agent")
CONFIGS = [(100_000, 0), (100_000, 10), (100_000, 100), (1_000_000, 0), (1_000_000, 10)]


def run(binary, flows, active, batched):
    cmd = [binary, "--flows", str(flows), "--active", str(active),
           "--ticks", "60" if flows < 1_000_000 else "30", "--json"]
    if batched:
        cmd.append("--batched-sweep")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"agent_table: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def spread(values, unit, digits=1):
    mid = statistics.median(values)
    text = f"{mid:.{digits}f}{unit}"
    if len(values) > 1 and max(values) - min(values) > 0.1 * max(mid, 1e-9):
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--binary", default=DEFAULT)
    ap.add_argument("--baseline", help="another build's bench_agent, run beside it")
    ap.add_argument("--quick", action="store_true", help="100k flows only")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    for b in [args.binary] + ([args.baseline] if args.baseline else []):
        if not os.access(b, os.X_OK):
            ap.error(f"{b}: not an executable (build first: scripts/build.sh)")
    if os.geteuid() != 0:
        sys.exit("agent_table: run as root (bench_agent loads BPF programs)")
    configs = [c for c in CONFIGS if not args.quick or c[0] < 1_000_000]

    results = {}  # (flows, active, which) -> [json]
    for rnd in range(args.rounds):
        for flows, active in configs:
            runs = [("kernel", args.binary, False), ("batched", args.binary, True)]
            if args.baseline:
                runs.append(("baseline", args.baseline, False))
            for which, binary, batched in runs:
                results.setdefault((flows, active, which), []).append(run(binary, flows, active, batched))
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)

    print(f"bench_agent, medians of {args.rounds} rounds (range when it spreads over 10 %)\n")
    head = ["flows", "active", "tick ms", "sweep in kernel ms", "sweep batched ms", "bare read ms",
            "bare walk ms", "core % at 100k", "B/flow"]
    if args.baseline:
        head += ["core % vs baseline", "B/flow vs baseline"]
    print(" | ".join(head))
    for flows, active in configs:
        k, b = results[(flows, active, "kernel")], results[(flows, active, "batched")]
        col = lambda rs, f: [r[f] for r in rs]
        row = [f"{flows:,}", f"{active} %", spread(col(k, "tick_ms"), ""), spread(col(k, "sweep_ms"), ""),
               spread(col(b, "sweep_ms"), ""), spread(col(k, "bare_read_ms"), ""),
               spread(col(k, "bare_walk_ms"), ""),
               spread([100 * x for x in col(k, "core_share_at_100k_1s")], "", 2),
               spread(col(k, "agent_bytes_per_flow"), "", 0)]
        if args.baseline:
            base = results[(flows, active, "baseline")]
            ratio = lambda f: (statistics.median(col(k, f)) / statistics.median(col(base, f))
                               if statistics.median(col(base, f)) > 0 else float("nan"))
            shown = lambda x: "-" if x != x else f"{x:.2f}x"  # x != x: NaN, nothing to compare
            row += [shown(ratio('core_share_at_100k_1s')), shown(ratio('agent_bytes_per_flow'))]
        print(" | ".join(row))


if __name__ == "__main__":
    main()
