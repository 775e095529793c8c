#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The servers of the lab's hard negatives: benign protocols with a miner's
rhythm (long-lived, small messages both ways, minutes apart). One kind per
process, one thread per client, TLS unless the kind is plain on the wire:
  eventstream  pushes a small JSON event every 20-40 s; answers pings
  websocket    HTTP upgrade, then pushes text frames every 15-45 s and pings
               every 30 s; answers the client's pings with pongs
  grpc         a bidirectional stream: length-prefixed messages at irregular
               intervals, independent of the client's
  ssh          plain TCP: banners, then echoes every client packet at once
  mqtt         MQTT 3.1.1: CONNACK, SUBACK, PINGRESP, and a PUBLISH every 20-90 s
  longpoll     HTTP/1.1 keep-alive: holds each GET 20-60 s, then answers
Only ever bound to addresses inside the lab's own network namespaces."""

import argparse
import json
import os
import random
import sys
import time

import lab_protocols as p


def eventstream(sock, args):
    seq = [0]

    def on_message(line):
        message = json.loads(line)
        if message.get("type") == "ping":
            sock.sendall(b'{"type":"pong"}\n')

    def on_timer(_):
        seq[0] += 1
        event = {"type": "event", "id": seq[0], "ts": round(time.time(), 3),
                 "data": {"channel": "orders", "count": random.randint(0, 9)}}
        sock.sendall(json.dumps(event, separators=(",", ":")).encode() + b"\n")

    p.serve_loop(sock, p.line_parse, on_message, p.Timers(push=lambda: random.uniform(20, 40)), on_timer)


def websocket(sock, args):
    import base64
    import hashlib
    head, rest = p.read_http_head(sock)
    if head is None:
        return
    key = next((line.split(":", 1)[1].strip() for line in head.split("\r\n")
                if line.lower().startswith("sec-websocket-key:")), "")
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    seq = [0]

    def on_message(frame):
        opcode, data = frame
        if opcode == p.WS_PING:
            sock.sendall(p.ws_frame(p.WS_PONG, data, masked=False))
        elif opcode == p.WS_CLOSE:
            raise ConnectionError("closed")

    def on_timer(name):
        if name == "push":
            seq[0] += 1
            body = json.dumps({"op": "update", "seq": seq[0], "price": round(random.uniform(90, 110), 2)})
            sock.sendall(p.ws_frame(p.WS_TEXT, body.encode(), masked=False))
        else:
            sock.sendall(p.ws_frame(p.WS_PING, b"", masked=False))

    timers = p.Timers(push=lambda: random.uniform(15, 45), ping=lambda: 30.0)
    p.serve_loop(sock, p.ws_parse, on_message, timers, on_timer, rest)


def grpc(sock, args):
    def on_timer(_):
        sock.sendall(p.lp_message(os.urandom(random.randint(12, 240))))

    p.serve_loop(sock, p.lp_parse, lambda _: None, p.Timers(send=lambda: random.uniform(2, 25)), on_timer)


def ssh(sock, args):
    sock.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")

    def on_message(data):
        sock.sendall(os.urandom(len(data)))  # the echo: as long as what was typed, encrypted

    def chunks(buf):
        if b"\r\n" in buf and buf.startswith(b"SSH-"):  # the client's banner
            return b"", buf.split(b"\r\n", 1)[1]
        return (buf, b"") if buf else (None, buf)

    p.serve_loop(sock, chunks, lambda data: data and on_message(data), p.Timers(), lambda _: None)


def mqtt(sock, args):
    def on_message(packet):
        kind, _, body = packet
        if kind == p.CONNECT:
            sock.sendall(p.mqtt_packet(p.CONNACK, 0, b"\0\0"))
        elif kind == p.SUBSCRIBE:
            sock.sendall(p.mqtt_packet(p.SUBACK, 0, body[:2] + b"\0"))
        elif kind == p.PINGREQ:
            sock.sendall(p.mqtt_packet(p.PINGRESP, 0, b""))
        elif kind == p.DISCONNECT:
            raise ConnectionError("disconnected")

    def on_timer(_):
        reading = json.dumps({"sensor": "t1", "celsius": round(random.uniform(18, 24), 1)}).encode()
        sock.sendall(p.mqtt_publish("site/sensors/t1", reading))

    p.serve_loop(sock, p.mqtt_parse, on_message, p.Timers(publish=lambda: random.uniform(20, 90)), on_timer)


def longpoll(sock, args):
    buf = b""
    while True:
        head, buf = p.read_http_head(sock, buf)
        if head is None:
            return
        time.sleep(random.uniform(args.hold_min, args.hold_max) * p.PACE)
        body = json.dumps({"events": [{"id": random.randint(1, 10 ** 6), "kind": "notice"}]}).encode()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)


PLAIN = {"ssh"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["eventstream", "websocket", "grpc", "ssh", "mqtt", "longpoll"])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--hold-min", type=float, default=20.0, help="longpoll: shortest hold, s")
    parser.add_argument("--hold-max", type=float, default=60.0, help="longpoll: longest hold, s")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="multiplies every timer (pushes, pings, keystrokes, holds): 2 is half as often")
    args = parser.parse_args()
    if args.pace <= 0:
        parser.error("--pace must be above 0")
    p.PACE = args.pace
    context = None if args.kind in PLAIN else p.tls_server_context(args.cert, args.key)
    serve = globals()[args.kind]
    p.serve_connections(args.kind, args.listen, args.port, context, lambda sock: serve(sock, args))


if __name__ == "__main__":
    sys.exit(main())
