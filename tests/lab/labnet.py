# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The lab's network, on tests/support/netns_harness.py: a switch (a bridge
in its own namespace) joining a node, a pool and a web host over veth pairs,
static neighbours, and a resolver only the lab sees. Processes, waits and
the teardown (also on Ctrl-C and SIGTERM) are the harness's. Addresses are
the lab's own, inside namespaces it made."""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from netns_harness import Netns, sh  # noqa: E402

SUBNET = "10.123.0"
HOSTS = {"node": 1, "pool": 2, "web": 3}


def run(cmd, check=True):
    """A host command's stdout (what lab.py imports)."""
    return sh(cmd, check).stdout


class LabNet:
    def __init__(self, tag):
        self.net = Netns()
        self.ns = {name: f"mwl{tag}{name}" for name in ["sw", *HOSTS]}
        self.dev = {name: f"mwl{tag}{name[0]}" for name in HOSTS}  # the host's end of its cable

    @property
    def procs(self):
        """Processes the teardown ends (lab.py adds its own to it)."""
        return self.net.procs

    def addr(self, host):
        return f"{SUBNET}.{HOSTS[host]}"

    def exec_prefix(self, host):
        """A shell command's prefix that runs it in host's namespace."""
        return f"ip netns exec {self.ns[host]} "

    def up(self):
        for name in self.ns.values():
            self.net.add(name, ipv6=False)
        sw = self.ns["sw"]
        self.net.ip(sw, "link add br0 type bridge")
        self.net.ip(sw, "link set br0 up")
        for host in HOSTS:
            port = f"p{host}"
            self.net.veth(sw, port, self.ns[host], self.dev[host], peer_address=f"{self.addr(host)}/24")
            self.net.ip(sw, f"link set {port} master br0 up")
            # Wire-sized frames, as a NIC counts them: without segmentation
            # offloads the veth counters see each segment, as XDP does.
            for ns, dev in [(sw, port), (self.ns[host], self.dev[host])]:
                self.net.run(ns, ["ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"])
        # Static neighbours: no ARP on the wire, so the node's interface
        # counters hold only the IP traffic the sensor accounts.
        macs = {h: self.net.mac(self.ns[h], self.dev[h]) for h in HOSTS}
        for host in HOSTS:
            for other in HOSTS:
                if other != host:
                    self.net.neighbour(self.ns[host], self.dev[host], self.addr(other), macs[other])
        # Names resolve in the lab only: `ip netns exec` mounts this as resolv.conf.
        for host in HOSTS:
            self.net.resolv_conf(self.ns[host], self.addr("web"))

    def spawn(self, host, cmd, log, net_only=False, stdin=None):
        """cmd in host's namespace (net_only: its network only, keeping the
        host's mounts: the agent's bpffs pins)."""
        return self.net.spawn(self.ns[host], cmd, log, net_only=net_only, stdin=stdin)

    def stop(self, proc, sig=signal.SIGTERM, grace=5.0):
        return self.net.stop(proc, sig, grace)

    def wait_listening(self, host, port, udp=False, timeout=15.0):
        self.net.wait_listening(self.ns[host], port, udp, timeout)

    def down(self):
        self.net.close()
