#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Fits the rhythm detector's weights (agent/src/detect/rhythm_weights.hpp)
on labelled lab recordings.

    tools/fit_rhythm_weights.py --features build/tools/rhythm_features/rhythm_features \\
        [--write | --check] [--flows] [DIR ...]    (default DIR: tests/data/lab/train)

Every TCP flow of every capture in DIR (labels beside it, as
tools/evaluate_detection.py reads them) is turned into its message sequence
(tools/message_sequences.py, the data path's rule and first 64 messages) and
measured by rhythm_features at every prefix where a verdict bit changes. A
flow visits a cell (intervals | sizes << 1 | balance << 2) when a prefix
with enough && pairing has those bits; it counts once in every cell it
visited, as a miner (class miner-*) or benign (benign-*).

Each cell's weight is its miner share under a Beta(PRIOR_MINERS,
PRIOR_BENIGN) prior (the posterior mean), times CAP, rounded to 0.05. The
prior is worth PRIOR_MINERS + PRIOR_BENIGN flows with one in four a miner:
a cell without data weighs CAP / 4, under the suspicious line, and a cell
needs several miners and no benign flow to pass it. Then two orders are
kept by lowering weights, never raising them (no cell weighs more than its
own data says): a cell weighs no more than any cell with its bits and more
(more supporting features never weigh less), and a cell without the sizes
bit weighs at least one STEP less than every cell with it (fan-in counts
rhythm evidence of at least kRhythmSizedWeight, meaning Stratum-sized).

Prints a table (cell, miners, benign, fitted weight, current weight).
--write replaces the header with the fitted array; --check exits 1 when
the header differs from what --write would write (its date aside).
Standard library only."""

import argparse
import datetime
import json
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluate_detection  # noqa: E402  (a sibling tool: how recordings and their labels are found)
import message_sequences  # noqa: E402  (a sibling tool: the data path's message rule)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = os.path.join(ROOT, "agent", "src", "detect", "rhythm_weights.hpp")
DEFAULT_TRAIN = os.path.join(ROOT, "tests", "data", "lab", "train")

# Policy, not fitted: rhythm alone never makes a flow mining (0.8); at its
# most it is suspicious, and with behaviour's 0.35 it gives 0.74.
CAP = 0.6
# The Beta prior on a cell's miner share: one miner and three benign flows.
PRIOR_MINERS = 1.0
PRIOR_BENIGN = 3.0
STEP = 0.05  # weights are rounded to this
SIZES = 2  # the sizes bit: fan-in counts only cells with it
NAMES = ["pairing only", "+ intervals", "+ sizes", "+ intervals + sizes", "+ balance", "+ intervals + balance",
         "+ sizes + balance", "+ intervals + sizes + balance"]


class FitError(Exception):
    """Bad input: one line, exit 2."""


def endpoint_key(text):
    addr, _, port = text.rpartition(":")
    return addr.strip("[]"), int(port)


def captures(dirs):
    """(pcap, labels) of every capture in the train directories, as the
    evaluation finds them."""
    try:
        return evaluate_detection.captures(dirs)
    except evaluate_detection.InputError as e:
        raise FitError(str(e)) from e


def labelled_flows(pcap, labels_path):
    """message_sequences.py's JSON lines for every labelled TCP flow."""
    with open(labels_path) as f:
        doc = json.load(f)
    classes = {(endpoint_key(x["client"]), endpoint_key(x["server"])): x["class"] for x in doc["flows"]
               if x["proto"] == "tcp"}
    lines = []
    for flow in message_sequences.flows_of(pcap, message_sequences.GAP_MS, message_sequences.MAX_MESSAGES):
        client = message_sequences.endpoint(*flow.client)
        server = message_sequences.endpoint(*flow.server)
        a, b = endpoint_key(client), endpoint_key(server)
        name = classes.get((a, b)) or classes.get((b, a))
        if name is None or not flow.messages:
            continue
        lines.append(json.dumps({"capture": os.path.basename(pcap), "flow": f"{client}-{server}", "class": name,
                                 "messages": flow.messages}, separators=(",", ":")))
    return lines


