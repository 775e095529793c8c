#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The image's contents, run: deploy/container/build-rootfs.sh builds the
# final stage's root filesystem (no Docker engine), and the agent starts
# from it in fresh mount and PID namespaces inside a network namespace,
# with the root filesystem read-only and exactly the capabilities the
# DaemonSet grants (the agent's own --requirements, which deploy_k8s_test
# holds the manifests to). Checks: attached, /readyz and /healthz, /metrics
# through promtool, the image's CLI over the control socket, a clean stop;
# with one capability fewer it must refuse in one clear line.
#   rootfs_agent_test.sh BUILD_DIR
# Needs root and fails (never skips) without it. Traffic: none; the veth
# pair lives in namespaces this test makes and deletes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$(cd "${1:?usage: rootfs_agent_test.sh BUILD_DIR}" && pwd)"
[[ $EUID -eq 0 ]] || { echo "rootfs_agent_test: must run as root (namespaces, BPF); refusing to skip" >&2; exit 1; }

failures=0
check() { # check "what" command...
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
wait_for() { # wait_for SECONDS command...: bounded polling
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}

out="$build/container-rootfs"
root="$("$repo/deploy/container/build-rootfs.sh" "$build" "$out" | tail -1)"
tag="mwrf$$"
ns="${tag}n"
work="$(mktemp -d /tmp/mw-rootfs-XXXXXX)"
pin_root="/sys/fs/bpf/$tag"
agent_pid=""
cleanup() {
  [[ -n $agent_pid ]] && kill -KILL "$agent_pid" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$pin_root" "$work"
}
trap cleanup EXIT

# -- what is in the image ----------------------------------------------------
dev_packages() {
  chroot "$root" dpkg-query -W -f '${Package}\n' | grep -E -- '-dev$|^(gcc|g\+\+|cpp|clang|llvm|cmake|make)(-[0-9]+)?$' || true
}
check "no compiler and no -dev package in the image" test -z "$(dev_packages)"
runs() { chroot "$root" "$@" >/dev/null; }
check "the image's agent finds every library it links" runs /usr/local/bin/minewatch-agent --help
check "the image's CLI finds every library it links" runs /usr/local/bin/minewatch --help
# Carried, not run there (no kubectl, no Python in the image): copied out as is.
check "the image carries kubectl-minewatch as in the repository" \
  cmp -s "$repo/cli/kubectl-minewatch" "$root/usr/local/bin/kubectl-minewatch"
check "... and executable" test -x "$root/usr/local/bin/kubectl-minewatch"
mapfile -t caps < <(chroot "$root" /usr/local/bin/minewatch-agent --requirements | python3 -c \
  'import json, sys; print("\n".join(c.lower() for c in json.load(sys.stdin)["capabilities"]))')
check "the agent names the capabilities it needs" test "${#caps[@]}" -ge 2

# -- a network namespace with a veth pair --------------------------------------
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
mkdir -p "$work/run" "$work/etc"
cat >"$work/etc/agent.yaml" <<EOF
pin_root: $pin_root
socket: /run/minewatch/minewatch.sock
events: "-"
shutdown: fail-safe
http:
  listen: 127.0.0.1:9405
agent:
  tick_ms: 200
EOF

# start_agent CAPS...: the agent from the rootfs, in new mount and PID
# namespaces of the netns: fresh sysfs (the netns's devices), the host's
# bpffs and BTF, a read-only root, then setpriv to exactly CAPS.
start_agent() {
  local set
  set="-all$(printf ',+%s' "$@")"
  # nsenter, not `ip netns exec`: that remounts /sys, hiding the host's bpffs.
  nsenter --net="/var/run/netns/$ns" unshare --mount --pid --fork --propagation private sh -c "
    set -e
    mount --bind '$root' '$root'
    mount -t proc proc '$root/proc'
    mount -t sysfs sysfs '$root/sys'
    mount --bind /sys/fs/bpf '$root/sys/fs/bpf'
    mount --bind /sys/kernel/btf '$root/sys/kernel/btf'
    mount --bind '$work/run' '$root/run/minewatch'
    mkdir -p '$root/etc/minewatch' && mount --bind '$work/etc' '$root/etc/minewatch'
    mount -o remount,bind,ro '$root'
    exec chroot '$root' /usr/bin/setpriv --bounding-set='$set' --inh-caps=-all --ambient-caps=-all \
      /usr/local/bin/minewatch-agent --iface v0 --config /etc/minewatch/agent.yaml
  " >"$work/agent-$*.log" 2>&1 &
  agent_pid=$!
  agent_log="$work/agent-$*.log"
}
http_code() { ip netns exec "$ns" curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:9405$1" || true; }
ready() { [[ $(http_code /readyz) == 200 ]]; }
attached() { ip -n "$ns" -d link show v0 | grep -q 'prog/xdp'; }
exited() { ! kill -0 "$agent_pid" 2>/dev/null; }

start_agent "${caps[@]}"
check "the agent from the image, with exactly ${caps[*]}, gets ready" wait_for 30 ready
check "... attached XDP to the interface" attached
check "... answers /healthz" test "$(http_code /healthz)" = 200
metrics_ok() { [[ $(http_code /metrics) == 200 ]] && promtool check metrics <"$work/body" >/dev/null 2>&1; }
check "... serves /metrics that promtool accepts" metrics_ok
cli_status() {
  unshare --mount --propagation private sh -c "
    mount --bind '$work/run' '$root/run/minewatch'
    exec chroot '$root' /usr/local/bin/minewatch status --json" >"$work/status.json"
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); sys.exit(s["interfaces"][0]["name"] != "v0")' \
    "$work/status.json"
}
check "... and the image's CLI reads its status over the control socket" cli_status
# SIGTERM to the agent itself (PID 1 of its namespace, which unshare forked).
agent_in_ns=$(pgrep -f -P "$agent_pid" . || true)
kill -TERM "${agent_in_ns:-$agent_pid}" 2>/dev/null || true
check "... and stops on SIGTERM" wait_for 15 exited
wait "$agent_pid" 2>/dev/null && code=0 || code=$?
check "... with status 0" test "$code" = 0
check "... detached (shutdown: fail-safe)" bash -c "! ip -n '$ns' -d link show v0 | grep -q prog/xdp"
agent_pid=""

# -- a rolling update with the DaemonSet's shutdown mode ----------------------------
# keep-attached: the old agent leaves its program dropping; the new one,
# with the same few capabilities (no CAP_SYS_ADMIN to look programs up),
# recognises it by its pin and takes over.
sed -i 's/^shutdown: .*/shutdown: keep-attached/' "$work/etc/agent.yaml"
start_agent "${caps[@]}"
check "keep-attached: an agent gets ready" wait_for 30 ready
kill -TERM "$(pgrep -f -P "$agent_pid" . || echo "$agent_pid")" 2>/dev/null || true
check "... stops" wait_for 15 exited
wait "$agent_pid" 2>/dev/null || true
agent_pid=""
check "... leaving XDP attached" attached
first_id=$(ip -n "$ns" -d link show v0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
sed -i 's/^shutdown: .*/shutdown: fail-safe/' "$work/etc/agent.yaml"
start_agent "${caps[@]}"
check "the next agent gets ready" wait_for 30 ready
check "... having taken the old program over" grep -q "taking over" "$agent_log"
second_id=$(ip -n "$ns" -d link show v0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
check "... so one program, its own, is attached" test -n "$second_id" -a "$second_id" != "$first_id"
kill -TERM "$(pgrep -f -P "$agent_pid" . || echo "$agent_pid")" 2>/dev/null || true
check "... and it stops, detaching" wait_for 15 exited
wait "$agent_pid" 2>/dev/null || true
agent_pid=""
check "... nothing attached" bash -c "! ip -n '$ns' -d link show v0 | grep -q prog/xdp"

# -- one capability fewer, each in turn: a clear refusal -----------------------
for missing in "${caps[@]}"; do
  fewer=()
  for c in "${caps[@]}"; do [[ $c == "$missing" ]] || fewer+=("$c"); done
  start_agent "${fewer[@]}"
  check "without $missing the agent refuses" wait_for 30 exited
  wait "$agent_pid" 2>/dev/null && code=0 || code=$?
  agent_pid=""
  check "... with a non-zero status" test "$code" -ne 0
  check "... in one line naming CAP_${missing^^}" \
    bash -c "grep -c . '$agent_log' | grep -qx 1 && grep -q 'missing: .*CAP_${missing^^}' '$agent_log'"
  check "... and nothing left attached" bash -c "! ip -n '$ns' -d link show v0 | grep -q prog/xdp"
done

if ((failures)); then
  for log in "$work"/agent-*.log; do echo "--- $log ---"; cat "$log"; done
  echo "FAIL: $failures checks"
  exit 1
fi
echo PASS
