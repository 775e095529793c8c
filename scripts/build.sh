#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Configures and builds into ./build (BPF objects and skeletons included).
# Warnings are errors here (the project's own builds and CI); a packager's
# plain `cmake -DCMAKE_BUILD_TYPE=Release` build leaves them warnings.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DMINEWATCH_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
