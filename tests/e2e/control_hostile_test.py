#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The control socket against hostile and careless clients, on a real agent:
bad bytes (invalid UTF-8, NUL, a line too long, deep nesting) each get one
JSON line and the agent lives on; a client that queues thousands of
requests and never reads does not stop other clients or the agent's ticks,
and is dropped; a flood of connections beyond the cap (under a low fd
limit) is turned away while others are still served; a `socket:` path that
is a regular file is refused and the file kept; under umask 000 the socket
is 0660 and its directory 0750, both of `socket_group`; a non-root member
of that group may read but not change rules.

Needs root: it makes a network namespace with a veth pair (no traffic
leaves it) and deletes it, and every process it started, on exit. Every
wait is bounded; nothing is asserted by sleeping."""

import argparse
import grp
import json
import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import e2e_check  # noqa: E402
from e2e_check import FAILURES, check, preflight, verdict, wait_for  # noqa: E402
from netns_harness import Netns, unique_tag  # noqa: E402


def run(cmd, check=True, **kw):
    """e2e_check.run in bytes: this test sends \xff on purpose."""
    return e2e_check.run(cmd, check, text=False, **kw)


TAG = unique_tag("mwctl")
NODE = f"{TAG}n"
PORT = 9405
GROUP = "nogroup"       # gid 65534 on Debian; the unprivileged user below is in it
NOBODY = 65534
AGENT_FD_LIMIT = 300    # the agent's RLIMIT_NOFILE for the flood: cap = 300 - 128




def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def exchange(path, raw, timeout=5.0):
    """Sends raw bytes, closes the sending side, returns all that came back
    (until EOF or `timeout` without a byte)."""
    s = connect(path, timeout)
    try:
        try:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the agent closed first (a line too long): read its answer
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
        return data
    finally:
        s.close()


class Lab:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="mwctl-")
        os.chmod(self.tmp, 0o755)  # the unprivileged client must reach the socket's directory
        self.pin_root = f"/sys/fs/bpf/{TAG}"
        self.socket_dir = f"{self.tmp}/run/minewatch"
        self.socket = f"{self.socket_dir}/minewatch.sock"
        self.net = Netns()

    def up(self):
        self.net.add(NODE)
        self.net.veth(NODE, "n0", NODE, "n1")

    def down(self):
        self.net.close()  # the agents first
        run(f"rm -rf {self.pin_root}", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def config(self, name, socket_path, extra=""):
        path = f"{self.tmp}/{name}.yaml"
        with open(path, "w") as f:
            f.write(f"""pin_root: {self.pin_root}
socket: {socket_path}
socket_group: {GROUP}
events: {self.tmp}/events.jsonl
shutdown: fail-open
http:
  listen: 127.0.0.1:{PORT}
agent:
  tick_ms: 200
{extra}""")
        return path

    def start(self, config, log_name):
        def setup():
            os.umask(0)  # the agent must not depend on a sane umask
            resource.setrlimit(resource.RLIMIT_NOFILE, (AGENT_FD_LIMIT, AGENT_FD_LIMIT))
        log = f"{self.tmp}/{log_name}.log"
        open(log, "w").close()  # each agent's log starts empty
        return self.net.spawn(NODE, [self.args.agent, "--iface", "n0", "--config", config], log, net_only=True,
                              preexec_fn=setup)

    def log(self, name):
        try:
            return open(f"{self.tmp}/{name}.log", errors="replace").read()
        except OSError:
            return ""

    def cli(self, *args, user=None, timeout=10):
        cmd = [self.args.cli, "--socket", self.socket, *args]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
        try:
            return run(cmd, check=False, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, -1, b"", b"(timed out)")

    def status(self):
        r = self.cli("status", "--json")
        return json.loads(r.stdout) if r.returncode == 0 else None

    def metric(self, name):
        r = self.net.run(NODE, ["curl", "-s", "--max-time", "3", f"http://127.0.0.1:{PORT}/metrics"], check=False,
                         errors="replace")
        for line in r.stdout.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return -1

    def healthz(self):
        r = self.net.run(NODE, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3",
                                f"http://127.0.0.1:{PORT}/healthz"], check=False)
        return r.stdout.strip() == "200"


def read_text(path):
    """The regular file's text, None if it is gone or no longer a file."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def one_json_error(data):
    """The answer is exactly one line of JSON saying no."""
    lines = data.split(b"\n")
    if len(lines) != 2 or lines[1] != b"":
        return False
    try:
        answer = json.loads(lines[0])
    except ValueError:
        return False
    return answer.get("ok") is False and isinstance(answer.get("error"), str)