def measured(tool, lines):
    done = subprocess.run([tool], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if done.returncode != 0:
        raise FitError(f"{tool} exited {done.returncode}: {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def visited_cells(flow):
    cells = set()
    for f in flow["prefixes"] + [flow["whole"]]:
        if f["enough"] and f["pairing"]:
            cells.add(int(f["intervals"]) | int(f["sizes"]) << 1 | int(f["balance"]) << 2)
    return cells


def count(flows):
    """[(miners, benign)] per cell."""
    counts = [[0, 0] for _ in range(8)]
    for flow in flows:
        kind = 0 if flow["class"].startswith("miner-") else 1 if flow["class"].startswith("benign-") else None
        if kind is None:
            continue
        for cell in visited_cells(flow):
            counts[cell][kind] += 1
    return counts


def round_step(x):
    """To the nearest STEP, halves up (1e-9: 0.6 / 8 is 0.07499... in binary)."""
    return round(math.floor(x / STEP + 0.5 + 1e-9) * STEP, 2)


def fit(counts):
    raw = [CAP * (m + PRIOR_MINERS) / (m + b + PRIOR_MINERS + PRIOR_BENIGN) for m, b in counts]
    # A cell weighs no more than any cell with its bits and more.
    ordered = [round_step(min(raw[j] for j in range(8) if (i & j) == i)) for i in range(8)]
    # Fan-in counts a rhythm with the sizes bit by its weight
    # (kRhythmSizedWeight): every cell without it must weigh less.
    sized = min(ordered[i] for i in range(8) if i & SIZES)
    return [w if i & SIZES else max(0.0, min(w, round_step(sized - STEP))) for i, w in enumerate(ordered)]


def current_weights(text):
    m = re.search(r"kRhythmWeights = \{(.*?)\};", text, re.S)
    if not m:
        raise FitError(f"{HEADER}: no kRhythmWeights array")
    return [float(x) for x in re.findall(r"^\s*([0-9.]+),", m.group(1), re.M)]


def table(counts, fitted, current):
    lines = ["| cell | bits | miners | benign | fitted | current |", "|---:|---|---:|---:|---:|---:|"]
    for i, ((m, b), w) in enumerate(zip(counts, fitted)):
        now = f"{current[i]:.2f}" if i < len(current) else "-"
        lines.append(f"| {i} | {NAMES[i]} | {m} | {b} | {w:.2f} | {now} |")
    return "\n".join(lines)


def header(counts, fitted, files, date):
    sized = min((i for i in range(8) if i & SIZES), key=lambda i: (fitted[i], i))
    entries = [f"    {w:.2f}, // {NAMES[i]}: {m} miners, {b} benign"
               for i, ((m, b), w) in enumerate(zip(counts, fitted))]
    empty = CAP * PRIOR_MINERS / (PRIOR_MINERS + PRIOR_BENIGN)
    file_lines = [f"///   {f}" for f in files]
    return "\n".join([
        "// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)",
        "// Generated by tools/fit_rhythm_weights.py --write; do not edit by hand.",
        "#pragma once",
        "",
        "#include <array>",
        "",
        "namespace minewatch::detect {",
        "",
        "/// Weight of rhythm evidence (Evidence::weight, the assessment's noisy-OR",
        "/// units; Thresholds: 0.4 suspicious, 0.8 mining), indexed by the features",
        "/// that hold on top of the pairing pattern, which every entry needs:",
        "///   bit 0 intervals (unanswered pushes 4 s-10 min apart)",
        "///   bit 1 sizes     (pushes, requests, replies in Stratum's bands)",
        "///   bit 2 balance   (up/down bytes 0.4-2.5)",
        "///",
        f"/// Fitted on {date} by `tools/fit_rhythm_weights.py --write` (with the",
        "/// build's rhythm_features) on the lab's train recordings:",
        *file_lines,
        "/// A flow counts once in every cell it reached (enough && pairing at some",
        "/// prefix of its first 64 messages), as a miner or benign. Weight = the",
        f"/// cell's miner share under a Beta({PRIOR_MINERS:g}, {PRIOR_BENIGN:g}) prior (posterior mean: a",
        f"/// cell without data weighs {empty:g}) times the cap {CAP:g}, rounded to {STEP:g}; then",
        "/// lowered so that more bits never weigh less and a cell without the sizes",
        "/// bit weighs less than every cell with it. The cap is policy: rhythm alone",
        "/// never reaches mining (0.8), a mining verdict needs a second detector.",
        "/// The lab's mix of miners and benign flows is no real network's: these",
        "/// are lab odds. The unit test rhythm_weights_fit_test fails when this",
        "/// file differs from what the fit writes.",
        "inline constexpr std::array<double, 8> kRhythmWeights = {",
        *entries,
        "};",
        "",
        "/// The least weight of rhythm evidence whose messages are Stratum-sized",
        "/// (the sizes bit): only such a client counts towards its server's fan-in.",
        "/// The fit checks that every cell without the sizes bit weighs less.",
        f"inline constexpr double kRhythmSizedWeight = kRhythmWeights[{sized}];",
        "",
        "} // namespace minewatch::detect",
        "",
    ])


def fan_in_holds(fitted):
    sized = min(fitted[i] for i in range(8) if i & SIZES)
    return all(fitted[i] < sized for i in range(8) if not i & SIZES)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dirs", nargs="*", default=[DEFAULT_TRAIN], help="recording directories (labels beside)")
    p.add_argument("--features", required=True, help="the rhythm_features binary")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {os.path.relpath(HEADER, ROOT)}")
    mode.add_argument("--check", action="store_true", help="exit 1 if the header is not what --write writes")
    p.add_argument("--flows", action="store_true", help="also print each flow's class and the cells it reached")
    p.add_argument("--header", default=HEADER, help=argparse.SUPPRESS)
    args = p.parse_args()
    try:
        found = captures(args.dirs)
        flows = []
        for pcap, labels in found:
            flows += measured(args.features, labelled_flows(pcap, labels))
        with open(args.header) as f:
            text = f.read()
    except (FitError, OSError, ValueError, KeyError) as e:
        print(f"fit_rhythm_weights: {e}", file=sys.stderr)
        return 2
    counts = count(flows)
    fitted = fit(counts)
    print(f"{len(flows)} labelled TCP flows from {len(found)} captures\n")
    print(table(counts, fitted, current_weights(text)))
    if args.flows:
        print()
        for flow in flows:
            cells = ",".join(str(c) for c in sorted(visited_cells(flow))) or "-"
            print(f"{flow['capture']} {flow['flow']} {flow['class']}: cells {cells}")
    if not fan_in_holds(fitted):
        print("fit_rhythm_weights: a cell without the sizes bit weighs as much as one with it: "
              "fan-in (kRhythmSizedWeight) would count it", file=sys.stderr)
        return 1
    files = [os.path.relpath(pcap, ROOT) for pcap, _ in found]
    if args.check:
        stamp = re.search(r"Fitted on (\d{4}-\d{2}-\d{2})", text)
        if not stamp or header(counts, fitted, files, stamp.group(1)) != text:
            print(f"fit_rhythm_weights: {os.path.relpath(args.header, ROOT)} differs from the fit "
                  "(rerun with --write)", file=sys.stderr)
            return 1
        print(f"\n{os.path.relpath(args.header, ROOT)} matches the fit")
    elif args.write:
        with open(args.header, "w") as f:
            f.write(header(counts, fitted, files, datetime.datetime.now(datetime.timezone.utc).date().isoformat()))
        print(f"\nwrote {os.path.relpath(args.header, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
