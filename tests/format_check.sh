#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The C++ sources follow .clang-format: lists every file that does not,
# with the first lines clang-format would change, and fails. Fix with
#   clang-format -i $(find agent cli tests bench -name '*.cpp' -o -name '*.hpp')
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format_check: clang-format is not installed (scripts/install-deps.sh)"; exit 1; }
bad=0
while IFS= read -r -d '' f; do
  if ! diff -q <(clang-format --style=file "$f") "$f" >/dev/null; then
    echo "not formatted: $f"
    diff <(clang-format --style=file "$f") "$f" | head -6 || true
    bad=$((bad + 1))
  fi
done < <(find agent cli tests bench \( -name '*.cpp' -o -name '*.hpp' \) -not -path '*/fuzz/corpus/*' -print0)
if [ "$bad" -ne 0 ]; then
  echo "format_check: $bad files differ from .clang-format"
  exit 1
fi
echo "format_check: every C++ file follows .clang-format"
