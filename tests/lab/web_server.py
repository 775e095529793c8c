#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The lab's benign web host, over HTTPS: long-polling (/poll holds each
request a few seconds), bulk downloads (/bulk), and a WebSocket (/ws) that
answers every ping with a pong. Traffic that, like mining, is long-lived and
periodic, and must never be flagged."""

import argparse
import base64
import hashlib
import http.server
import socketserver
import ssl
import struct
import time

BULK = bytes(range(256)) * 4096 * 8  # 8 MiB


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hold = 3.0

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/poll"):
            time.sleep(self.hold)
            self.reply(b'{"events":[]}', "application/json")
        elif self.path.startswith("/bulk"):
            self.reply(BULK, "application/octet-stream")
        elif self.path.startswith("/ws"):
            self.websocket()
        else:
            self.reply(b"minewatch lab\n", "text/plain")

    def reply(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", self.rfile.read(2))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 0x8:
                return
            if opcode == 0x9:  # ping -> pong
                self.wfile.write(bytes([0x8A, len(data)]) + data)
                self.wfile.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--hold", type=float, default=3.0)
    args = parser.parse_args()
    Handler.hold = args.hold
    server = Server((args.listen, args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"web listening on {args.listen}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
