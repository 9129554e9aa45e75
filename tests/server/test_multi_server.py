"""Three real `sluice server` processes on one PostgreSQL database share the work.

The unmodified kfp.Client submits runs (one of 50 tasks) and a recurring run firing every
two seconds to any of them. The server holding the wide run's lease is killed with
SIGKILL (its worker and task processes with it), twice, and a fresh server joins each
time: the run is taken over once the lease expires, and at the end every run SUCCEEDED,
no task that had finished ran again (each component appends its item to a file), nothing
is left RUNNING, and every slot of the recurring run fired exactly once. A run can be
terminated through a server other than the one executing it.

Leases are short here (2 s, heartbeat 0.5 s) to keep the test quick.
"""

import concurrent.futures
import contextlib
import itertools
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import kfp
import pytest
from kfp import dsl
from tests.server.pipelines import compile_to
from tests.server.server_process import ServerProcess

from sluice.store.models import RecurringRunRow
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::FutureWarning")]

LEASE_ENV = {"SLUICE_LEASE_SECONDS": "2", "SLUICE_HEARTBEAT_SECONDS": "0.5"}
WIDTH = 50


@dsl.component(base_image="python:3.11")
def work(item: int, log: str, seconds: float) -> int:
    import os
    import time

    time.sleep(seconds)
    with open(log, "a") as f:
        f.write(f"{item} {os.getpid()}\n")
    return item


@dsl.component(base_image="python:3.11")
def wait_long(seconds: float) -> None:
    import time

    time.sleep(seconds)


@dsl.pipeline(name="wide")
def wide(log: str, seconds: float) -> None:
    with dsl.ParallelFor(list(range(WIDTH)), parallelism=4) as item:
        work(item=item, log=log, seconds=seconds)


@dsl.pipeline(name="pair")
def pair(log: str, first: int) -> None:
    one = work(item=first, log=log, seconds=0.1)
    work(item=one.output, log=log, seconds=0.1).set_caching_options(False)


@dsl.pipeline(name="tick")
def tick(log: str) -> None:
    work(item=0, log=log, seconds=0.0).set_caching_options(False)


@dsl.pipeline(name="long")
def long_one() -> None:
    wait_long(seconds=120.0)


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 45.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


class Cluster:
    """Real `sluice server` processes on one PostgreSQL store and one shared home."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root = root
        self.db_url = db_url
        self.shared_home = root / "shared-home"
        self.servers: list[ServerProcess] = []
        self._names = itertools.count()
        self.store = Store(db_url)

    def add(self, count: int = 1) -> list[ServerProcess]:
        """Start ``count`` more servers (side by side: each start takes seconds)."""
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            started = list(pool.map(lambda _i: self._start(), range(count)))
        self.servers.extend(started)
        return started

    def _start(self) -> ServerProcess:
        server = ServerProcess(
            self.root / f"server-{next(self._names)}",
            db_url=self.db_url,
            cli_args=["--max-concurrent-runs", "4"],
            env={**LEASE_ENV, "SLUICE_HOME": str(self.shared_home)},
        )
        return server.__enter__()

    def holder_of(self, run_id: str) -> ServerProcess | None:
        """The server whose worker holds the run's lease (its owner id names the server)."""
        row = self.store.get_run(run_id)
        owner = row.lease_owner if row is not None else None
        for server in self.servers:
            if owner and server.proc is not None and f"/{server.proc.pid}/" in owner:
                return server
        return None

    def kill(self, server: ServerProcess) -> None:
        """SIGKILL the server's whole process group: API, worker, task supervisors."""
        assert server.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=30)
        self.servers.remove(server)
        server.proc = None

    def close(self) -> None:
        for server in self.servers:
            server.__exit__(None, None, None)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, module_postgres_url: str
) -> Iterator[Cluster]:
    group = Cluster(tmp_path_factory.mktemp("multi"), module_postgres_url)
    try:
        group.add(3)
        yield group
    finally:
        group.close()


def _client(server: ServerProcess) -> kfp.Client:
    return kfp.Client(host=server.url)


def _done_items(store: Store, run_id: str) -> dict[int, int]:
    """Items of the run's tasks that finished, with how often the log held them then."""
    run = store.get_run(run_id)
    assert run is not None
    details = RunRepository(store).details(run)
    return {
        int(e.input_parameters["item"]): 0
        for executions in details.executions.values()
        for e in executions
        if e.state == "COMPLETE" and "item" in (e.input_parameters or {})
    }


def _log_counts(log: Path) -> Counter[int]:
    if not log.exists():
        return Counter()
    return Counter(int(line.split()[0]) for line in log.read_text().splitlines() if line)


