#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Builds the image's final stage as a directory, without a Docker engine:
# Debian 12 with exactly runtime-packages.txt (mmdebstrap), then the files
# the Dockerfile's final stage copies, at the same paths (read from the
# Dockerfile itself, so the two cannot drift).
#   build-rootfs.sh BUILD_DIR OUT_DIR     -> OUT_DIR/rootfs
# The Debian part is cached in OUT_DIR by the package list's hash.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${1:?usage: build-rootfs.sh BUILD_DIR OUT_DIR}"
out="${2:?usage: build-rootfs.sh BUILD_DIR OUT_DIR}"
[[ $EUID -eq 0 ]] || { echo "build-rootfs.sh: run as root (mmdebstrap, file ownership)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "build-rootfs.sh: mmdebstrap missing (scripts/install-deps.sh)" >&2; exit 1; }

packages=$(grep -v '^#' "$here/runtime-packages.txt" | grep -v '^$' | paste -sd, -)
hash=$(sha256sum "$here/runtime-packages.txt" | cut -c1-16)
mkdir -p "$out"
if [[ ! -f "$out/base-$hash.tar" ]]; then
  rm -f "$out"/base-*.tar
  echo "build-rootfs.sh: Debian 12 with $packages"
  # essential: dpkg, the C library, coreutils, util-linux (setpriv): the
  # slim image's base without apt, which a finished image does not need.
  mmdebstrap --quiet --variant=essential --include="$packages" bookworm "$out/base-$hash.tmp.tar"
  mv "$out/base-$hash.tmp.tar" "$out/base-$hash.tar"
fi

rm -rf "$out/rootfs"
mkdir -p "$out/rootfs"
tar -xf "$out/base-$hash.tar" -C "$out/rootfs"

# The Dockerfile's final-stage COPY lines: --from=build takes from the
# build tree (/build/X is BUILD_DIR/X), the others from the repository.
final=$(awk '/^FROM /{stage++} stage==2' "$repo/deploy/container/Dockerfile")
while read -r _ from src dest; do
  if [[ $from == --from=build ]]; then
    file="$build/${src#/build/}"
  else
    dest=$src; src=$from; file="$repo/$src"
    [[ $file == */runtime-packages.txt ]] && continue # installed above, then removed
  fi
  [[ -f $file ]] || { echo "build-rootfs.sh: $file missing (build first: scripts/build.sh)" >&2; exit 1; }
  install -D -m 0755 "$file" "$out/rootfs$dest"
done < <(grep '^COPY ' <<<"$final")
mkdir -p "$out/rootfs/run/minewatch" "$out/rootfs/sys/fs/bpf" "$out/rootfs/sys/kernel/btf"
echo "$out/rootfs"
