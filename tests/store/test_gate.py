"""The transition gate: every state change is checked, recorded and published, or refused."""

from __future__ import annotations

import pytest
from tests.states import illegal_histories
from tests.store_rows import new_run, new_task

from sluice.events import RunStateChanged, TaskLogAvailable, TaskStateChanged
from sluice.states import IllegalTransitionError, RunState, TaskState
from sluice.store.repository import Store


def test_an_illegal_move_is_refused_and_writes_nothing(store: Store) -> None:
    run_id = new_run(store).id
    task_id = new_task(store, run_id, path="outer/t").id
    store.transition_task(task_id, TaskState.RUNNING, attempts=1)
    store.transition_task(task_id, TaskState.SUCCEEDED, finished=True)
    seen: list[object] = []
    with store.events.subscribe(seen.append):
        with pytest.raises(IllegalTransitionError, match="SUCCEEDED -> RUNNING"):
            store.transition_task(task_id, TaskState.RUNNING, attempts=2)
        with pytest.raises(IllegalTransitionError, match="PENDING -> SUCCEEDED"):
            store.transition_run(run_id, RunState.SUCCEEDED, finished=True)
        with pytest.raises(IllegalTransitionError, match="no task"):
            store.transition_task("missing", TaskState.RUNNING)
    assert seen == []  # nothing published
    task = store.tasks_of_run(run_id)[0]
    assert task.state == "SUCCEEDED" and task.attempts == 1
    assert [h.state for h in store.state_history(run_id, task_id)] == [
        "PENDING",
        "RUNNING",
        "SUCCEEDED",
    ]
    run = store.get_run(run_id)
    assert run is not None and run.state == "PENDING" and run.finished_at is None
    assert [h.state for h in store.state_history(run_id)] == ["PENDING"]
    assert illegal_histories(store) == []


def test_nothing_is_created_in_a_state_it_cannot_start_in(store: Store) -> None:
    with pytest.raises(IllegalTransitionError):
        new_run(store, state=RunState.RUNNING)
    assert store.list_runs() == []


def test_each_change_is_published_after_commit_with_its_history_id(store: Store) -> None:
    seen: list[object] = []
    # Subscribers see what the store holds when they are called: the change committed.
    states_seen: list[str] = []

    def record(event: object) -> None:
        seen.append(event)
        if isinstance(event, TaskStateChanged):
            states_seen.append(store.tasks_of_run(event.run_id)[0].state)

    with store.events.subscribe(record):
        run_id = new_run(store).id
        task_id = new_task(store, run_id, path="outer/t").id
        store.transition_run(run_id, RunState.RUNNING, started=True)
        store.transition_task(
            task_id, TaskState.RUNNING, attempts=1, log_path="/tmp/log.txt", message="attempt 1"
        )
        store.transition_task(task_id, TaskState.FAILED, message="boom", finished=True)
    kinds = [type(e).__name__ for e in seen]
    assert kinds == [
        "RunStateChanged",
        "TaskStateChanged",
        "RunStateChanged",
        "TaskStateChanged",
        "TaskLogAvailable",
        "TaskStateChanged",
    ]
    history = {h.id: h.state for h in store.state_history(run_id)}
    history.update({h.id: h.state for h in store.state_history(run_id, task_id)})
    changes = [e for e in seen if isinstance(e, (RunStateChanged, TaskStateChanged))]
    assert [history[e.seq] for e in changes] == [e.state.value for e in changes]
    seqs = [e.seq for e in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    log = seen[4]
    assert isinstance(log, TaskLogAvailable)
    assert (log.path, log.attempt, log.log_path, log.seq) == ("outer/t", 1, "/tmp/log.txt", seqs[3])
    failed = seen[5]
    assert isinstance(failed, TaskStateChanged)
    assert (failed.state, failed.message, failed.attempt) == (TaskState.FAILED, "boom", 1)
    assert states_seen == ["PENDING", "RUNNING", "FAILED"]


def test_update_task_does_not_change_state(store: Store) -> None:
    task_id = new_task(store, new_run(store).id, path="outer/t").id
    with pytest.raises(TypeError, match="transition_task"):
        store.update_task(task_id, state="RUNNING")
