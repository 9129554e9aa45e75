"""A server killed with SIGKILL mid-run resumes the run when it starts again.

Finished tasks are not run again; the task that was running runs again; the run ends
SUCCEEDED and nothing is left RUNNING.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kfp import dsl

API = "/apis/v2beta1"


@dsl.component(base_image="python:3.11")
def task_a(marker: str) -> str:
    with open(marker, "a") as f:
        f.write("A\n")
    return "a"


@dsl.component(base_image="python:3.11")
def task_b(marker: str, upstream: str, release: str) -> str:
    """Blocks until the test creates ``release``, so the crash surely finds it running."""
    import os
    import time

    with open(marker, "a") as f:
        f.write(f"B start {os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{release} never appeared")
        time.sleep(0.05)
    with open(marker, "a") as f:
        f.write("B end\n")
    return upstream + "b"


@dsl.component(base_image="python:3.11")
def task_c(marker: str, upstream: str):
    with open(marker, "a") as f:
        f.write(f"C {upstream}\n")


@dsl.pipeline(name="crashy")
def crashy(marker: str, release: str):
    a = task_a(marker=marker)
    b = task_b(marker=marker, upstream=a.output, release=release)
    task_c(marker=marker, upstream=b.output)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has exited (a zombie counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone before (or while) read
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class Server:
    """``sluice server`` in its own process group, so SIGKILL takes its task processes too."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "SLUICE_HOME": str(self.home)}
        env.pop("SLUICE_DB_URL", None)
        env.pop("SLUICE_TOKEN", None)
        log = open(self.home / f"server-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sluice", "server", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        _wait_for(self._healthy, "the server to answer", limit=30)

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"the server exited with {self.proc.returncode}")
        try:
            return httpx.get(f"{self.url}{API}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "home"
    home.mkdir()
    srv = Server(home)
    try:
        yield srv
    finally:
        srv.kill(signal.SIGTERM)


def _run(server: Server, run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}{API}/runs/{run_id}", timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _task_states(run: dict[str, Any]) -> dict[str, str]:
    details = run.get("run_details", {}).get("task_details", [])
    return {t["display_name"]: t["state"] for t in details}


@pytest.mark.slow
def test_killed_server_resumes_its_run(server: Server, tmp_path: Path) -> None:
    """SIGKILL while B runs: after a restart A is reused, B runs again, C once."""
    from sluice.spec.loader import load_pipeline

    marker, release = tmp_path / "marker", tmp_path / "release"
    server.start()
    body = {
        "display_name": "crash-test",
        "pipeline_spec": load_pipeline(crashy).to_dict()["pipeline_spec"],
        "runtime_config": {"parameters": {"marker": str(marker), "release": str(release)}},
    }
    created = httpx.post(f"{server.url}{API}/runs", json=body, timeout=30)
    assert created.status_code == 200, created.text
    run_id = created.json()["run_id"]

    def a_done_b_running() -> bool:
        states = _task_states(_run(server, run_id))
        return states.get("task-a") == "SUCCEEDED" and states.get("task-b") == "RUNNING"

    _wait_for(a_done_b_running, "task A to succeed and task B to run")
    _wait_for(lambda: marker.exists() and "B start" in marker.read_text(), "B's process")
    server.kill(signal.SIGKILL)  # no chance to record anything
    lines = marker.read_text().splitlines()
    assert "B end" not in lines and "C b" not in " ".join(lines)
    # B's process dies with the server; only then is B allowed to end, when run again.
    (pid,) = [int(ln.split()[2]) for ln in lines if ln.startswith("B start")]
    _wait_for(lambda: _gone(pid), "the killed server's task process to exit")
    release.touch()

    server.start()
    _wait_for(lambda: _run(server, run_id)["state"] == "SUCCEEDED", "the resumed run", 40)
    lines = [  # "B start" lines without their pid
        ln.rsplit(" ", 1)[0] if ln.startswith("B start") else ln
        for ln in marker.read_text().splitlines()
    ]
    assert lines.count("A") == 1  # finished before the crash: reused, not run again
    assert lines.count("B start") >= 2  # interrupted: ran again
    assert lines.count("B end") == 1
    assert lines.count("C ab") == 1
    states = _task_states(_run(server, run_id))
    assert states["task-a"] == "SUCCEEDED" and states["task-c"] == "SUCCEEDED"
    listed = httpx.get(f"{server.url}{API}/runs", timeout=10).json()
    assert [r["state"] for r in listed["runs"]] == ["SUCCEEDED"]
