"""A container task's row is written with its first state change; one that waits for a
process slot is in the store, PENDING, while it waits."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

from pathlib import Path

import pytest
from kfp import dsl

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
