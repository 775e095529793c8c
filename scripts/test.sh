#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The whole test suite: installs dependencies, builds, runs every test; then
# the same parsers and agent again under ASan and UBSan, and each fuzz target
# for FUZZ_SECONDS (60) from its seed corpus (build-asan, labels sanitize
# and fuzz). Arguments go to both ctest runs (e.g. -R classify).
# Needs root: the bpf and e2e tests load programs and make namespaces, and
# fail (never skip) when they cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "test.sh: run as root (the BPF and namespace tests need it)" >&2
  exit 1
fi
scripts/install-deps.sh
scripts/build.sh
scripts/build-sanitized.sh
rm -f build/lab-report.txt
status=0
ctest --test-dir build --output-on-failure "$@" || status=$?
if [[ -f build/lab-report.txt ]]; then
  echo; echo "== the lab, as the end-to-end test saw it =="; cat build/lab-report.txt
fi
echo; echo "== under ASan and UBSan, and the fuzz targets =="
ctest --test-dir build-asan --output-on-failure -L 'sanitize|fuzz' -j"$(nproc)" "$@" || status=$?
exit $status
