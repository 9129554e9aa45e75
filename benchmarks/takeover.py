"""Takeover time: a server executing a run is killed with SIGKILL; how long until another
server on the same PostgreSQL has claimed the run and resumed it.

Starts two real ``sluice server`` processes on a fresh schema of the PostgreSQL database
``--pg`` (default the tests' one), submits a run whose task sleeps, kills the whole process
group of the server holding the run's lease, and measures, from the kill:

* ``claimed``: until the run's lease names the surviving server;
* ``resumed``: until the killed task's next attempt is RUNNING in the store.

A fresh server replaces the killed one before the next repetition. The lease and
heartbeat are the servers' settings (``--lease-seconds``/``--heartbeat-seconds``); the
expected takeover lies between ``lease - heartbeat`` and ``lease`` plus one poll (1 s).

    python benchmarks/takeover.py --repeat 3                      # defaults: 15 s / 5 s
    python benchmarks/takeover.py --repeat 3 --lease-seconds 2 --heartbeat-seconds 0.5
"""

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
from kfp import compiler, dsl

from sluice.store.repository import Store

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
API = "/apis/v2beta1"


@dsl.component(base_image="python:3.11")
def nap(seconds: float) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline(name="napping")
def napping() -> None:
    nap(seconds=600.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(predicate: Callable[[], bool], limit: float = 120.0) -> float:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("gave up waiting")
        time.sleep(0.01)
    return time.monotonic()


@contextlib.contextmanager
def _schema(pg: str) -> Iterator[str]:
    name = f"sluice_bench_{uuid.uuid4().hex[:12]}"
    dsn = pg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{pg}?options=-csearch_path%3D{name}"
    finally:
        from sluice.store.db import dispose_engines

        dispose_engines()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


class Servers:
    """``sluice server`` processes, each in its own process group."""

    def __init__(self, home: Path, db_url: str, lease: float, heartbeat: float) -> None:
        self.home = home
        self.args = ["--lease-seconds", str(lease), "--heartbeat-seconds", str(heartbeat)]
        self.env = {**os.environ, "SLUICE_HOME": str(home), "SLUICE_DB_URL": db_url}
        self.env["PYTHONPATH"] = os.pathsep.join(sys.path)
        self.procs: dict[int, tuple[subprocess.Popen[bytes], str]] = {}

    def start(self) -> str:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with open(self.home / f"server-{port}.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sluice", "server", "--port", str(port), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[proc.pid] = (proc, url)

        def healthy() -> bool:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited with {proc.returncode}")
            try:
                return httpx.get(url + API + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _until(healthy)
        return url

    def kill(self, pid: int) -> None:
        proc, _url = self.procs.pop(pid)
        os.killpg(pid, signal.SIGKILL)
        proc.wait()

    def close(self) -> None:
        for pid in list(self.procs):
            with contextlib.suppress(ProcessLookupError):
                self.kill(pid)


def _holder_pid(store: Store, run_id: str) -> int | None:
    row = store.get_run(run_id)
    owner = row.lease_owner if row is not None else None
    return int(owner.split("/")[1]) if owner else None


def _attempts(store: Store, run_id: str) -> list[tuple[int, str]]:
    """``(attempt, state)`` of every execution of the run."""
    return [
        (e.attempt, e.state)
        for task in store.tasks_of_run(run_id)
        for e in store.executions_of_task(task.id)
    ]


def _one_takeover(servers: Servers, store: Store, body: dict[str, object]) -> tuple[float, float]:
    """Submit a run, kill its holder: seconds until it is claimed, and until it resumed."""
    url = next(iter(servers.procs.values()))[1]
    created = httpx.post(url + API + "/runs", json=body, timeout=30)
    created.raise_for_status()
    run_id = created.json()["run_id"]
    _until(lambda: (1, "RUNNING") in _attempts(store, run_id))
    victim = _holder_pid(store, run_id)
    assert victim is not None
    killed = time.monotonic()
    servers.kill(victim)
    claimed = _until(lambda: _holder_pid(store, run_id) not in (None, victim)) - killed
    # The killed attempt is recorded abandoned and the next one starts.
    resumed = _until(lambda: (2, "RUNNING") in _attempts(store, run_id)) - killed
    url = next(iter(servers.procs.values()))[1]
    httpx.post(url + API + f"/runs/{run_id}:terminate", timeout=120)
    return claimed, resumed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lease-seconds", type=float, default=15.0)
    parser.add_argument("--heartbeat-seconds", type=float, default=5.0)
    args = parser.parse_args()

    claimed: list[float] = []
    resumed: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, _schema(args.pg) as db_url:
        home = Path(tmp)
        package = str(home / "napping.yaml")
        compiler.Compiler().compile(napping, package)
        servers = Servers(home, db_url, args.lease_seconds, args.heartbeat_seconds)
        store = Store(db_url)
        body: dict[str, object] = {"display_name": "napping", "pipeline_spec": _spec(package)}
        try:
            servers.start()
            servers.start()
            for _ in range(args.repeat):
                times = _one_takeover(servers, store, body)
                claimed.append(times[0])
                resumed.append(times[1])
                servers.start()  # a fresh server replaces the killed one
        finally:
            servers.close()
    print(
        f"lease {args.lease_seconds} s, heartbeat {args.heartbeat_seconds} s, "
        f"{args.repeat} kills: claimed after {_summary(claimed)}; "
        f"task resumed after {_summary(resumed)}"
    )


def _spec(package: str) -> dict[str, object]:
    import yaml

    with open(package) as f:
        loaded: dict[str, object] = yaml.safe_load(f)
    return loaded


def _summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"
    )


if __name__ == "__main__":
    main()
