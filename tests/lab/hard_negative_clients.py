#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The clients of the lab's hard negatives (see hard_negative_servers.py),
one connection per process, running until killed:
  eventstream  acks each event at once, pings every 60 s
  websocket    masked frames: a ping every 25 s, an ack of each push, a pong
               to each of the server's pings
  grpc         length-prefixed messages at irregular intervals (1-20 s)
  ssh          a keystroke-sized packet every 1-5 s (the server echoes it)
  mqtt         CONNECT (keepalive --keepalive), SUBSCRIBE, a PINGREQ every
               keepalive
  longpoll     GET /poll, wait for the answer, again at once
--bind picks the client's address (a fleet is several clients, each its own
address). Exits 0 when killed, 3 when the server cannot be reached or is lost."""

import argparse
import base64
import json
import os
import random
import sys

import lab_protocols as p


def eventstream(sock, args):
    def on_message(line):
        message = json.loads(line)
        if message.get("type") == "event":
            sock.sendall(json.dumps({"type": "ack", "id": message["id"]}, separators=(",", ":")).encode() + b"\n")

    p.serve_loop(sock, p.line_parse, on_message, p.Timers(ping=lambda: 60.0),
                 lambda _: sock.sendall(b'{"type":"ping"}\n'))


def websocket(sock, args):
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /stream HTTP/1.1\r\nHost: {args.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head, rest = p.read_http_head(sock)
    if head is None:
        raise ConnectionError("no upgrade")
    if " 101 " not in head.split("\r\n")[0]:
        raise ConnectionError("upgrade refused")

    def on_message(frame):
        opcode, data = frame
        if opcode == p.WS_PING:
            sock.sendall(p.ws_frame(p.WS_PONG, data, masked=True))
        elif opcode == p.WS_TEXT:
            seq = json.loads(data).get("seq")
            sock.sendall(p.ws_frame(p.WS_TEXT, json.dumps({"op": "ack", "seq": seq}).encode(), masked=True))

    p.serve_loop(sock, p.ws_parse, on_message, p.Timers(ping=lambda: 25.0),
                 lambda _: sock.sendall(p.ws_frame(p.WS_PING, b"", masked=True)), rest)


def grpc(sock, args):
    p.serve_loop(sock, p.lp_parse, lambda _: None, p.Timers(send=lambda: random.uniform(1, 20)),
                 lambda _: sock.sendall(p.lp_message(os.urandom(random.randint(8, 160)))))


def ssh(sock, args):
    sock.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    # A keystroke under chacha20-poly1305 is one 36-byte packet; sometimes two.
    p.serve_loop(sock, lambda buf: (None, b""), lambda _: None, p.Timers(key=lambda: random.uniform(1, 5)),
                 lambda _: sock.sendall(os.urandom(random.choice([36, 36, 36, 72]))))


def mqtt(sock, args):
    sock.sendall(p.mqtt_connect(f"lab-{os.getpid()}", max(1, round(args.keepalive * p.PACE))))
    sock.sendall(p.mqtt_subscribe(1, "site/sensors/#"))
    p.serve_loop(sock, p.mqtt_parse, lambda _: None, p.Timers(ping=lambda: float(args.keepalive)),
                 lambda _: sock.sendall(p.mqtt_packet(p.PINGREQ, 0, b"")))


def longpoll(sock, args):
    sock.settimeout(120)
    while True:
        sock.sendall(f"GET /poll HTTP/1.1\r\nHost: {args.host}\r\nAccept: application/json\r\n\r\n".encode())
        head, body = p.read_http_head(sock)
        if head is None:
            raise ConnectionError("closed")
        length = int(next(line.split(":")[1] for line in head.split("\r\n")
                          if line.lower().startswith("content-length")))
        while len(body) < length:
            data = sock.recv(4096)
            if not data:
                raise ConnectionError("closed")
            body += data


PLAIN = {"ssh"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["eventstream", "websocket", "grpc", "ssh", "mqtt", "longpoll"])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--bind", help="the client's own address")
    parser.add_argument("--sni", help="the name to send in the ClientHello (default: none)")
    parser.add_argument("--keepalive", type=int, default=60, help="mqtt: keepalive, s")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="multiplies every timer (pushes, pings, keystrokes, holds): 2 is half as often")
    args = parser.parse_args()
    if args.pace <= 0:
        parser.error("--pace must be above 0")
    p.PACE = args.pace
    try:
        sock = p.connect(args.host, args.port, bind=args.bind, tls=args.kind not in PLAIN, sni=args.sni)
    except OSError as error:
        print(f"cannot reach {args.host}:{args.port}: {error}", flush=True)
        return 3
    try:
        globals()[args.kind](sock, args)
    except (OSError, ValueError, ConnectionError, StopIteration) as error:
        print(f"lost {args.host}:{args.port}: {error}", flush=True)
        return 3
    except KeyboardInterrupt:
        return 0
    print(f"{args.host}:{args.port} closed the connection", flush=True)
    return 3


if __name__ == "__main__":
    sys.exit(main())