def test_regular_file_refused(lab):
    precious = f"{lab.tmp}/precious"
    with open(precious, "w") as f:
        f.write("not a socket\n")
    agent = lab.start(lab.config("file", precious), "file")
    try:
        code = agent.wait(timeout=20)
    except subprocess.TimeoutExpired:
        agent.kill()
        code = None
    log = lab.log("file")
    check("socket: on a regular file: the agent refuses to start", code not in (None, 0), code)
    check("... naming the path", precious in log and "not a socket" in log, log[-400:])
    check("... in one line", len([l for l in log.splitlines() if "not a socket" in l]) == 1, log[-400:])
    check("... and the file is kept", read_text(precious) == "not a socket\n", read_text(precious))


def test_modes(lab):
    gid = grp.getgrnam(GROUP).gr_gid
    for path in (f"{lab.tmp}/run", lab.socket_dir):
        st = os.stat(path)
        check(f"under umask 000 {os.path.relpath(path, lab.tmp)}/ is 0750", stat.S_IMODE(st.st_mode) == 0o750,
              oct(st.st_mode))
        check(f"... and of {GROUP}", st.st_gid == gid, st.st_gid)
    st = os.stat(lab.socket)
    check("the socket is 0660", stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode))
    check(f"... and of {GROUP}", st.st_gid == gid, st.st_gid)


def test_bad_bytes(lab, agent):
    hostile = {
        "a lone 0xff": b"\xff\n",
        "0xff without a newline": b"\xff",
        "a NUL": b"\x00\n",
        "a NUL inside the command": b'{"cmd":"st\x00atus"}\n',
        "invalid UTF-8 in a string": b'{"cmd":"explain","flow":"\xff\xfe"}\n',
        "a lone surrogate": b'{"cmd":"explain","flow":"\\ud800"}\n',
        "control characters echoed": b'{"cmd":"explain","flow":"\\u0000\\u001b[2J\\n"}\n',
        "deep nesting": b"[" * 60000 + b"\n",
        "a negative count": b'{"cmd":"flows","top":-1}\n',
        "a number too big": b'{"cmd":"block_list","limit":1e400}\n',
        "a string for a number": b'{"cmd":"block_add","target":"10.0.0.0/8","ttl":"1h"}\n',
        "a command that is not a string": b'{"cmd":["status"]}\n',
        "not an object": b'"status"\n',
    }
    for what, raw in hostile.items():
        data = exchange(lab.socket, raw)
        check(f"{what}: one JSON line saying no", one_json_error(data), data[:200])
        check(f"... and the agent lives", agent.poll() is None)
    data = exchange(lab.socket, b"a" * 300000 + b"\n")
    check("a 300 KB line: one JSON line saying it is too long", one_json_error(data) and b"too long" in data,
          data[:200])
    # Bad bytes then a good request on one connection: still answered.
    data = exchange(lab.socket, b'\xff\n{"cmd":"status"}\n')
    lines = data.split(b"\n")
    check("after a bad line, the next request on the connection is answered",
          len(lines) == 3 and json.loads(lines[1]).get("ok") is True, data[:200])

    r = run([lab.args.cli, "--socket", lab.socket, "explain", b"\xff"], check=False, timeout=10)
    err = r.stderr.decode(errors="replace")
    check("minewatch explain $'\\xff': exit 1 with one line", r.returncode == 1 and err.count("\n") == 1, err)
    check("... not the JSON library's words", "json.exception" not in err and "UTF-8" not in err, err)
    check("the agent survived all of it", agent.poll() is None and lab.status() is not None)


