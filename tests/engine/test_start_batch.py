"""Starts due in one turn of the event loop commit together, before any of them runs
(on a real store: what each commit moved is what its transaction published)."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kfp import dsl
from tests.store_rows import new_run, new_task

import sluice
from sluice.engine import attempt_records
from sluice.engine.context import RunContext
from sluice.events import TaskStateChanged
from sluice.states import IllegalTransitionError, TaskState
from sluice.store import gate
from sluice.store.models import TaskRow
from sluice.store.repository import Store


@dsl.component
def echo(x: int) -> int:
    return x


@dsl.pipeline
def three_at_once() -> None:
    for i in range(3):
        echo(x=i)


class _Commits:
    """The task moves each committed transaction published, in order: a spy on the real
    gate (every transaction still publishes as it would)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.published: list[list[TaskStateChanged]] = []
        real_publish = gate.Transaction.publish

        def publish(tx: gate.Transaction) -> None:
            moved = [e for e in tx.pending if isinstance(e, TaskStateChanged)]
            if moved:
                self.published.append(moved)
            real_publish(tx)

        monkeypatch.setattr(gate.Transaction, "publish", publish)

    @property
    def moves(self) -> list[list[str]]:
        """Each commit's moves as ``"<task path> <state>"``."""
        return [[f"{e.path} {e.state.value}" for e in moved] for moved in self.published]


def test_tasks_started_at_once_commit_their_starts_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    commits = _Commits(monkeypatch)
    run = sluice.run(three_at_once, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error
    running = [
        [e for e in moved if e.kind == "container" and e.state == TaskState.RUNNING]
        for moved in commits.published
    ]
    # One transaction moved all three to RUNNING (each with its execution), none alone.
    assert [len(started) for started in running if started] == [3]


def _store(tmp_path: Path) -> tuple[Store, str]:
    """A real store with one run."""
    store = Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    run_id = new_run(store, pipeline_root=str(tmp_path / "root")).id
    return store, run_id


def _task(store: Store, run_id: str, name: str) -> TaskRow:
    """A task as the engine makes one: deferred, so its row is written by its start."""
    return new_task(store, run_id, name=name, component_name="comp-echo", deferred=True)


def _context(store: Store, run_id: str) -> RunContext:
    ctx = RunContext.__new__(RunContext)  # only what the starts use: a store, a run
    ctx.store = store
    ctx._starts = []
    ctx.run_id = run_id
    ctx.pipeline_name = "pipe"
    return ctx


def _start(task: TaskRow) -> Callable[[gate.Transaction], str]:
    def write(tx: gate.Transaction) -> str:
        tx.transition_task(task.id, TaskState.RUNNING, attempts=1, started=True)
        return task.name

    return write


def _refused(task: TaskRow) -> Callable[[gate.Transaction], str]:
    def write(tx: gate.Transaction) -> str:
        tx.transition_task(task.id, TaskState.SUCCEEDED, finished=True)  # PENDING -> SUCCEEDED
        return task.name

    return write


def _states(store: Store, run_id: str) -> dict[str, str]:
    return {row.name: row.state for row in store.tasks_of_run(run_id)}


def test_a_refused_start_fails_alone_and_a_cancelled_one_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = _store(tmp_path)
    commits = _Commits(monkeypatch)
    a, refused, never, b = (_task(store, run_id, n) for n in ("a", "x", "never", "b"))
    ctx = _context(store, run_id)

    async def main() -> list[Any]:
        first = ctx.start_soon(_start(a))
        bad = ctx.start_soon(_refused(refused))
        cancelled = ctx.start_soon(_start(never))
        last = ctx.start_soon(_start(b))
        cancelled.cancel()
        return list(await asyncio.gather(first, bad, last, return_exceptions=True))

    first, bad, last = asyncio.run(main())
    assert (first, last) == ("a", "b")
    assert isinstance(bad, IllegalTransitionError)
    # The group rolled back, then each was made alone: the refused one committed nothing,
    # and the cancelled one was never written.
    assert commits.moves == [["a PENDING", "a RUNNING"], ["b PENDING", "b RUNNING"]]
    assert _states(store, run_id) == {"a": "RUNNING", "b": "RUNNING"}


def test_starts_due_at_once_share_one_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = _store(tmp_path)
    commits = _Commits(monkeypatch)
    tasks = [_task(store, run_id, n) for n in ("a", "b", "c", "later")]
    ctx = _context(store, run_id)

    async def main() -> list[str]:
        due = [ctx.start_soon(_start(task)) for task in tasks[:3]]
        results = await asyncio.gather(*due)
        results.append(await ctx.start_soon(_start(tasks[3])))  # a later turn: its own
        return results

    assert asyncio.run(main()) == ["a", "b", "c", "later"]
    together = [f"{n} {s}" for n in "abc" for s in ("PENDING", "RUNNING")]
    assert commits.moves == [together, ["later PENDING", "later RUNNING"]]
    assert set(_states(store, run_id).values()) == {"RUNNING"}


@pytest.mark.parametrize("written", [False, True])
def test_a_start_cancelled_while_it_waits_for_its_commit_ends_canceled(
    written: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, run_id = _store(tmp_path)
    commits = _Commits(monkeypatch)
    record = _task(store, run_id, "t")
    ctx = _context(store, run_id)
    ctx.executor = SimpleNamespace(uses_images=True)  # no notice about the image
    inputs = SimpleNamespace(parameters={}, artifacts={})
    this: Any = SimpleNamespace(
        ctx=ctx,
        record=record,
        container=SimpleNamespace(image="python:3.11"),
        task=SimpleNamespace(component_ref=SimpleNamespace(name="comp-echo")),
        recorded_inputs={},
        fingerprint=None,
        cache_enabled=False,
        key=None,
    )
    attempt: Any = SimpleNamespace(
        number=1, first=True, inputs=inputs, files=SimpleNamespace(log=tmp_path / "log.txt")
    )

    async def main() -> None:
        job = asyncio.ensure_future(attempt_records.record_start(this, attempt))
        await asyncio.sleep(0)  # it has asked for its start
        if written:
            await asyncio.sleep(0)  # ...and the start has committed, not yet seen by it
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    [task] = store.tasks_of_run(run_id)
    assert task.state == "CANCELED"
    executions = store.executions_of_task(record.id)
    if written:
        assert commits.moves == [["t PENDING", "t RUNNING"], ["t CANCELED"]]
        assert [e.state for e in executions] == ["CANCELED"]
    else:
        assert commits.moves == [["t PENDING", "t CANCELED"]]  # nothing of the start
        assert executions == []


def test_a_start_interrupted_by_a_base_exception_leaves_no_start_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KeyboardInterrupt in a write: it propagates, and every start of the group is
    cancelled rather than left waiting for a commit that will not come."""
    store, run_id = _store(tmp_path)
    commits = _Commits(monkeypatch)
    b = _task(store, run_id, "b")

    async def main() -> list[bool]:
        ctx = _context(store, run_id)

        def interrupted(tx: gate.Transaction) -> str:
            raise KeyboardInterrupt

        futures = [ctx.start_soon(interrupted), ctx.start_soon(_start(b))]
        with pytest.raises(KeyboardInterrupt):
            ctx._commit_starts()
        return [f.cancelled() for f in futures]

    assert asyncio.run(main()) == [True, True]
    # The group rolled back and was not made again.
    assert commits.moves == []
    assert store.tasks_of_run(run_id) == []
