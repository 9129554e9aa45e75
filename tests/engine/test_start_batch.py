"""Starts due in one turn of the event loop commit together, before any of them runs."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

import sluice
from sluice.engine.context import RunContext
from sluice.events import Event, TaskStateChanged
from sluice.states import IllegalTransitionError, TaskState
from sluice.store import gate


@dsl.component
def echo(x: int) -> int:
    return x


@dsl.pipeline
def three_at_once() -> None:
    for i in range(3):
        echo(x=i)


def test_tasks_started_at_once_commit_their_starts_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    published: list[list[Event]] = []
    real_publish = gate.Transaction.publish

    def publish(self: gate.Transaction) -> None:
        published.append(list(self.pending))
        real_publish(self)

    monkeypatch.setattr(gate.Transaction, "publish", publish)
    run = sluice.run(three_at_once, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error

    def running(events: list[Event]) -> list[Event]:
        return [
            e
            for e in events
            if isinstance(e, TaskStateChanged)
            and e.kind == "container"
            and e.state == TaskState.RUNNING
        ]

    # One transaction moved all three to RUNNING (each with its execution), none alone.
    assert [len(running(events)) for events in published if running(events)] == [3]


class _FakeStore:
    """Commits what a transaction's writes append to it, unless one of them raised."""

    def __init__(self) -> None:
        self.commits: list[list[str]] = []

    @contextmanager
    def transaction(self) -> Iterator[list[str]]:
        tx: list[str] = []
        yield tx
        self.commits.append(tx)


def _context(store: _FakeStore) -> RunContext:
    ctx = RunContext.__new__(RunContext)  # only its store and its due starts are used
    ctx.store = store  # type: ignore[assignment]
    ctx._starts = []
    return ctx


def _write(name: str) -> Any:
    def write(tx: list[str]) -> str:
        tx.append(name)
        return name

    return write


def _refused(tx: list[str]) -> str:
    tx.append("refused")
    raise IllegalTransitionError("refused")


def test_a_refused_start_fails_alone_and_a_cancelled_one_is_not_written() -> None:
    store = _FakeStore()
    ctx = _context(store)

    async def main() -> list[Any]:
        first = ctx.start_soon(_write("a"))
        refused = ctx.start_soon(_refused)
        cancelled = ctx.start_soon(_write("never"))
        last = ctx.start_soon(_write("b"))
        cancelled.cancel()
        return await asyncio.gather(first, refused, last, return_exceptions=True)

    first, refused, last = asyncio.run(main())
    assert (first, last) == ("a", "b")
    assert isinstance(refused, IllegalTransitionError)
    # The group rolled back, then each was made alone: the refused one committed nothing.
    assert store.commits == [["a"], ["b"]]


def test_starts_due_at_once_share_one_commit() -> None:
    store = _FakeStore()
    ctx = _context(store)

    async def main() -> list[str]:
        due = [ctx.start_soon(_write(name)) for name in ("a", "b", "c")]
        results = await asyncio.gather(*due)
        results.append(await ctx.start_soon(_write("later")))  # a later turn: its own
        return results

    assert asyncio.run(main()) == ["a", "b", "c", "later"]
    assert store.commits == [["a", "b", "c"], ["later"]]


class _Recorder:
    """A store and its transactions: what was written, in order, by commit."""

    def __init__(self) -> None:
        self.commits: list[list[str]] = []

    @contextmanager
    def transaction(self) -> Iterator["_Recorder._Tx"]:
        tx = _Recorder._Tx()
        yield tx
        self.commits.append(tx.writes)

    def transition_task(self, task_id: str, to: TaskState, **_: Any) -> None:
        self.commits.append([f"{task_id} {to.value}"])

    class _Tx:
        def __init__(self) -> None:
            self.writes: list[str] = []

        def transition_task(self, task_id: str, to: TaskState, **_: Any) -> None:
            self.writes.append(f"{task_id} {to.value}")

        def finish_execution(self, execution_id: int, **fields: Any) -> None:
            self.writes.append(f"execution {execution_id} {fields['state']}")


@pytest.mark.parametrize("written", [False, True])
def test_a_start_cancelled_while_it_waits_for_its_commit_ends_canceled(
    written: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from sluice.engine import attempt_records

    store = _Recorder()
    ctx = _context(store)  # type: ignore[arg-type]

    def write_start(this: Any, attempt: Any, tx: Any, notice: Any) -> tuple[None, int]:
        tx.transition_task(this.record.id, TaskState.RUNNING)
        return None, 7

    monkeypatch.setattr(attempt_records, "_write_start", write_start)
    monkeypatch.setattr(attempt_records, "unused_image_notice", lambda *a: None)
    this: Any = SimpleNamespace(ctx=ctx, record=SimpleNamespace(id="t", path="p"), container=None)

    async def main() -> None:
        job = asyncio.ensure_future(attempt_records.record_start(this, None))  # type: ignore[arg-type]
        await asyncio.sleep(0)  # it has asked for its start
        if written:
            await asyncio.sleep(0)  # ...and the start has committed, not yet seen by it
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    if written:
        assert store.commits == [["t RUNNING"], ["execution 7 CANCELED", "t CANCELED"]]
    else:
        assert store.commits == [["t CANCELED"]]  # nothing of the start was written


def test_a_start_interrupted_by_a_base_exception_leaves_no_start_waiting() -> None:
    """KeyboardInterrupt in a write: it propagates, and every start of the group is
    cancelled rather than left waiting for a commit that will not come."""

    store = _FakeStore()

    async def main() -> list[bool]:
        ctx = _context(store)

        def interrupted(tx: list[str]) -> str:
            raise KeyboardInterrupt

        futures = [ctx.start_soon(interrupted), ctx.start_soon(_write("b"))]
        with pytest.raises(KeyboardInterrupt):
            ctx._commit_starts()
        return [f.cancelled() for f in futures]

    assert asyncio.run(main()) == [True, True]
    assert store.commits == []  # the group rolled back and was not made again
