#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Speaks XMRig's side of Monero Stratum, byte for byte in its format (compact
JSON, newline-terminated): login, then a submit every --interval seconds and
keepalived when idle. For tests that need a miner's traffic without mining.
Plain or over TLS (--tls, with or without SNI: XMRig sends none by default).
With --forever, shares come at random (exponential) intervals averaging
--interval and a keepalived goes out after 60 s without one, as XMRig's do.
Exits 0 after --submits shares, 3 when the pool cannot be reached or is lost."""

import argparse
import json
import random
import socket
import ssl
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--submits", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--forever", action="store_true", help="submit until the pool is lost")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--sni", help="with --tls: the name in the ClientHello (default: none, like XMRig)")
    parser.add_argument("--bind", help="the miner's own address")
    args = parser.parse_args()

    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.timeout,
                                        source_address=(args.bind, 0) if args.bind else None)
        if args.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the lab's self-signed certificate
            sock = context.wrap_socket(sock, server_hostname=args.sni)
    except OSError as error:
        print(f"cannot reach pool: {error}", flush=True)
        return 3
    reader = sock.makefile("r")

    def call(rid, method, params):
        message = {"id": rid, "jsonrpc": "2.0", "method": method, "params": params}
        sock.sendall((json.dumps(message, separators=(",", ":")) + "\n").encode())
        while True:
            line = reader.readline()
            if not line:
                raise ConnectionError("pool closed the connection")
            answer = json.loads(line)
            if answer.get("id") == rid:
                return answer

    try:
        login = call(1, "login", {"login": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
                                  "pass": "x", "agent": "XMRig/6.16.4 (Linux x86_64) libuv/1.42.0 gcc/10.2.1",
                                  "rigid": "", "algo": ["cn-pico", "cn-pico/tlo"]})
        job = login["result"]["job"]
        if args.forever:
            sock.settimeout(max(args.timeout, 3 * args.interval, 60))
            rid, last_sent = 2, time.monotonic()
            while True:
                share_at = time.monotonic() + max(0.5, random.expovariate(1 / args.interval))
                while share_at - last_sent > 60:  # idle a minute: XMRig's keepalived
                    time.sleep(max(0.0, last_sent + 60 - time.monotonic()))
                    call(rid, "keepalived", {"id": login["result"]["id"]})
                    rid, last_sent = rid + 1, time.monotonic()
                time.sleep(max(0.0, share_at - time.monotonic()))
                call(rid, "submit", {"id": login["result"]["id"], "job_id": job["job_id"],
                                     "nonce": f"{rid:08x}", "result": "00" * 31 + "01"})
                rid, last_sent = rid + 1, time.monotonic()
        for n in range(args.submits):
            time.sleep(args.interval)
            call(2 + n, "submit", {"id": login["result"]["id"], "job_id": job["job_id"],
                                   "nonce": f"{n:08x}", "result": "00" * 31 + "01"})
        call(100, "keepalived", {"id": login["result"]["id"]})
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError, ConnectionError) as error:
        print(f"lost the pool: {error}", flush=True)
        return 3
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
