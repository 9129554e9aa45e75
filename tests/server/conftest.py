"""A real Sluice server on a free loopback port, run by uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig, ServerState


@dataclass
class RunningServer:
    """A server started for tests: its base URL and the app's shared state."""

    url: str
    state: ServerState
    home: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    home: Path, db_url: str | None = None, **options: object
) -> tuple[RunningServer, Callable[[], None]]:
    """Start a server over a store in ``home`` (or at ``db_url``); returns it and its stop."""
    home.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(home=home, db_url=db_url)
    config = ServerConfig(settings=settings, **options)  # type: ignore[arg-type]
    app = create_app(config)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="sluice-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(30)

    return RunningServer(f"http://127.0.0.1:{port}", app.state.sluice, home), stop


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server executing runs in the background (shared by a test module)."""
    home = tmp_path_factory.mktemp("sluice-server-home")
    mp = pytest.MonkeyPatch()
    # Components' own processes find the store through the environment.
    mp.setenv("SLUICE_HOME", str(home))
    mp.delenv("SLUICE_DB_URL", raising=False)
    mp.delenv("SLUICE_TOKEN", raising=False)
    running, stop = start_server(home, background=True)
    try:
        yield running
    finally:
        stop()
        mp.undo()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that only serves the API (runs stay PENDING), with a small upload limit."""
    home = tmp_path_factory.mktemp("sluice-api-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLUICE_HOME", str(home))
    mp.delenv("SLUICE_DB_URL", raising=False)
    mp.delenv("SLUICE_TOKEN", raising=False)
    running, stop = start_server(home, background=False, max_upload_bytes=200_000)
    try:
        yield running
    finally:
        stop()
        mp.undo()
