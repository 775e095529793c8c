#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A small Stratum pool for tests: Monero-style JSON-RPC (login, job, submit,
keepalived) as XMRig speaks it, plain and over TLS, with a new job on a timer
and a configurable difficulty. Accepts every share: it is a lab, not a pool.
Also answers the other dialects the agent's prober speaks (Stratum v1,
EthereumStratum/1.0.0, ETH proxy); --dialect limits it to some of them, and
then it answers the others' methods "Method not found", as a pool of one
dialect does. Only ever bound to addresses inside the test's own network
namespaces."""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

# A cn-pico (CryptoNight-Turtle) job XMRig accepts: 76-byte blob, nonce at 39.
BLOB = ("0e0ee8b8dd8f06" + "a0" * 32 + "00000000" + "b1" * 32 + "05")
SEED = "c0" * 32
DIALECTS = ["monero-login", "stratum-v1", "ethereum-stratum", "eth-proxy"]
# ETH work: header hash, seed hash, target (32 bytes each, 0x-hex).
ETH_HEADER, ETH_SEED, ETH_TARGET = "0x" + "ab" * 32, "0x" + "5e" * 32, "0x" + "00000000ffff" + "ff" * 26


def target_for(difficulty):
    # XMRig's compact target: 32-bit little-endian of 2^32 / difficulty.
    value = max(1, min(0xFFFFFFFF, (1 << 32) // max(1, difficulty)))
    return value.to_bytes(4, "little").hex()


class Pool:
    def __init__(self, args):
        self.args = args
        self.job_seq = 0
        self.sessions = set()
        self.shares = 0

    def job(self):
        self.job_seq += 1
        return {"blob": BLOB, "job_id": str(self.job_seq), "target": target_for(self.args.difficulty),
                "algo": self.args.algo, "height": 1000 + self.job_seq, "seed_hash": SEED, "id": "lab"}

    async def send(self, writer, message):
        writer.write((json.dumps(message, separators=(",", ":")) + "\n").encode())
        await writer.drain()

    async def push_jobs(self, writer):
        while True:
            await asyncio.sleep(self.args.job_interval)
            await self.send(writer, {"jsonrpc": "2.0", "method": "job", "params": self.job()})

    def speaks(self, dialect):
        return not self.args.dialect or dialect in self.args.dialect

    async def not_found(self, writer, rid):
        await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}})

    async def ethereum_stratum(self, writer, method, rid, session):
        """NiceHash's EthereumStratum/1.0.0: subscribe names the protocol,
        authorize is followed by a difficulty and a job."""
        if method == "mining.subscribe":
            session["ethereum_stratum"] = True
            await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": None,
                                     "result": [["mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f",
                                                 "EthereumStratum/1.0.0"], "080c"]})
        else:  # mining.authorize
            await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": None, "result": True})
            await self.send(writer, {"id": None, "method": "mining.set_difficulty", "params": [0.5]})
            self.job_seq += 1
            await self.send(writer, {"id": None, "method": "mining.notify",
                                     "params": [f"{self.job_seq:08x}", ETH_SEED[2:], ETH_HEADER[2:], True]})

    async def handle(self, reader, writer):
        pusher = None
        session = {}
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    request = json.loads(line)
                except ValueError:
                    continue
                method, rid = request.get("method"), request.get("id")
                params = request.get("params")
                names_es = isinstance(params, list) and "EthereumStratum/1.0.0" in params
                if method == "mining.subscribe" and names_es and self.speaks("ethereum-stratum"):
                    await self.ethereum_stratum(writer, method, rid, session)
                elif method == "mining.authorize" and session.get("ethereum_stratum"):
                    await self.ethereum_stratum(writer, method, rid, session)
                elif method in ("eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate"):
                    if not self.speaks("eth-proxy"):
                        await self.not_found(writer, rid)
                    elif method == "eth_getWork":
                        await self.send(writer, {"id": rid, "jsonrpc": "2.0",
                                                 "result": [ETH_HEADER, ETH_SEED, ETH_TARGET]})
                    else:
                        await self.send(writer, {"id": rid, "jsonrpc": "2.0", "result": True})
                elif method in ("login", "submit", "keepalived") and not self.speaks("monero-login"):
                    await self.not_found(writer, rid)
                elif method in ("mining.subscribe", "mining.authorize") and not self.speaks("stratum-v1"):
                    await self.not_found(writer, rid)
                elif method == "login":
                    await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": None,
                                             "result": {"id": "lab", "job": self.job(), "status": "OK",
                                                        "extensions": ["algo", "keepalive"]}})
                    if pusher is None:
                        pusher = asyncio.ensure_future(self.push_jobs(writer))
                elif method == "submit":
                    self.shares += 1
                    print(f"share {self.shares}", flush=True)
                    await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}})
                elif method == "keepalived":
                    await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": None,
                                             "result": {"status": "KEEPALIVED"}})
                elif method == "mining.subscribe":  # Stratum v1 clients
                    await self.send(writer, {"id": rid, "result": [[["mining.notify", "1"]], "08000002", 4],
                                             "error": None})
                elif method == "mining.authorize":
                    await self.send(writer, {"id": rid, "result": True, "error": None})
                elif self.args.dialect:
                    await self.not_found(writer, rid)
                else:
                    await self.send(writer, {"id": rid, "jsonrpc": "2.0", "error": {"code": -1, "message": "?"}})
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if pusher:
                pusher.cancel()
            writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3333, help="the plain port (0: none)")
    parser.add_argument("--tls-port", type=int, action="append", default=[], help="a TLS port (repeatable)")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--difficulty", type=int, default=1000)
    parser.add_argument("--job-interval", type=float, default=30.0)
    parser.add_argument("--algo", default="cn-pico")
    parser.add_argument("--dialect", action="append", choices=DIALECTS, default=[],
                        help="answer only this dialect (repeatable; default: all)")
    args = parser.parse_args()

    pool = Pool(args)
    servers = [await asyncio.start_server(pool.handle, args.listen, args.port)] if args.port else []
    if args.tls_port:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        for port in args.tls_port:
            servers.append(await asyncio.start_server(pool.handle, args.listen, port, ssl=context))
    print(f"pool listening on {args.listen}:{args.port or '-'}" +
          (f" and TLS :{', :'.join(map(str, args.tls_port))}" if args.tls_port else ""), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
