"""One server per SQLite store: a second `sluice server` is refused while the first lives.

Real server processes: the first executes a run whose task waits; a second server on the
same SQLite store exits 2 with one line naming the first one's pid (on PostgreSQL it
starts and shares the store: see test_multi_server.py), and `sluice runs resume` of the
run is refused on both. Once the first is killed with
SIGKILL its lock is gone: a new server starts, resumes the run, and records the killed
attempt as abandoned, so no execution stays RUNNING.
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

from sluice.store.repository import Store

API = "/apis/v2beta1"


@dsl.component(base_image="python:3.11")
def first() -> str:
    return "one"


@dsl.component(base_image="python:3.11")
def hold(marker: str, upstream: str) -> str:
    import os
    import time

    if not os.path.exists(marker):  # the first attempt waits to be killed
        with open(marker + ".pid", "w") as f:
            f.write(str(os.getpid()))
        open(marker, "w").close()
        deadline = time.monotonic() + 300  # killed long before
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise SystemExit(3)
    return upstream + "-two"


@dsl.pipeline(name="held")
def held(marker: str) -> str:
    return hold(marker=marker, upstream=first().output).output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class _Servers:
    """Real `sluice server` processes on one store, each in its own process group."""

    def __init__(self, home: Path, db_url: str) -> None:
        self.home = home
        self.env = {
            **os.environ,
            "SLUICE_HOME": str(home),
            "SLUICE_DB_URL": db_url,
            "PYTHONPATH": os.pathsep.join(sys.path),
            # Short leases: on PostgreSQL a killed server's run is taken over once they expire.
            "SLUICE_LEASE_SECONDS": "2",
            "SLUICE_HEARTBEAT_SECONDS": "0.5",
        }
        self.env.pop("SLUICE_TOKEN", None)
        self.procs: list[subprocess.Popen[bytes]] = []

    def command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "sluice", "server", "--port", str(port)]

    def start(self) -> tuple[subprocess.Popen[bytes], str]:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(self.home / f"server-{port}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            self.command(port),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)

        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}")
            try:
                return httpx.get(f"{url}{API}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_for(healthy, "the server to answer")
        return proc, url

    def kill_all(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Servers]:
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "sqlite":
        db_url = f"sqlite:///{home / 'sluice.db'}"
    else:
        db_url = request.getfixturevalue("postgres_url")
    group = _Servers(home, db_url)
    try:
        yield group
    finally:
        group.kill_all()


def _run(url: str, run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{url}{API}/runs/{run_id}", timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.slow
def test_second_server_is_refused_on_sqlite_and_a_killed_servers_run_is_resumed(
    servers: _Servers, tmp_path: Path
) -> None:
    from sluice.spec.loader import load_pipeline

    marker = tmp_path / "marker"
    owner, url = servers.start()
    body = {
        "display_name": "held",
        "pipeline_spec": load_pipeline(held).to_dict()["pipeline_spec"],
        "runtime_config": {"parameters": {"marker": str(marker)}},
    }
    created = httpx.post(f"{url}{API}/runs", json=body, timeout=30)
    assert created.status_code == 200, created.text
    run_id = created.json()["run_id"]
    _wait_for(marker.exists, "the task to start")

    if servers.env["SLUICE_DB_URL"].startswith("postgresql"):
        servers.start()  # servers share a PostgreSQL store
    else:
        second = subprocess.run(
            servers.command(_free_port()),
            env=servers.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2, second.stderr
        lines = second.stderr.splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith(
            f"error: another sluice server (pid {owner.pid}) is using this store"
        )
    assert owner.poll() is None

    # The run is the server's while it executes it: a local resume is refused too.
    resume = [sys.executable, "-m", "sluice", "runs", "resume", run_id]
    refused = subprocess.run(resume, env=servers.env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("error: run ")
    # By the server's worker process: a child of the server, not the server itself.
    executor_pid = int(refused.stderr.split("is being executed by pid ", 1)[1].split()[0])
    assert executor_pid != owner.pid
    stat = Path(f"/proc/{executor_pid}/stat").read_text()
    assert int(stat.rsplit(")", 1)[1].split()[1]) == owner.pid
    assert f"is being executed by pid {executor_pid} on host" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1

    os.killpg(owner.pid, signal.SIGKILL)
    owner.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, ValueError):
        # The attempt runs in a process group of its own; it is not what this test is about.
        os.kill(int((tmp_path / "marker.pid").read_text()), signal.SIGKILL)

    _, url = servers.start()  # the lock died with its owner
    _wait_for(lambda: _run(url, run_id)["state"] == "SUCCEEDED", "the resumed run")

    store = Store(servers.env["SLUICE_DB_URL"])
    tasks = {t.name: t for t in store.tasks_of_run(run_id)}
    every = [e for t in tasks.values() for e in store.executions_of_task(t.id)]
    assert not [e for e in every if e.state == "RUNNING"]
    hold_runs = store.executions_of_task(tasks["hold"].id)
    assert [(e.attempt, e.state, e.how) for e in hold_runs][:1] == [(1, "CANCELED", "abandoned")]
    assert [(e.attempt, e.state) for e in hold_runs][1:] == [(2, "COMPLETE")]
    assert [e.state for e in store.executions_of_task(tasks["first"].id)] == ["COMPLETE"]
