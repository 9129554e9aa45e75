"""What the UI API's tests share: waiting for a run a real server executes."""

from __future__ import annotations

import time

import httpx
from tests.server.conftest import RunningServer

UI = "/apis/sluice/v1"
FINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELED"})


def wait_run(server: RunningServer, run_id: str, timeout: float = 90) -> str:
    """The run's state once final, or whatever it is after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        state = httpx.get(f"{server.url}/apis/v2beta1/runs/{run_id}").json()["state"]
        if state in FINAL or time.monotonic() > deadline:
            return str(state)
        time.sleep(0.1)
