"""Store locks (server, per run) and abandoned attempts, on every database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task

from sluice.errors import RunBusyError, StoreBusyError
from sluice.store.locks import (
    HeldLock,
    Owner,
    lock_run,
    lock_store_for_server,
    store_is_shared,
    try_lock_run,
)
from sluice.store.repository import Store


def test_a_run_lock_is_exclusive_and_says_who_holds_it(store: Store) -> None:
    held = lock_run(store.engine, "r1", "first-run")
    try:
        # A second holder in this very process (another thread, another handle) is refused
        # too: flock and advisory locks belong to the open file / session, not the process.
        with pytest.raises(RunBusyError) as refused:
            lock_run(store.engine, "r1", "first-run")
        assert str(refused.value) == (
            f"run first-run is being executed by pid {os.getpid()} on host "
            f"{socket.gethostname()}; wait or cancel it"
        )
        other = try_lock_run(store.engine, "r2")  # other runs are not affected
        assert isinstance(other, HeldLock)
        other.release()
    finally:
        held.release()
    again = try_lock_run(store.engine, "r1")
    assert isinstance(again, HeldLock)
    again.release()
    again.release()  # releasing twice is harmless


def test_the_server_lock_is_refused_to_a_second_server_on_sqlite(store: Store) -> None:
    """A SQLite store is one server's; servers share a PostgreSQL one (by run leases)."""
    if store_is_shared(store.engine):
        with lock_store_for_server(store.engine), lock_store_for_server(store.engine):
            pass
        return
    busy = rf"another sluice server \(pid {os.getpid()}\) is using this store"
    with lock_store_for_server(store.engine), pytest.raises(StoreBusyError, match=busy):
        lock_store_for_server(store.engine)
    lock_store_for_server(store.engine).release()


def test_a_lock_dies_with_its_process(store: Store) -> None:
    # The child takes the run's lock and is killed without releasing it.
    child = (
        "import os, sys\n"
        "from sluice.store.repository import Store\n"
        "from sluice.store.locks import lock_run\n"
        "lock = lock_run(Store(sys.argv[1]).engine, 'r1', 'r1')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child, store.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        owner = try_lock_run(store.engine, "r1")
        assert owner == Owner(pid=proc.pid, host=socket.gethostname())
    finally:
        proc.kill()
        proc.wait(timeout=30)
    # The database notices a dropped connection at once; poll rather than assume so.
    for _ in range(200):
        held = try_lock_run(store.engine, "r1")
        if isinstance(held, HeldLock):
            held.release()
            return
        time.sleep(0.05)
    pytest.fail("the killed process's lock was never released")


def test_released_run_lock_files_are_removed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    held = lock_run(store.engine, "r1", "r1")
    lock_file = tmp_path / "sluice.db.locks" / "run-r1"
    assert lock_file.read_text().split() == [str(os.getpid()), socket.gethostname()]
    held.release()
    assert not lock_file.exists()


def test_abandon_attempts_marks_running_executions_and_their_tasks(store: Store) -> None:
    run = new_run(store)
    move_run(store, run.id, "RUNNING")

    def task(name: str, state: str, attempts: int) -> str:
        row = new_task(store, run.id, name=name)
        move_task(store, row.id, state)
        store.update_task(row.id, attempts=attempts)
        return row.id

    def execution(task_id: str, attempt: int, state: str) -> int:
        return store.create_execution(
            run_id=run.id,
            task_id=task_id,
            pipeline_name="pipe",
            component_name="comp",
            type_="system.ContainerExecution",
            attempt=attempt,
            state=state,
            input_parameters={},
            fingerprint=None,
            cache_enabled=False,
        )

    killed = task("killed", "RUNNING", 2)
    execution(killed, 1, "FAILED")
    execution(killed, 2, "RUNNING")
    # Killed after its execution was recorded but before the task's attempt count was.
    early = task("early", "RUNNING", 0)
    execution(early, 1, "RUNNING")
    done = task("done", "SUCCEEDED", 1)
    execution(done, 1, "COMPLETE")

    assert store.abandon_attempts(run.id, "the process died") == 2
    assert store.abandon_attempts(run.id, "the process died") == 0  # nothing left to do

    tasks = {t.name: t for t in store.tasks_of_run(run.id)}
    assert [(e.state, e.how) for e in store.executions_of_task(killed)] == [
        ("FAILED", None),
        ("CANCELED", "abandoned"),
    ]
    abandoned = store.executions_of_task(killed)[1]
    assert abandoned.error == "the process died" and abandoned.finished_at is not None
    assert tasks["killed"].state == "CANCELED" and tasks["killed"].attempts == 2
    assert tasks["killed"].error == "attempt 2 abandoned: the process died"
    assert [(h.state, h.message) for h in store.state_history(run.id, killed)][-1] == (
        "CANCELED",
        "attempt 2 abandoned: the process died",
    )
    assert tasks["early"].attempts == 1 and tasks["early"].state == "CANCELED"
    assert tasks["done"].state == "SUCCEEDED"
    assert [e.state for e in store.executions_of_task(done)] == ["COMPLETE"]
