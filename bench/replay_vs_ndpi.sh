#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Offline throughput: `minewatch-agent --replay` beside nDPI's ndpiReader on
# the same generated capture (bench/make_capture.py), medians of --rounds
# runs, each tool timed alone. A record to rerun, not a test. Root: replay
# loads the BPF programs.
#   bench/replay_vs_ndpi.sh [PACKETS (1000000)] [ROUNDS (3)]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packets="${1:-1000000}"
rounds="${2:-3}"
agent="${AGENT:-$here/../build/agent/minewatch-agent}"
[[ $EUID -eq 0 ]] || { echo "replay_vs_ndpi.sh: run as root (replay loads BPF programs)" >&2; exit 2; }
command -v ndpiReader >/dev/null || { echo "replay_vs_ndpi.sh: ndpiReader missing (libndpi-bin)" >&2; exit 2; }
[[ $packets =~ ^[0-9]+$ && $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: replay_vs_ndpi.sh [PACKETS] [ROUNDS]" >&2; exit 2; }

capture="${TMPDIR:-/tmp}/minewatch-bench-$packets.pcap"
[[ -s $capture && -s $capture.txt ]] || python3 "$here/make_capture.py" "$capture" --packets "$packets" >"$capture.txt"
sessions=$(sed -n 's/.*(\([0-9]*\) Stratum.*/\1/p' "$capture.txt")

seconds() { # seconds COMMAND...: wall time of one run, output discarded
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
  calc "$t1 - $t0"
}
calc() { python3 -c "print($1)"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Start-up: a replay of a capture of a few packets is all start-up (loading
# and verifying the programs, the agent, the report).
small="$here/../tests/data/pcaps/benign_jsonrpc.pcap"

ours=(); ndpi=(); start=()
for ((r = 0; r < rounds; r++)); do
  ours+=("$(seconds "$agent" --replay "$capture" --events /dev/null)")
  ndpi+=("$(seconds ndpiReader -i "$capture" -q)")
  start+=("$(seconds "$agent" --replay "$small" --events /dev/null)")
done
t_ours=$(printf '%s\n' "${ours[@]}" | median)
t_ndpi=$(printf '%s\n' "${ndpi[@]}" | median)
t_start=$(printf '%s\n' "${start[@]}" | median)
found=$("$agent" --replay "$capture" --events /dev/null --json | python3 -c \
  'import json, sys; print(sum(1 for d in json.load(sys.stdin)["detections"] if d["verdict"] == "mining"))')

printf '\n%s: %s packets, %s Stratum sessions; medians of %s runs\n\n' "$capture" "$packets" "$sessions" "$rounds"
printf '%-40s %10s %14s\n' tool seconds packets/s
printf '%-40s %10.2f %14.0f\n' "minewatch-agent --replay (BPF + agent)" "$t_ours" "$(calc "$packets / $t_ours")"
printf '%-40s %10.2f %14.0f\n' "ndpiReader -q (nDPI)" "$t_ndpi" "$(calc "$packets / $t_ndpi")"
printf '\nminewatch / nDPI packets per second: %.2f   (goal: 1,000,000 packets/s)\n' "$(calc "$t_ndpi / $t_ours")"
printf 'start-up, a replay of %s (a few packets): %.2f s   (goal <= 0.2 s)\n' "$(basename "$small")" "$t_start"
printf 'Stratum sessions found mining by the replay: %s of %s\n' "$found" "$sessions"
