#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The second build the suite runs: the same sources with clang, ASan and
# UBSan (any report aborts, so the test fails) and the libFuzzer targets of
# tests/fuzz, into ./build-asan. Only what runs there is built: the tests
# labelled sanitize, the CLI they drive, and the fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMINEWATCH_FUZZ=ON -DMINEWATCH_WERROR=ON -DMINEWATCH_FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >/dev/null
cmake --build build-asan -j"$(nproc)" --target sanitized_tests fuzz_targets