def test_a_run_is_terminated_through_another_server(cluster: Cluster, tmp_path: Path) -> None:
    first, second = cluster.servers[0], cluster.servers[1]
    run = _client(first).create_run_from_pipeline_func(long_one, arguments={})
    run_id = run.run_id
    _wait_for(lambda: cluster.store.get_run(run_id).state == "RUNNING", "the run to start")
    _wait_for(lambda: cluster.holder_of(run_id) is not None, "a lease on the run")
    holder = cluster.holder_of(run_id)
    other = next(s for s in cluster.servers if s is not holder)
    assert other is first or other is second or other in cluster.servers
    _client(other).terminate_run(run_id)
    _wait_for(lambda: _client(other).get_run(run_id).state == "CANCELED", "the cancel")


def test_killed_servers_lose_no_run_and_repeat_no_finished_task(
    cluster: Cluster, tmp_path: Path
) -> None:
    wide_log, pair_log, tick_log = (
        tmp_path / "wide.log",
        tmp_path / "pair.log",
        tmp_path / "tick.log",
    )
    clients = [_client(s) for s in cluster.servers]
    experiment = clients[0].create_experiment("multi-server")
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=1)
    tick_yaml = compile_to(tick, str(tmp_path / "tick.yaml"))
    recurring = clients[1].create_recurring_run(
        experiment_id=experiment.experiment_id,
        job_name="every-two-seconds",
        pipeline_package_path=tick_yaml,
        params={"log": str(tick_log)},
        interval_second=2,
        max_concurrency=10,
        start_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    wide_id = (
        clients[0]
        .create_run_from_pipeline_func(
            wide,
            arguments={"log": str(wide_log), "seconds": 0.6},
            experiment_id=experiment.experiment_id,
        )
        .run_id
    )
    run_ids = [wide_id]
    for i, client in enumerate(clients):
        run_ids.append(
            client.create_run_from_pipeline_func(
                pair,
                arguments={"log": str(pair_log), "first": 1000 + i},
                experiment_id=experiment.experiment_id,
            ).run_id
        )

    # Kill the server executing the wide run, twice, each time once more of it has run.
    checked: dict[int, int] = {}
    joining: list[concurrent.futures.Future[list[ServerProcess]]] = []
    pool = concurrent.futures.ThreadPoolExecutor(2)
    for kill, progress in enumerate((8, 20)):
        _wait_for(
            lambda progress=progress: len(_done_items(cluster.store, wide_id)) >= progress,
            f"{progress} tasks of the wide run",
        )
        _wait_for(lambda: cluster.holder_of(wide_id) is not None, "the wide run's lease")
        holder = cluster.holder_of(wide_id)
        assert holder is not None
        # What had finished, and how often its item was logged, as the server dies.
        done = _done_items(cluster.store, wide_id)
        counts = _log_counts(wide_log)
        checked.update({item: counts[item] for item in done})
        cluster.kill(holder)

        def taken_over() -> bool:
            # Held by a live server, or finished by one already.
            return cluster.holder_of(wide_id) is not None or (
                cluster.store.get_run(wide_id).state == "SUCCEEDED"
            )

        _wait_for(taken_over, f"another server to take the wide run over (kill {kill + 1})")
        assert cluster.store.get_run(wide_id).state != "SUCCEEDED", "killed too late"
        joining.append(pool.submit(cluster.add))  # a fresh server joins meanwhile

    for run_id in run_ids:
        _wait_for(
            lambda run_id=run_id: cluster.store.get_run(run_id).state == "SUCCEEDED",
            f"run {run_id} to succeed",
            limit=60,
        )
    for future in joining:
        future.result(timeout=60)
    pool.shutdown()
    _client(cluster.servers[0]).disable_recurring_run(recurring.recurring_run_id)

    # No finished task ran again: its item was not logged once more after it finished.
    counts = _log_counts(wide_log)
    assert set(counts) == set(range(WIDTH))
    assert {item: counts[item] for item in checked} == checked
    assert all(n >= 1 for n in checked.values())
    # Nothing left RUNNING; the killed attempts were recorded as abandoned.
    details = RunRepository(cluster.store).details(cluster.store.get_run(wide_id))
    every = [e for executions in details.executions.values() for e in executions]
    assert not [e for e in every if e.state == "RUNNING"]
    assert {t.state for t in details.tasks} == {"SUCCEEDED"}

    # Every slot of the recurring run fired once, across the servers and their deaths.
    rid = recurring.recurring_run_id
    _wait_for(
        lambda: all(
            r.state in ("SUCCEEDED", "FAILED", "CANCELED")
            for r in cluster.store.list_runs(limit=500)
            if r.recurring_run_id == rid
        ),
        "the recurring run's runs to end",
    )
    runs = [r for r in cluster.store.list_runs(limit=500) if r.recurring_run_id == rid]
    assert {r.state for r in runs} == {"SUCCEEDED"}
    slots = sorted(r.scheduled_at.replace(tzinfo=timezone.utc) for r in runs if r.scheduled_at)
    assert len(slots) == len(runs) >= 5
    assert slots == [start + timedelta(seconds=2 * (k + 1)) for k in range(len(slots))]
    with cluster.store.session() as session:
        row = session.get(RecurringRunRow, rid)
        assert row is not None and row.runs_started == len(runs)
