#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Benign clients for the lab, one per invocation, each running until killed:
  longpoll HOST   HTTPS long-polling on one kept-alive connection
  websocket HOST  WebSocket over TLS with a ping every --interval seconds
  dns NAME...     a lookup of each name every --interval seconds
  bulk HOST       an 8 MiB HTTPS download every --interval seconds
  keystrokes      a line on stdout every --interval seconds (pipe it into ssh)
--bind picks the client's address, so the lab can tell its flows apart."""

import argparse
import base64
import http.client
import os
import socket
import ssl
import struct
import sys
import time


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
    return context


def source(args):
    return (args.bind, 0) if args.bind else None


def longpoll(args):
    conn = http.client.HTTPSConnection(args.target[0], 443, context=tls_context(), timeout=30,
                                       source_address=source(args))
    while True:
        conn.request("GET", "/poll")
        conn.getresponse().read()


def websocket(args):
    raw = socket.create_connection((args.target[0], 443), timeout=30, source_address=source(args))
    sock = tls_context().wrap_socket(raw, server_hostname=args.target[0])
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {args.target[0]}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(1024)
    while True:
        time.sleep(args.interval)
        payload, mask = b"hb", os.urandom(4)
        sock.sendall(bytes([0x89, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        sock.recv(64)  # the pong


def dns(args):
    server = open("/etc/resolv.conf").read().split("nameserver")[1].split()[0]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    ident = 0
    while True:
        for name in args.target:
            ident = (ident + 1) & 0xFFFF
            question = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
            sock.sendto(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1),
                        (server, 53))
            try:
                sock.recv(512)
            except socket.timeout:
                pass
        time.sleep(args.interval)


def bulk(args):
    while True:
        conn = http.client.HTTPSConnection(args.target[0], 443, context=tls_context(), timeout=30,
                                           source_address=source(args))
        conn.request("GET", "/bulk")
        conn.getresponse().read()
        conn.close()
        time.sleep(args.interval)


def keystrokes(args):
    n = 0
    while True:
        n += 1
        sys.stdout.write(f"echo {n}\n")
        sys.stdout.flush()
        time.sleep(args.interval)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["longpoll", "websocket", "dns", "bulk", "keystrokes"])
    parser.add_argument("target", nargs="*")
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--bind", help="the client's own address")
    args = parser.parse_args()
    try:
        globals()[args.kind](args)
    except (OSError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main())
