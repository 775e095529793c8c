#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# run_fuzz.sh TARGET SECONDS WORKDIR SEEDS [libFuzzer options...]
# Runs one libFuzzer target for SECONDS over WORKDIR/corpus (inputs found
# here, kept between runs) and SEEDS (the repository's corpus, read only).
# A crash, sanitizer report, leak or slow input fails the run; the input is
# left in WORKDIR/artifacts/ and named on the last lines.
set -euo pipefail
target=$1 seconds=$2 work=$3 seeds=$4
shift 4
mkdir -p "$work/corpus" "$work/artifacts"
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds" >"$work/last-run.log" 2>&1 || status=$?
# The summary: executions, coverage, corpus; everything on failure.
if ((status != 0)); then
  cat "$work/last-run.log"
  echo "fuzz: $(basename "$target") failed (exit $status); inputs kept in $work/artifacts/:"
  ls -l "$work/artifacts/"
  exit 1
fi
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
  "$work/last-run.log" || true
echo "fuzz: $(basename "$target") ran ${seconds} s without a finding"
