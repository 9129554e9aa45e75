"""Wide ParallelFor loops start their iterations as process slots free up."""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

from pathlib import Path

import pytest
from kfp import dsl

import sluice
from sluice.config import Settings
from sluice.engine.loops import ITERATIONS_PER_SLOT, iteration_window
from sluice.events import TaskStateChanged
from sluice.states import TaskState
from sluice.store.history import HistoryRepository
from sluice.store.repository import Store

WIDTH = 50
SLOTS = 2


@dsl.component
def square(x: int, marker_dir: str) -> int:
    import os

    with open(os.path.join(marker_dir, f"ran-{x}"), "a") as f:
        f.write("x")
    if os.path.exists(os.path.join(marker_dir, f"fail-{x}")):
        raise RuntimeError(f"told to fail on {x}")
    return x * x


@dsl.pipeline
def wide(marker_dir: str) -> list[int]:
    with dsl.ParallelFor(list(range(WIDTH))) as x:
        task = square(x=x, marker_dir=marker_dir)
    return dsl.Collected(task.output)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    return Store(Settings.from_env().db_url)


def _task_events(store: Store, run_id: str) -> list[TaskStateChanged]:
    events = HistoryRepository(store).events_after(0, run_id=run_id, limit=100_000)
    return [e for e in events if isinstance(e, TaskStateChanged)]


def _most_iterations_open(events: list[TaskStateChanged]) -> int:
    """The most iterations that, at one point of the history, existed and had not ended."""
    open_now: set[str] = set()
    ended: set[str] = set()
    most = 0
    for event in events:
        if event.kind != "iteration":
            continue
        if event.state.is_final:
            open_now.discard(event.task_id)
            ended.add(event.task_id)
        elif event.task_id not in ended:
            open_now.add(event.task_id)
        most = max(most, len(open_now))
    return most


def test_the_window_is_two_iterations_per_slot_unless_parallelism_is_smaller() -> None:
    assert iteration_window(SLOTS, 0) == ITERATIONS_PER_SLOT * SLOTS == 4
    assert iteration_window(SLOTS, 3) == 3
    assert iteration_window(SLOTS, 10) == 4


def test_a_wide_loop_creates_iterations_only_as_slots_free_up(store: Store, tmp_path: Path) -> None:
    run = sluice.run(
        wide, {"marker_dir": str(tmp_path)}, enable_caching=False, max_parallel_tasks=SLOTS
    )
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": [x * x for x in range(WIDTH)]}

    events = _task_events(store, run.id)
    # Never more iterations begun and unfinished than the window: the rest did not exist yet.
    assert _most_iterations_open(events) <= iteration_window(SLOTS, 0)
    created = [e.path for e in events if e.kind == "iteration" and e.state == TaskState.PENDING]
    assert len(created) == WIDTH
    # A task is RUNNING only once its process has a slot: at most SLOTS attempts at once,
    # give or take the tasks recording their end after giving their slot back.
    running: set[str] = set()
    most_running = 0
    for event in events:
        if event.kind != "container":
            continue
        if event.state == TaskState.RUNNING:
            running.add(event.task_id)
        else:
            running.discard(event.task_id)
        most_running = max(most_running, len(running))
    assert most_running <= iteration_window(SLOTS, 0)


def test_a_resumed_wide_loop_reuses_the_iterations_that_finished(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "fail-7").write_text("")
    run = sluice.run(
        wide, {"marker_dir": str(tmp_path)}, enable_caching=False, max_parallel_tasks=SLOTS
    )
    assert run.state == "FAILED"
    finished = {
        t.path
        for t in store.tasks_of_run(run.id)
        if t.kind == "iteration" and t.state == "SUCCEEDED"
    }
    assert finished  # some iterations ended before the failure stopped the loop
    assert len(finished) < WIDTH

    (tmp_path / "fail-7").unlink()
    resumed = sluice.resume(run.id)
    assert resumed.state == "SUCCEEDED", resumed.error
    assert resumed.outputs == {"Output": [x * x for x in range(WIDTH)]}
    # Every iteration that succeeded the first time ran exactly once.
    once = {x for x in range(WIDTH) if (tmp_path / f"ran-{x}").read_text() == "x"}
    indexes = {int(path.rsplit("[", 1)[1].rstrip("]")) for path in finished}
    assert indexes <= once
    assert (tmp_path / "ran-7").read_text() == "xx"
    paths = [t.path for t in store.tasks_of_run(resumed.id)]
    assert len(paths) == len(set(paths))  # no duplicate rows


def test_an_iteration_shows_running_only_with_its_task_s_start(
    store: Store, tmp_path: Path
) -> None:
    run = sluice.run(
        wide, {"marker_dir": str(tmp_path)}, enable_caching=False, max_parallel_tasks=SLOTS
    )
    assert run.state == "SUCCEEDED", run.error
    events = _task_events(store, run.id)
    paths = {e.task_id: e.path for e in events}
    for at, event in enumerate(events):
        if event.kind == "iteration" and event.state == TaskState.RUNNING:
            # Written by its task's start, in the same transaction: the next history rows
            # are that task's creation and its move to RUNNING (its attempt's start).
            created, started = events[at + 1], events[at + 2]
            assert paths[created.task_id].startswith(event.path + "/")
            assert (created.state, started.state) == (TaskState.PENDING, TaskState.RUNNING)
            assert started.task_id == created.task_id and started.kind == "container"
