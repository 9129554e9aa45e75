"""The prediction process: one deployed model behind a small HTTP server.

Run as ``python -m sluice.serving`` with Vertex's container variables: ``AIP_HTTP_PORT``,
``AIP_PREDICT_ROUTE`` (default ``/predict``), ``AIP_HEALTH_ROUTE`` (default ``/health``),
``AIP_STORAGE_URI`` (the model's local directory), and ``SLUICE_SERVING_KIND`` (what
:func:`sluice.serving.loaders.kind_of` found). The model is loaded before the port is
opened, so a health check that answers means the model is ready. A request the model
refuses (a bad instance) is answered 400 with the model's own message, ``{"error": ...}``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sluice.serving.loaders import Served, load

KIND_VARIABLE = "SLUICE_SERVING_KIND"
PARENT_VARIABLE = "SLUICE_SERVING_PARENT_PID"


def _exit_with_parent(parent: int) -> None:
    # A server killed outright must not leave its model holding the port it will want again.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _handler(served: Served, predict_route: str, health_route: str) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the server reuses its connection

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without this, Nagle's algorithm holds
            # the body until the client's delayed ACK (40 ms a request).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == health_route:
                self._answer(200, {"pid": os.getpid()})  # which process answers, for operators
            else:
                self._answer(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.split("?", 1)[0] != predict_route:
                self._answer(404, {"error": f"no route {self.path}"})
                return
            try:
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("the request body must be a JSON object")
            except ValueError as exc:
                self._answer(400, {"error": f"the request is not valid JSON: {exc}"})
                return
            try:
                result = served.handle(body)
                self._answer(200, result)
            except Exception as exc:  # the model's own error is the caller's answer
                self._answer(400, {"error": f"{type(exc).__name__}: {exc}"})

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request would flood the log

    return Handler


def main() -> int:
    """Load the model, then serve it until killed."""
    env = os.environ
    if env.get(PARENT_VARIABLE, "").isdigit():
        threading.Thread(
            target=_exit_with_parent, args=(int(env[PARENT_VARIABLE]),), daemon=True
        ).start()
    if not env.get("AIP_STORAGE_URI"):
        print(
            "sluice-serving: AIP_STORAGE_URI is not set; it names the model's directory "
            "(Sluice sets it when it deploys a model: see docs/models.md)",
            file=sys.stderr,
        )
        return 2
    directory = Path(env["AIP_STORAGE_URI"])
    try:
        served = load(env.get(KIND_VARIABLE, "sklearn"), directory, env)
    except Exception as exc:
        traceback.print_exc()
        print(f"sluice-serving: cannot load the model: {type(exc).__name__}: {exc}", flush=True)
        return 3
    server = ThreadingHTTPServer(
        ("127.0.0.1", int(env["AIP_HTTP_PORT"])),
        _handler(
            served,
            env.get("AIP_PREDICT_ROUTE") or "/predict",
            env.get("AIP_HEALTH_ROUTE") or "/health",
        ),
    )
    server.daemon_threads = True
    print(f"sluice-serving: ready on port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
