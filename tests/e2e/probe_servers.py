#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Servers that are not pools, for the prober's test (prober_netns_test),
one kind per process, TLS when given --cert and --key:
  echo     sends every line back as it came (JSON-RPC naming mining methods)
  events   pushes a small JSON event (not JSON-RPC) at once and every 0.2 s
  silent   accepts, reads, never answers
  garbage  sends 1 MB of random bytes at once
  flood    sends one JSON-looking line of 1 MB that never ends
  reset    accepts (and completes TLS), then resets the connection
  sni      sends one JSON line (not JSON-RPC) naming the SNI the client sent
Only ever bound to addresses inside the test's own network namespaces."""

import argparse
import json
import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
import lab_protocols  # noqa: E402  (the lab's one threaded connection server)


def echo(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            sock.sendall(line + b"\n")


def events(sock):
    sock.settimeout(0.2)
    seq = 0
    while True:
        seq += 1
        event = {"type": "event", "id": seq, "ts": round(time.time(), 3), "data": {"channel": "orders"}}
        sock.sendall(json.dumps(event, separators=(",", ":")).encode() + b"\n")
        try:
            if sock.recv(4096) == b"":
                return
        except (socket.timeout, ssl.SSLWantReadError):
            pass


def silent(sock):
    while sock.recv(4096):
        pass


def garbage(sock):
    sock.sendall(os.urandom(1 << 20))
    silent(sock)


def flood(sock):
    sock.sendall(b'{"id":1,"result":"' + b"x" * (1 << 20))
    silent(sock)


def reset(sock):
    # SO_LINGER 0: close sends a RST rather than a FIN (and no TLS close_notify).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def sni(sock):
    name = getattr(sock, "sni_seen", None)
    sock.sendall(json.dumps({"type": "sni", "name": name}).encode() + b"\n")
    silent(sock)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["echo", "events", "silent", "garbage", "flood", "reset", "sni"])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        context.sni_callback = lambda sock, name, _: setattr(sock, "sni_seen", name)

    lab_protocols.serve_connections(args.kind, args.listen, args.port, context, globals()[args.kind])


if __name__ == "__main__":
    sys.exit(main())
