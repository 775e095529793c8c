#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The main job on a fresh machine: install, build, then run the lab — a real
# miner and real benign traffic, detected, explained and blocked — and the
# per-packet cost of the data path.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "demo.sh: run as root (loading BPF programs needs it)" >&2
  exit 1
fi
scripts/install-deps.sh
scripts/build.sh
# The lab: XMRig (plain and TLS) and benign look-alikes in namespaces it makes
# and deletes (also on Ctrl-C), the agent auto-blocking on the node's uplink.
python3 tests/lab/lab.py --duration "${LAB_SECONDS:-150}"
echo
echo "== cost per packet (bench/) =="
./build/bench/bench_datapath
