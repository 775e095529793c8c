# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What the Python end-to-end tests share: running a command, recording a
check, a bounded wait, and the two ends of a run (refuse to start without
root or a tool, never skip; say PASS or FAIL with the agent's log)."""

import shutil
import subprocess
import sys
import time

FAILURES = []


def run(cmd, check=True, text=True, **kw):
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=text, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"failed ({r.returncode}): {cmd}\n{r.stdout!r}{r.stderr!r}")
    return r


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + str(detail) if detail and not ok else ''}", flush=True)
    if not ok:
        FAILURES.append(what)
    return ok


def wait_for(predicate, timeout=15.0):
    """Polls until predicate() is truthy; returns its value (or the last)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def preflight(name, tools):
    """0 when the test can run as asked; else says why and returns 1: a test
    that cannot run fails, it never skips."""
    import os
    if os.geteuid() != 0:
        print(f"{name}: must run as root (namespaces, BPF); refusing to skip", file=sys.stderr)
        return 1
    for tool in tools:
        if not shutil.which(tool):
            print(f"{name}: {tool} is missing (scripts/install-deps.sh installs it)", file=sys.stderr)
            return 1
    return 0


def log_if_failed(path):
    """The agent's log, for verdict(), when a check failed and it exists."""
    import os
    return open(path).read() if FAILURES and os.path.exists(path) else ""


def verdict(agent_log=""):
    """The run's end: the agent's log on failure, PASS or FAIL, the exit status."""
    if FAILURES and agent_log:
        print("--- agent log (tail) ---\n" + agent_log[-3000:])
    print(f"\n{'PASS' if not FAILURES else 'FAIL: ' + '; '.join(FAILURES)}")
    return 1 if FAILURES else 0