def test_non_reader(lab, agent):
    # Thousands of requests queued, never a byte read back.
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.connect(lab.socket)
    stuck.setblocking(False)
    payload = b'{"cmd":"status"}\n' * 5000
    sent, deadline = 0, time.monotonic() + 3
    while sent < len(payload) and time.monotonic() < deadline:
        try:
            sent += stuck.send(payload[sent:])
        except BlockingIOError:
            time.sleep(0.01)
    check("the non-reader queued its requests", sent > 600 * 17, sent)
    try:
        for i in range(3):
            r = lab.cli("status", "--json", timeout=10)
            check(f"while it does not read, another client is answered ({i + 1}/3)", r.returncode == 0,
                  r.stderr[-200:])
        check("... and the agent keeps ticking (/healthz 200)", wait_for(lab.healthz, 5))
        dropped = wait_for(lambda: ((lab.status() or {}).get("control") or {}).get("dropped", 0) >= 1, 30)
        check("the non-reader is dropped after a while, and counted", dropped)
        check("... saying so in the log", "not read its answers" in lab.log("agent"), lab.log("agent")[-400:])
        check("... and in /metrics", wait_for(lambda: lab.metric("minewatch_control_dropped_total") >= 1, 5),
              lab.metric("minewatch_control_dropped_total"))
    finally:
        stuck.close()
    check("the agent lives", agent.poll() is None)


def test_flood(lab, agent):
    wanted = 400  # beyond both the cap and the agent's fd limit
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    flood, deadline = [], time.monotonic() + 15
    while len(flood) < wanted and time.monotonic() < deadline:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(lab.socket)
            flood.append(s)
        except BlockingIOError:  # the listen queue is full: the agent is not taking them
            s.close()
            time.sleep(0.01)
    try:
        check(f"{wanted} connections are taken off the listen queue", len(flood) == wanted, len(flood))
        answered = wait_for(lambda: lab.cli("status", "--json").returncode == 0, 15)
        check("with the flood connected, a new client is still answered", answered)
        status = lab.status() or {}
        control = status.get("control") or {}
        check("the cap stays below the agent's fd limit", 0 < control.get("max_clients", 0) < AGENT_FD_LIMIT, control)
        check("... connections beyond it are refused and counted", control.get("refused", 0) > 0, control)
        check("... at most the cap is connected", control.get("clients", 1 << 30) <= control.get("max_clients", 0),
              control)

        def refusals():
            n = 0
            for s in flood:
                try:
                    if b"too many control connections" in s.recv(4096):
                        n += 1
                except (BlockingIOError, ConnectionResetError):
                    pass
            return n
        check("... each refused one told so in one line", wait_for(refusals, 5) > 0)
    finally:
        for s in flood:
            s.close()
    check("after the flood, clients are answered", wait_for(lambda: lab.status() is not None, 10))
    check("the agent lives", agent.poll() is None)


def test_permissions(lab):
    r = lab.cli("status", "--json", user=NOBODY)
    check(f"uid {NOBODY} in {GROUP} can read status", r.returncode == 0, r.stderr)
    r = lab.cli("block", "list", "--json", user=NOBODY)
    check("... and list rules", r.returncode == 0, r.stderr)
    for args in (("block", "add", "198.51.100.7:3333"), ("allow", "add", "192.0.2.0/24"),
                 ("block", "del", "198.51.100.7:3333")):
        r = lab.cli(*args, user=NOBODY)
        err = r.stderr.decode(errors="replace")
        check(f"... but not {' '.join(args[:2])}: one line, permission denied",
              r.returncode == 1 and "permission denied" in err and err.count("\n") == 1, err)
    check("root still can", lab.cli("block", "add", "198.51.100.7:3333").returncode == 0)
    blocks = json.loads(lab.cli("block", "list", "--json").stdout)
    check("... and the rule is there", [b["target"] for b in blocks] == ["198.51.100.7:3333/tcp"], blocks)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--cli", required=True)
    args = parser.parse_args()
    if preflight("control_hostile_test", ("nsenter", "setpriv", "curl")):
        return 1
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        print(f"control_hostile_test: group {GROUP} is missing", file=sys.stderr)
        return 1

    lab = Lab(args)
    try:
        lab.up()
        test_regular_file_refused(lab)
        agent = lab.start(lab.config("agent", lab.socket), "agent")
        up = wait_for(lambda: agent.poll() is not None or lab.status() is not None, 30)
        if not check("the agent serves its socket", up and agent.poll() is None, lab.log("agent")[-600:]):
            return 1
        test_modes(lab)
        test_bad_bytes(lab, agent)
        test_non_reader(lab, agent)
        test_flood(lab, agent)
        test_permissions(lab)
    finally:
        agent_log = lab.log("agent") if FAILURES else ""
        lab.down()
    return verdict(agent_log)


if __name__ == "__main__":
    sys.exit(main())
