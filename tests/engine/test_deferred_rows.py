"""A container task's row is written with its first state change; one that waits for a
process slot is in the store, PENDING, while it waits."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

from pathlib import Path

import pytest
from kfp import dsl
from sqlalchemy import event as sqlalchemy_event

import sluice
from sluice.config import Settings
from sluice.events import TaskStateChanged
from sluice.states import TaskState
from sluice.store.history import HistoryRepository
from sluice.store.repository import Store


@dsl.component
def echo(x: int) -> int:
    return x


@dsl.pipeline
def three_at_once() -> None:
    for i in range(3):
        echo(x=i)


@dsl.pipeline
def chain_of_ten() -> int:
    value = echo(x=0).output
    for _ in range(9):
        value = echo(x=value).output
    return value


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    return Store(Settings.from_env().db_url)


def _container_events(store: Store, run_id: str) -> list[TaskStateChanged]:
    events = HistoryRepository(store).events_after(0, run_id=run_id, limit=10_000)
    return [e for e in events if isinstance(e, TaskStateChanged) and e.kind == "container"]


def test_tasks_waiting_for_a_slot_show_pending_while_they_wait(store: Store) -> None:
    run = sluice.run(three_at_once, enable_caching=False, max_parallel_tasks=1)
    assert run.state == "SUCCEEDED", run.error
    events = _container_events(store, run.id)
    by_task: dict[str, list[TaskStateChanged]] = {}
    for event in events:
        by_task.setdefault(event.task_id, []).append(event)
    assert len(by_task) == 3
    for history in by_task.values():
        assert [e.state for e in history] == [
            TaskState.PENDING,
            TaskState.RUNNING,
            TaskState.SUCCEEDED,
        ]
    # The first task to end ended while the other two waited for its slot: both were
    # already recorded PENDING by then (their rows were not held back until they started).
    first_end = min(e.seq for e in events if e.state == TaskState.SUCCEEDED)
    waited = [h for h in by_task.values() if h[1].seq > first_end]
    assert len(waited) == 2
    assert all(h[0].seq < first_end for h in waited)


def test_a_cache_hit_records_the_task_and_its_hit_together(store: Store) -> None:
    first = sluice.run(three_at_once, enable_caching=True)
    assert first.state == "SUCCEEDED", first.error
    again = sluice.run(three_at_once, enable_caching=True)
    assert again.state == "SUCCEEDED", again.error
    assert sorted(t.state for t in again.tasks if t.kind == "container") == ["CACHED"] * 3
    history = _container_events(store, again.id)
    by_task: dict[str, list[TaskState]] = {}
    for event in history:
        by_task.setdefault(event.task_id, []).append(event.state)
    assert list(by_task.values()) == [[TaskState.PENDING, TaskState.CACHED]] * 3


def test_a_cached_chain_shares_its_commits_and_records_every_hit(store: Store) -> None:
    first = sluice.run(chain_of_ten, enable_caching=True)
    assert first.state == "SUCCEEDED", first.error
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sqlalchemy_event.listen(store.engine, "commit", count)
    try:
        again = sluice.run(chain_of_ten, enable_caching=True)
    finally:
        sqlalchemy_event.remove(store.engine, "commit", count)
    assert again.state == "SUCCEEDED", again.error
    assert again.outputs == {"Output": 0}
    hits = [t for t in again.tasks if t.kind == "container"]
    assert [t.state for t in hits] == ["CACHED"] * 10
    # Ten hits in a few commits (the run's own writes and the held hits' flushes), not one
    # or more per task: nothing acts on a hit before the next write.
    assert len(commits) < 10, len(commits)
    # Every hit is whole once the run has returned: its execution, reusing the first run's.
    reused = {
        e.id for t in first.tasks if t.kind == "container" for e in store.executions_of_task(t.id)
    }
    for task in hits:
        [execution] = store.executions_of_task(task.id)
        assert execution.state == "CACHED" and execution.cached_execution_id in reused
        assert execution.finished_at is not None
    history = _container_events(store, again.id)
    assert [e.state for e in history].count(TaskState.CACHED) == 10
