#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Detection and false-positive rates by traffic class, from labelled
recordings (tests/lab/lab.py --pcap DIR writes X.pcap and X.labels.json).

    tools/evaluate_detection.py --agent build/agent/minewatch-agent \\
        [--config tests/data/lab/agent.yaml] [--json] INPUT [INPUT...]

INPUT is a directory (every *.pcap / *.pcapng in it) or a capture file; each
capture's labels sit beside it as <stem>.labels.json. Each capture is
replayed with `minewatch-agent --replay FILE --json` (root: BPF test_run) and
every detection is matched to a labelled flow by its 5-tuple, in either
orientation. Per class it prints: flows, flows that reached suspicious or
mining, flows that reached mining, and the median seconds from a flow's
first packet to its first detection (detected_at - first_seen) and to
mining. For a miner-* class the suspicious-or-mining rate is its detection
rate; for a benign-* class, its false-positive rate. Detections of flows no
label names are counted under "unlabelled"; classes a recording left out on
purpose (its labels' "left_out", e.g. the bulk downloads) are named, not
shown as classes without flows.

Optional checks (exit 1 with one line per failed check):
    --min-detection-rate R [--except CLASS ...]  every miner class but those
    --max-false-positive-rate R   all benign flows pooled, suspicious or mining
    --max-benign-mining-rate R    all benign flows pooled, mining
Bad input (no labels, unreadable capture, agent failure) exits 2 with a
one-line error. Standard library only."""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
from datetime import datetime

FLAGGED = ("suspicious", "mining")  # verdicts that count as a detection
REPLAY_TIMEOUT_S = 600


class InputError(Exception):
    """Bad input: reported as one line, exit 2."""


def captures(inputs):
    """(pcap, labels) for every capture the inputs name, in a stable order."""
    found = []
    for path in inputs:
        if os.path.isdir(path):
            files = sorted(glob.glob(os.path.join(path, "*.pcap")) + glob.glob(os.path.join(path, "*.pcapng")))
            if not files:
                raise InputError(f"{path}: no .pcap or .pcapng in it")
        elif os.path.isfile(path):
            files = [path]
        else:
            raise InputError(f"{path}: no such file or directory")
        for pcap in files:
            labels = os.path.splitext(pcap)[0] + ".labels.json"
            if not os.path.isfile(labels):
                raise InputError(f"{pcap}: no labels beside it ({os.path.basename(labels)})")
            found.append((pcap, labels))
    return found


def endpoint(text):
    addr, _, port = text.rpartition(":")
    return addr.strip("[]"), int(port)


def load_labels(path):
    """{(proto, client, cport, server, sport): class}, the class names the
    labels' rules know (so a class that made no flow still shows) and the
    classes the recording left out on purpose ({class: why})."""
    try:
        with open(path) as f:
            doc = json.load(f)
        flows = {}
        for flow in doc["flows"]:
            flows[(flow["proto"], *endpoint(flow["client"]), *endpoint(flow["server"]))] = flow["class"]
        classes = [rule["class"] for rule in doc.get("rules", [])]
        left_out = dict(doc.get("left_out", {}))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: not a labels file ({e.__class__.__name__}: {e})") from e
    return flows, classes, left_out


def replay(agent, pcap, config):
    command = [agent, "--replay", pcap, "--json"] + (["--config", config] if config else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=REPLAY_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(f"{pcap}: cannot run {agent}: {e}") from e
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"{pcap}: agent exited {done.returncode}: {last}")
    try:
        return json.loads(done.stdout)["detections"]
    except (ValueError, KeyError) as e:
        raise InputError(f"{pcap}: agent printed no detections JSON ({e})") from e


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def first_detections(detections):
    """{(proto, src, sport, dst, dport): {"suspicious": s, "mining": s}}: the
    seconds from the flow's first packet to its first suspicious-or-mining
    and first mining verdict."""
    seen = {}
    for d in detections:
        if d["verdict"] not in FLAGGED:
            continue
        f = d["flow"]
        key = (f["proto"], f["src"], int(f["sport"]), f["dst"], int(f["dport"]))
        seconds = stamp(d["detected_at"]) - stamp(d["first_seen"])
        entry = seen.setdefault(key, {})
        for level in FLAGGED if d["verdict"] == "mining" else ("suspicious",):
            entry[level] = min(entry.get(level, seconds), seconds)
    return seen


def kind_of(name):
    return "miner" if name.startswith("miner-") else "benign" if name.startswith("benign-") else "other"


def new_row(name):
    return {"kind": kind_of(name), "flows": 0, "flagged": 0, "mining": 0, "_to_flag": [], "_to_mining": []}


def tally(rows, name, entry):
    row = rows.setdefault(name, new_row(name))
    row["flows"] += 1
    if "suspicious" in entry:
        row["flagged"] += 1
        row["_to_flag"].append(entry["suspicious"])
    if "mining" in entry:
        row["mining"] += 1
        row["_to_mining"].append(entry["mining"])


def evaluate_capture(rows, left_out, pcap, labels_path, agent, config):
    labels, classes, skipped = load_labels(labels_path)
    left_out.update(skipped)
    for name in classes:
        rows.setdefault(name, new_row(name))
    seen = first_detections(replay(agent, pcap, config))
    matched = set()
    for key, name in labels.items():
        proto, client, cport, server, sport = key
        backwards = (proto, server, sport, client, cport)
        entries = [seen[k] for k in (key, backwards) if k in seen]
        matched.update(k for k in (key, backwards) if k in seen)
        merged = {}
        for entry in entries:
            for level, seconds in entry.items():
                merged[level] = min(merged.get(level, seconds), seconds)
        tally(rows, name, merged)
    for key in set(seen) - matched:
        tally(rows, "unlabelled", seen[key])


def rate(part, whole):
    return part / whole if whole else None


def median(values):
    return round(statistics.median(values), 1) if values else None


def finish(rows, left_out):
    """Rates and medians per class, and the pooled summary. A class the
    recordings left out and that made no flow is no row: 0 flows would read
    as a class the lab failed to make."""
    table = {}
    for name, row in rows.items():
        if name in left_out and not row["flows"]:
            continue
        table[name] = {"kind": row["kind"], "flows": row["flows"], "flagged": row["flagged"],
                       "flagged_rate": rate(row["flagged"], row["flows"]), "mining": row["mining"],
                       "mining_rate": rate(row["mining"], row["flows"]),
                       "median_s_to_detection": median(row["_to_flag"]),
                       "max_s_to_detection": round(max(row["_to_flag"]), 1) if row["_to_flag"] else None,
                       "median_s_to_mining": median(row["_to_mining"])}

    def pooled(pick):
        chosen = [r for n, r in table.items() if pick(n, r)]
        return {k: sum(r[k] for r in chosen) for k in ("flows", "flagged", "mining")}

    tls = pooled(lambda n, r: n.startswith("miner-tls"))
    benign = pooled(lambda n, r: r["kind"] == "benign")
    summary = {"tls_miner_flows": tls["flows"], "tls_miner_detected": tls["flagged"],
               "tls_miner_detection_rate": rate(tls["flagged"], tls["flows"]),
               "benign_flows": benign["flows"], "benign_flagged": benign["flagged"],
               "benign_false_positive_rate": rate(benign["flagged"], benign["flows"]),
               "benign_mining": benign["mining"], "benign_mining_rate": rate(benign["mining"], benign["flows"])}
    return table, summary


def text_rate(value):
    return "-" if value is None else f"{value:.3f}"


def text_seconds(value):
    return "-" if value is None else f"{value:.1f}"


def markdown(table, summary, left_out):
    lines = ["| class | flows | suspicious or mining | rate | mining | rate | median s to detection | "
             "max s to detection | median s to mining |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    order = sorted(table, key=lambda n: ({"miner": 0, "benign": 1}.get(table[n]["kind"], 2), n))
    for name in order:
        r = table[name]
        lines.append(f"| {name} | {r['flows']} | {r['flagged']} | {text_rate(r['flagged_rate'])} | {r['mining']} | "
                     f"{text_rate(r['mining_rate'])} | {text_seconds(r['median_s_to_detection'])} | "
                     f"{text_seconds(r['max_s_to_detection'])} | {text_seconds(r['median_s_to_mining'])} |")
    s = summary
    for name, why in sorted(left_out.items()):
        lines.append(f"\n{name}: left out of the recordings ({why})")
    lines.append("")
    lines.append(f"TLS-miner detection rate (suspicious or mining): {s['tls_miner_detected']}/{s['tls_miner_flows']} "
                 f"= {text_rate(s['tls_miner_detection_rate'])}; benign false-positive rate (suspicious or mining): "
                 f"{s['benign_flagged']}/{s['benign_flows']} = {text_rate(s['benign_false_positive_rate'])}; "
                 f"benign mining rate: {s['benign_mining']}/{s['benign_flows']} = "
                 f"{text_rate(s['benign_mining_rate'])}")
    return "\n".join(lines)


def failed_checks(args, table, summary):
    failures = []
    if args.min_detection_rate is not None:
        for name, r in sorted(table.items()):
            if r["kind"] != "miner" or name in args.exclude:
                continue
            if r["flagged_rate"] is None or r["flagged_rate"] < args.min_detection_rate:
                failures.append(f"{name}: detection rate {text_rate(r['flagged_rate'])} "
                                f"({r['flagged']}/{r['flows']}) < {args.min_detection_rate}")
    if args.max_seconds_to_detection is not None:
        for name, r in sorted(table.items()):
            late = r["max_s_to_detection"]
            if r["kind"] == "miner" and name not in args.exclude and late is not None \
                    and late > args.max_seconds_to_detection:
                failures.append(f"{name}: a flow took {late:.1f} s to detection > {args.max_seconds_to_detection}")
    limits = [("max_false_positive_rate", "benign_false_positive_rate", "benign false-positive rate"),
              ("max_benign_mining_rate", "benign_mining_rate", "benign mining rate")]
    for option, key, what in limits:
        limit = getattr(args, option)
        if limit is not None and (summary[key] is None or summary[key] > limit):
            failures.append(f"{what} {text_rate(summary[key])} > {limit}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="recording directories or capture files (labels beside them)")
    parser.add_argument("--agent", required=True, help="the minewatch-agent binary to replay with")
    parser.add_argument("--config", help="agent config for the replay (the detection settings the lab ran with)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the Markdown table")
    parser.add_argument("--min-detection-rate", type=float, help="check: every miner class's rate is at least this")
    parser.add_argument("--except", dest="exclude", action="append", default=[], metavar="CLASS",
                        help="a miner class --min-detection-rate leaves out (repeat for more)")
    parser.add_argument("--max-seconds-to-detection", type=float,
                        help="check: every detected miner flow was flagged within this many seconds of its first packet")
    parser.add_argument("--max-false-positive-rate", type=float, help="check: benign flows suspicious or mining")
    parser.add_argument("--max-benign-mining-rate", type=float, help="check: benign flows mining")
    args = parser.parse_args()

    rows, left_out = {}, {}
    try:
        found = captures(args.inputs)
        if args.config and not os.path.isfile(args.config):
            raise InputError(f"{args.config}: no such config")
        for pcap, labels in found:
            evaluate_capture(rows, left_out, pcap, labels, args.agent, args.config)
    except InputError as e:
        print(f"evaluate_detection: {e}", file=sys.stderr)
        return 2
    table, summary = finish(rows, left_out)
    failures = failed_checks(args, table, summary)
    if args.json:
        print(json.dumps({"captures": [p for p, _ in found], "classes": table, "summary": summary,
                          "left_out": left_out, "failed_checks": failures}, indent=1))
    else:
        print(f"{len(found)} captures: {', '.join(os.path.basename(p) for p, _ in found)}\n")
        print(markdown(table, summary, left_out))
    for failure in failures:
        print(f"check failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
