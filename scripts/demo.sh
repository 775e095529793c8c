#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The main job on a fresh machine: install, build, then show the data path
# at work — real traffic across a veth in throw-away namespaces, counted
# exactly by the XDP and TC programs — and its cost per packet.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "demo.sh: run as root (loading BPF programs needs it)" >&2
  exit 1
fi
scripts/install-deps.sh
scripts/build.sh
echo "== data path on a veth pair (namespaces made and removed by the test) =="
./build/tests/netns_loader_test --log_level=message
echo
echo "== cost per packet (bench/) =="
./build/bench/bench_datapath
