# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Network namespaces for the Python tests, the lab and the benches: make
namespaces and veth pairs between them, give them addresses, run and start
commands inside them, wait for a port to listen, and delete everything made
(processes first) when the run ends: on close(), at interpreter exit, and on
SIGTERM/SIGHUP (turned into SystemExit so `finally` blocks run too).

Names are the caller's, built from unique_tag() so two runs never collide;
a name already in use makes add() fail instead of sharing a namespace.
Devices are made inside namespaces only, never in the host's.

    net = Netns()
    node, peer = net.add(f"{tag}n"), net.add(f"{tag}p")
    net.veth(node, "n0", peer, "p0", "10.201.0.1/24", "10.201.0.2/24")
    net.spawn(peer, ["socat", ...], log="/tmp/x.log")
    net.wait_listening(peer, 5001)
    net.close()"""

import atexit
import os
import shutil
import signal
import subprocess
import threading
import time


def unique_tag(prefix):
    """A name stem no other run on this host has at the same time."""
    return f"{prefix}{os.getpid()}"


def sh(cmd, check=True, **kw):
    """Runs a command in the host's namespace (a string goes to the shell)."""
    r = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"failed ({r.returncode}): {cmd}\n{r.stdout}{r.stderr}")
    return r


def _exit_on(signum, _frame):
    raise SystemExit(128 + signum)


def _end_runs_on_signals():
    """SIGTERM and SIGHUP end the run through SystemExit, so the caller's
    finally blocks and the atexit teardown run; a handler the caller set
    is kept."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _exit_on)


class Netns:
    def __init__(self):
        self.namespaces = []  # made by this run, deleted by close()
        self.procs = []       # started by spawn(), ended by close()
        atexit.register(self.close)
        _end_runs_on_signals()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    # -- the network ---------------------------------------------------------
    def add(self, name, ipv6=True):
        """A new namespace with lo up; ipv6=False turns IPv6 off in it, so no
        router solicitation or DAD adds packets a test counts."""
        sh(["ip", "netns", "add", name])
        self.namespaces.append(name)
        self.ip(name, "link set lo up")
        if not ipv6:
            for scope in ("all", "default"):
                self.run(name, ["sysctl", "-qw", f"net.ipv6.conf.{scope}.disable_ipv6=1"])
        return name

    def ip(self, ns, args, check=True):
        """`ip -n ns args` (args a string of words); returns its stdout."""
        return sh(["ip", "-n", ns, *args.split()], check).stdout

    def veth(self, ns, dev, peer_ns, peer_dev, address=None, peer_address=None, up=True):
        """A veth pair from dev in ns to peer_dev in peer_ns (the same
        namespace is allowed), each end optionally addressed (CIDR) and up."""
        self.ip(ns, f"link add {dev} type veth peer name {peer_dev} netns {peer_ns}")
        for where, name, cidr in ((ns, dev, address), (peer_ns, peer_dev, peer_address)):
            if cidr:
                self.address(where, name, cidr)
            if up:
                self.ip(where, f"link set {name} up")

    def address(self, ns, dev, cidr, nodad=False):
        """Adds cidr to dev; nodad: an IPv6 address usable at once."""
        self.ip(ns, f"addr add {cidr} dev {dev}" + (" nodad" if nodad else ""))

    def mac(self, ns, dev):
        return self.run(ns, ["cat", f"/sys/class/net/{dev}/address"]).stdout.strip()

    def neighbour(self, ns, dev, address, mac):
        """A permanent neighbour entry: no ARP on the wire for that address."""
        self.ip(ns, f"neigh replace {address} lladdr {mac} dev {dev} nud permanent")

    def resolv_conf(self, ns, nameserver):
        """The resolv.conf `ip netns exec` mounts for ns (deleted by close())."""
        os.makedirs(f"/etc/netns/{ns}", exist_ok=True)
        with open(f"/etc/netns/{ns}/resolv.conf", "w") as f:
            f.write(f"nameserver {nameserver}\n")

    # -- commands inside a namespace -----------------------------------------
    @staticmethod
    def inside(ns, cmd, net_only=False):
        """cmd (a list) prefixed to run in ns. net_only enters just the
        network namespace with nsenter, keeping the host's mounts (an
        agent's pins must land in the host's bpffs; `ip netns exec`
        remounts /sys)."""
        prefix = ["nsenter", f"--net=/var/run/netns/{ns}"] if net_only else ["ip", "netns", "exec", ns]
        return prefix + list(cmd)

    def run(self, ns, cmd, check=True, **kw):
        """Runs cmd (a list, or a string for the shell) in ns and waits."""
        full = f"ip netns exec {ns} {cmd}" if isinstance(cmd, str) else self.inside(ns, cmd)
        return sh(full, check, **kw)

    def spawn(self, ns, cmd, log=None, net_only=False, **kw):
        """Starts cmd in ns in a session of its own, so stop() ends it with
        everything it started; output appended to log (a path), else
        inherited. close() ends it if nothing did before."""
        out = open(log, "ab") if log else None
        try:
            proc = subprocess.Popen(self.inside(ns, cmd, net_only), stdout=out,
                                    stderr=subprocess.STDOUT if out else None, start_new_session=True, **kw)
        finally:
            if out:
                out.close()  # the child has its own copy
        self.procs.append(proc)
        return proc

    @staticmethod
    def stop(proc, sig=signal.SIGTERM, grace=5.0):
        """Sends sig to proc's session, SIGKILL after grace seconds; returns
        the exit status (negative: the signal that ended it)."""
        if proc.poll() is not None:
            return proc.returncode
        Netns._signal(proc, sig)
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            Netns._signal(proc, signal.SIGKILL)
            return proc.wait()

    @staticmethod
    def _signal(proc, sig):
        """To proc's process group when it leads one (spawn() made it so),
        else to proc alone."""
        try:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def listening(self, ns, port, udp=False):
        """Whether a socket in ns listens on (TCP) or is bound to (UDP) port."""
        shown = self.run(ns, ["ss", "-Hlun" if udp else "-Hltn", "sport", "=", f":{port}"], check=False)
        return shown.returncode == 0 and shown.stdout.strip() != ""

    def wait_listening(self, ns, port, udp=False, timeout=15.0):
        """Bounded wait for listening(); raises when it never comes."""
        deadline = time.monotonic() + timeout
        while not self.listening(ns, port, udp):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {ns} port {port}/{'udp' if udp else 'tcp'} after {timeout}s")
            time.sleep(0.1)

    # -- the end -------------------------------------------------------------
    def close(self):
        """Ends every process started here, then any other left in our
        namespaces (they would keep them alive), then deletes the namespaces
        (their devices go with them). Safe to call more than once."""
        for proc in reversed(self.procs):
            self.stop(proc, grace=3.0)
        self.procs = []
        for ns in reversed(self.namespaces):
            sh(f"ip netns pids {ns} | xargs -r kill -9", check=False)
            sh(["ip", "netns", "del", ns], check=False)
            shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
        self.namespaces = []
