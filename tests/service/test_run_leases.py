"""A worker that loses a run's lease stops executing it and leaves it RUNNING (its own
attempt, whose process it killed, ends CANCELED as when a server stops); the run's next
holder resumes it. A RunWorker in this process over PostgreSQL, a real task process.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kfp import dsl

from sluice.config import Settings
from sluice.errors import UserInputError
from sluice.service.execution import RunWorker
from sluice.service.run_leases import check_lease_settings
from sluice.service.runs import prepare_run
from sluice.store.leases import RunLeases
from sluice.store.repository import Store


@dsl.component(base_image="python:3.11")
def gate(log: str, release: str) -> str:
    import os
    import time

    with open(log, "a") as f:
        f.write(f"start {os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{release} never appeared")
        time.sleep(0.05)
    return "ok"


@dsl.pipeline(name="gated")
def gated(log: str, release: str) -> str:
    return gate(log=log, release=release).output


async def _until(predicate: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def test_a_lost_lease_stops_the_run_here_and_its_next_holder_resumes_it(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = Settings(home=tmp_path / "home", db_url=postgres_url)
    log, release = tmp_path / "log", tmp_path / "release"
    store, row, _settings, _warnings = prepare_run(
        gated,
        {"log": str(log), "release": str(release)},
        settings=settings,
        run_fields={"executed_by": "server"},
    )
    run_id = row.id
    leases = RunLeases(store)

    def state() -> str:
        found = Store(postgres_url).get_run(run_id)
        assert found is not None
        return found.state

    async def main() -> None:
        worker = RunWorker(
            store,
            settings,
            max_concurrent_runs=1,
            poll_seconds=0.1,
            owner="me",
            lease_seconds=1.0,
            heartbeat_seconds=0.2,
        )
        await worker.start()
        try:
            await _until(lambda: log.exists() and log.read_text().count("start") == 1, "a task")
            # Another server took the run over (as if this one had missed its renewals).
            assert leases.claim("thief", ["RUNNING"], seconds=60, limit=1, steal=True)
            await _until(lambda: not worker.running_run_ids, "the worker to let the run go")
            assert state() == "RUNNING"  # not canceled: it is the thief's now
            await asyncio.sleep(0.5)  # a few of the worker's polls: it does not claim it back
            assert not worker.running_run_ids
            # The thief dies without renewing: once its lease is released (or expired),
            # the worker claims the run again and resumes it.
            leases.release("thief", [run_id])
            await _until(lambda: log.read_text().count("start") == 2, "the resumed attempt")
            release.touch()
            await _until(lambda: state() == "SUCCEEDED", "the run to succeed")
        finally:
            await worker.stop()

    asyncio.run(main())
    history = [t.state for t in store.state_history(run_id)]
    assert "CANCELED" not in history and "FAILED" not in history
    tasks = store.tasks_of_run(run_id)
    attempts = [(e.attempt, e.state) for t in tasks for e in store.executions_of_task(t.id)]
    assert attempts == [(1, "CANCELED"), (2, "COMPLETE")]


def test_a_heartbeat_must_be_shorter_than_the_lease() -> None:
    check_lease_settings(15, 5)
    with pytest.raises(UserInputError, match="must be shorter than the lease"):
        check_lease_settings(5, 5)
    with pytest.raises(UserInputError, match="positive"):
        check_lease_settings(0, -1)
