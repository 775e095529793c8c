# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Wire formats the lab's hard negatives speak, both sides: WebSocket frames
(RFC 6455), MQTT 3.1.1 control packets, gRPC's length-prefixed messages, and
a connection loop that reads while waiting for the next timer. Python stdlib
only; each parser takes a byte buffer and returns (message, rest) or (None,
buffer) when the message is not complete yet."""

import os
import socket
import socketserver
import ssl
import struct
import time

WS_TEXT, WS_CLOSE, WS_PING, WS_PONG = 0x1, 0x8, 0x9, 0xA


def tls_client_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
    return context


def tls_server_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def serve_connections(name, listen, port, context, serve):
    """Accepts on listen:port (IPv4 or IPv6) until killed; each connection,
    wrapped in TLS when there is a context, goes to serve(sock) on a thread
    of its own. A connection that fails ends quietly: peers may be rude."""
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            sock = self.request
            try:
                if context:
                    sock = context.wrap_socket(sock, server_side=True)
                serve(sock)
            except (OSError, ValueError):  # ConnectionError and ssl.SSLError are OSErrors
                pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        address_family = socket.AF_INET6 if ":" in listen else socket.AF_INET

    server = Server((listen, port), Handler)
    print(f"{name} listening on {listen}:{port}", flush=True)
    server.serve_forever()


def connect(host, port, bind=None, tls=False, sni=None, timeout=30):
    sock = socket.create_connection((host, port), timeout=timeout, source_address=(bind, 0) if bind else None)
    if tls:
        sock = tls_client_context().wrap_socket(sock, server_hostname=sni)  # None: no SNI at all
    return sock


# -- HTTP ---------------------------------------------------------------------

def read_http_head(sock, buf=b""):
    """An HTTP message's head (text) and what followed it in the same reads,
    starting from `buf`; (None, b"") when the other side closes first."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(4096)
        if not data:
            return None, b""
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode(errors="replace"), rest


# -- WebSocket ----------------------------------------------------------------

def ws_frame(opcode, payload, masked):
    """One final frame; clients mask theirs (RFC 6455 5.3), servers do not."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    length = bytes([n]) if n < 126 else bytes([126]) + struct.pack("!H", n)
    if not masked:
        return head + length + payload
    mask = os.urandom(4)
    length = bytes([length[0] | 0x80]) + length[1:]
    return head + length + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_parse(buf):
    if len(buf) < 2:
        return None, buf
    opcode, n, at = buf[0] & 0x0F, buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None, buf
        n, at = struct.unpack("!H", buf[2:4])[0], 4
    mask = b""
    if buf[1] & 0x80:
        mask, at = buf[at:at + 4], at + 4
    if len(buf) < at + n:
        return None, buf
    data = buf[at:at + n]
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return (opcode, data), buf[at + n:]


# -- MQTT 3.1.1 ---------------------------------------------------------------

CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 1, 2, 3, 8, 9, 12, 13, 14


def mqtt_string(text):
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def mqtt_packet(kind, flags, body):
    n, length = len(body), b""
    while True:  # the remaining length, 7 bits a byte
        byte, n = n % 128, n // 128
        length += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return bytes([kind << 4 | flags]) + length + body


def mqtt_connect(client_id, keepalive):
    return mqtt_packet(CONNECT, 0, mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive)
                       + mqtt_string(client_id))


def mqtt_subscribe(packet_id, topic):
    return mqtt_packet(SUBSCRIBE, 0x2, struct.pack("!H", packet_id) + mqtt_string(topic) + b"\0")


def mqtt_publish(topic, payload):
    return mqtt_packet(PUBLISH, 0, mqtt_string(topic) + payload)  # QoS 0: no packet id


def mqtt_parse(buf):
    """((type, flags, body), rest)."""
    if len(buf) < 2:
        return None, buf
    n, shift, at = 0, 0, 1
    while True:
        if at >= len(buf):
            return None, buf
        byte = buf[at]
        n, shift, at = n | (byte & 0x7F) << shift, shift + 7, at + 1
        if not byte & 0x80:
            break
    if len(buf) < at + n:
        return None, buf
    return (buf[0] >> 4, buf[0] & 0x0F, buf[at:at + n]), buf[at + n:]


# -- gRPC-style length-prefixed messages --------------------------------------

def lp_message(payload):
    return b"\0" + struct.pack("!I", len(payload)) + payload  # not compressed, big-endian length


def lp_parse(buf):
    if len(buf) < 5:
        return None, buf
    n = struct.unpack("!I", buf[1:5])[0]
    if len(buf) < 5 + n:
        return None, buf
    return buf[5:5 + n], buf[5 + n:]


def line_parse(buf):
    if b"\n" not in buf:
        return None, buf
    line, rest = buf.split(b"\n", 1)
    return line, rest


# -- one connection, reading while waiting for timers --------------------------

# Every Timers delay is multiplied by this (the scripts' --pace): a lab run
# can slow or quicken the hard negatives' rhythm without new code.
PACE = 1.0


class Timers:
    """Named deadlines, each rescheduled by its own delay function (times PACE)."""

    def __init__(self, **delays):
        self.delays = {name: (lambda delay=delay: delay() * PACE) for name, delay in delays.items()}
        delays = self.delays
        now = time.monotonic()
        self.due = {name: now + delay() for name, delay in delays.items()}

    def wait(self):
        return max(0.01, min(self.due.values()) - time.monotonic()) if self.due else 1.0

    def fired(self):
        now, names = time.monotonic(), []
        for name, when in list(self.due.items()):
            if now >= when:
                names.append(name)
                self.due[name] = now + self.delays[name]()
        return names


def serve_loop(sock, parse, on_message, timers, on_timer, buf=b""):
    """Reads messages (handing each to on_message) and fires timers until the
    peer closes. Returns when the connection ends."""
    while True:
        while True:
            message, buf = parse(buf)
            if message is None:
                break
            on_message(message)
        sock.settimeout(timers.wait())
        try:
            data = sock.recv(65536)
            if not data:
                return
            buf += data
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        for name in timers.fired():
            on_timer(name)
