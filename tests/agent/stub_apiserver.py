#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A stand-in for the Kubernetes API server, as fleet_share meets it: HTTPS
on loopback with the test's own certificate; every request appended to
--log as one JSON line (method, path, authorization, content type, body)
before it is judged; answered as the API server would: 401 for another
token, 405 for another method, 404 for another path, 415 for another
content type, 422 for a body that is not one key added under data, else
200 with the ConfigMap. --hang: record, then never answer (a stuck API
server). Writes its port to --port-file once it listens."""

import argparse
import http.server
import json
import os
import ssl
import threading
import time


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--path", required=True, help="the one path PATCH is allowed on")
    p.add_argument("--hang", action="store_true")
    args = p.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode(errors="replace")
            seen = {"method": self.command, "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"), "body": body}
            with lock, open(args.log, "a") as f:
                f.write(json.dumps(seen) + "\n")
            if args.hang:
                while True:
                    time.sleep(1)
            if seen["authorization"] != "Bearer " + args.token:
                return self.answer(401, {"kind": "Status", "code": 401, "reason": "Unauthorized"})
            if self.command != "PATCH":
                return self.answer(405, {"kind": "Status", "code": 405, "reason": "MethodNotAllowed"})
            if self.path != args.path:
                return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
            if seen["content_type"] != "application/merge-patch+json":
                return self.answer(415, {"kind": "Status", "code": 415, "reason": "UnsupportedMediaType"})
            try:
                patch = json.loads(body)
                ok = list(patch) == ["data"] and len(patch["data"]) == 1 and \
                    all(isinstance(v, str) for v in patch["data"].values())
            except (ValueError, TypeError, AttributeError):
                ok = False
            if not ok:
                return self.answer(422, {"kind": "Status", "code": 422, "reason": "Invalid"})
            self.answer(200, {"kind": "ConfigMap", "apiVersion": "v1", "data": patch["data"]})

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
