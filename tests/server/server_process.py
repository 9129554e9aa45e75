"""A Sluice API server in a process of its own, optionally with a memory ceiling.

Unlike the in-thread servers of ``conftest.py``, a runaway request here (a YAML bomb, a
flood of clients) cannot take the test process down with it, and ``memory_bytes`` turns a
request that would exhaust memory into a quick failure instead of a swapping machine.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

API = "/apis/v2beta1"

# The server without the run manager or the scheduler: these tests exercise the API only.
_SERVE = """
import sys, uvicorn
from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
background = len(sys.argv) > 2 and sys.argv[2] == "background"
config = ServerConfig(settings=Settings.from_env(), background=background)
uvicorn.run(create_app(config), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """An API-only server over a fresh store in ``home``; use it as a context manager.

    ``background`` also starts the run manager and the scheduler (runs execute);
    ``db_url`` puts the store there instead of in ``home``; ``token`` is required of
    every request (``SLUICE_TOKEN``). ``cli_args`` runs the real ``sluice server`` with
    them instead (run manager and scheduler included); ``env`` adds to its environment.
    """

    def __init__(
        self,
        home: Path,
        *,
        memory_bytes: int | None = None,
        background: bool = False,
        db_url: str | None = None,
        token: str | None = None,
        cli_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        # With cli_args: the real `sluice server` (run manager and scheduler included).
        self.cli_args = cli_args
        self.env = env or {}
        self.memory_bytes = memory_bytes
        self.background = background
        self.db_url = db_url
        self.token = token
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = self.url + API
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / "server.log"

    def _limit(self) -> None:  # runs in the child, before exec
        if self.memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))

    def __enter__(self) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SLUICE_HOME": str(self.home)}
        for name in ("SLUICE_DB_URL", "SLUICE_TOKEN"):
            env.pop(name, None)
        if self.db_url is not None:
            env["SLUICE_DB_URL"] = self.db_url
        if self.token is not None:
            env["SLUICE_TOKEN"] = self.token
        env.update(self.env)
        mode = "background" if self.background else "api-only"
        argv = [sys.executable, "-c", _SERVE, str(self.port), mode]
        if self.cli_args is not None:
            argv = [sys.executable, "-m", "sluice", "server", "--port", str(self.port)]
            argv += self.cli_args
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._limit,
            )
        deadline = time.monotonic() + 60
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        return self

    def healthy(self, timeout: float = 1.0) -> bool:
        """Whether ``/healthz`` answers 200 within ``timeout`` seconds."""
        try:
            return httpx.get(self.api + "/healthz", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def __exit__(self, *_exc: object) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
