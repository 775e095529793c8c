#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""netns_harness.py itself: a veth pair between two namespaces carries
traffic to a server started in one of them, a name in use is refused, and a
run ended by SIGTERM (or an exception) leaves no namespace, no process and
no device in the host's namespace behind.

Needs root: it makes namespaces (10.250.0.0/24 inside them only)."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_harness import Netns, sh, unique_tag  # noqa: E402

FAILURES = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + str(detail) if detail and not ok else ''}", flush=True)
    if not ok:
        FAILURES.append(what)


def namespaces():
    return set(sh(["ip", "netns", "list"]).stdout.split()) if os.path.isdir("/var/run/netns") else set()


def net_of(pid):
    """A process's network namespace, None once it is gone."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def host_veths():
    return sh(["ip", "-o", "link", "show", "type", "veth"]).stdout.strip()


# A child run: a pair, a server in one end, then it waits to be ended.
CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from netns_harness import Netns
net = Netns()
net.add(sys.argv[2] + "a"); net.add(sys.argv[2] + "b")
net.veth(sys.argv[2] + "a", "a0", sys.argv[2] + "b", "b0", "10.250.0.1/24", "10.250.0.2/24")
net.spawn(sys.argv[2] + "b", ["sleep", "600"])
if sys.argv[3] == "raise":
    raise RuntimeError("a test that fails half-way")
print("up", flush=True)
time.sleep(600)
"""


def ended_run_leaves_nothing(how):
    tag = unique_tag("mwhs") + how[0]
    child = subprocess.Popen([sys.executable, "-c", CHILD, os.path.dirname(os.path.abspath(__file__)), tag, how],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if how == "term":
        check("a run made its namespaces", child.stdout.readline().strip() == "up" and
              {tag + "a", tag + "b"} <= namespaces())
        child.send_signal(signal.SIGTERM)
    try:
        code = child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    check(f"a run ended by {how} exits non-zero", code != 0, code)
    left = {n for n in namespaces() if n.startswith(tag)}
    check(f"... leaving no namespace", not left, left)
    sleeping = sh(["pgrep", "-f", "^sleep 600$"], check=False).stdout.split()
    orphans = [p for p in sleeping if net_of(p) not in (None, net_of("self"))]
    check("... and no process in a namespace", not orphans, orphans)


def main():
    if os.geteuid() != 0:
        print("netns_harness_test: must run as root (namespaces); refusing to skip", file=sys.stderr)
        return 1
    veths_before = host_veths()
    tag = unique_tag("mwhs")
    with Netns() as net:
        a, b = net.add(tag + "a", ipv6=False), net.add(tag + "b")
        net.veth(a, "a0", b, "b0", "10.250.0.1/24", "10.250.0.2/24")
        net.neighbour(a, "a0", "10.250.0.2", net.mac(b, "b0"))
        check("nothing listens before the server starts", not net.listening(b, 8080))
        server = net.spawn(b, ["python3", "-m", "http.server", "--bind", "10.250.0.2", "8080"], os.devnull)
        net.wait_listening(b, 8080)
        check("the server listens on TCP only", net.listening(b, 8080) and not net.listening(b, 8080, udp=True))
        got = net.run(a, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://10.250.0.2:8080/"],
                      check=False).stdout
        check("the other end reaches it across the pair", got == "200", got)
        check("IPv6 is off where asked", net.run(a, "sysctl -n net.ipv6.conf.all.disable_ipv6").stdout.strip() == "1")
        try:
            net.add(a)
            check("a name in use is refused", False)
        except RuntimeError:
            check("a name in use is refused", True)
        check("stop() ends the server (SIGTERM)", net.stop(server) == -signal.SIGTERM)
        started = time.monotonic()
        try:
            net.wait_listening(b, 8080, timeout=0.5)
            check("a wait for a port nobody listens on fails", False)
        except RuntimeError:
            check("a wait for a port nobody listens on fails, bounded", time.monotonic() - started < 5)
    check("close() deletes the namespaces", not {a, b} & namespaces())
    for how in ("term", "raise"):
        ended_run_leaves_nothing(how)
    check("no veth is left in the host's namespace", host_veths() == veths_before, host_veths())
    print(f"\n{'PASS' if not FAILURES else 'FAIL: ' + '; '.join(FAILURES)}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
