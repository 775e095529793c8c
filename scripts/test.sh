#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The whole test suite: installs dependencies, builds, runs every test.
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
ctest --test-dir build --output-on-failure "$@"
