# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Network namespaces for the lab: a switch (a bridge in its own namespace)
joining a node, a pool and a web host over veth pairs; processes started in
them; and a teardown that ends every process and deletes every namespace,
also on Ctrl-C. Addresses are the lab's own, inside namespaces it made."""

import os
import shutil
import signal
import subprocess
import time

SUBNET = "10.123.0"
HOSTS = {"node": 1, "pool": 2, "web": 3}


def run(cmd, check=True):
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"command failed ({result.returncode}): {cmd}\n{result.stdout}{result.stderr}")
    return result.stdout


class LabNet:
    def __init__(self, tag):
        self.tag = tag
        self.ns = {name: f"mwl{tag}{name}" for name in ["sw", *HOSTS]}
        self.dev = {name: f"mwl{tag}{name[0]}" for name in HOSTS}  # the host's end of its cable
        self.procs = []
        self.made = []

    def addr(self, host):
        return f"{SUBNET}.{HOSTS[host]}"

    def exec_prefix(self, host):
        return f"ip netns exec {self.ns[host]} "

    def up(self):
        for name in self.ns.values():
            run(f"ip netns add {name}")
            self.made.append(name)
            run(f"ip netns exec {name} sysctl -qw net.ipv6.conf.all.disable_ipv6=1")
            run(f"ip netns exec {name} sysctl -qw net.ipv6.conf.default.disable_ipv6=1")
            run(f"ip -n {name} link set lo up")
        sw = self.ns["sw"]
        run(f"ip -n {sw} link add br0 type bridge")
        run(f"ip -n {sw} link set br0 up")
        for host in HOSTS:
            port = f"p{host}"
            run(f"ip -n {sw} link add {port} type veth peer name {self.dev[host]} netns {self.ns[host]}")
            run(f"ip -n {sw} link set {port} master br0 up")
            run(f"ip -n {self.ns[host]} addr add {self.addr(host)}/24 dev {self.dev[host]}")
            run(f"ip -n {self.ns[host]} link set {self.dev[host]} up")
            # Wire-sized frames, as a NIC counts them: without segmentation
            # offloads the veth counters see each segment, as XDP does.
            for ns, dev in [(sw, port), (self.ns[host], self.dev[host])]:
                run(f"ip netns exec {ns} ethtool -K {dev} tso off gso off gro off")
        # Static neighbours: no ARP on the wire, so the node's interface
        # counters hold only the IP traffic the sensor accounts.
        macs = {h: run(f"{self.exec_prefix(h)}cat /sys/class/net/{self.dev[h]}/address").strip() for h in HOSTS}
        for host in HOSTS:
            for other in HOSTS:
                if other != host:
                    run(f"ip -n {self.ns[host]} neigh replace {self.addr(other)} lladdr {macs[other]} "
                        f"dev {self.dev[host]} nud permanent")
        # Names resolve in the lab only: `ip netns exec` mounts this as resolv.conf.
        for host in HOSTS:
            os.makedirs(f"/etc/netns/{self.ns[host]}", exist_ok=True)
            with open(f"/etc/netns/{self.ns[host]}/resolv.conf", "w") as f:
                f.write(f"nameserver {self.addr('web')}\n")

    def spawn(self, host, cmd, log, net_only=False, stdin=None):
        """Starts cmd in host's namespace, in a session of its own (so it can
        be ended with everything it started). net_only: enter only the network
        namespace, keeping the host's mounts (the agent's bpffs pins)."""
        prefix = ["nsenter", f"--net=/var/run/netns/{self.ns[host]}"] if net_only else \
            ["ip", "netns", "exec", self.ns[host]]
        out = open(log, "ab")
        proc = subprocess.Popen(prefix + cmd, stdout=out, stderr=subprocess.STDOUT, stdin=stdin,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, grace=5.0):
        if proc.poll() is not None:
            return proc.returncode
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait()

    def wait_listening(self, host, port, udp=False, timeout=15.0):
        flag = "-Hlun" if udp else "-Hltn"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f":{port} " in run(f"{self.exec_prefix(host)}ss {flag}", check=False):
                return
            time.sleep(0.1)
        raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s")

    def down(self):
        for proc in reversed(self.procs):
            self.stop(proc, grace=3.0)
        for name in self.made:
            run(f"ip netns pids {name} | xargs -r kill -9", check=False)
            run(f"ip netns del {name}", check=False)
            shutil.rmtree(f"/etc/netns/{name}", ignore_errors=True)
        self.made = []
