"""Task rows created deferred: written by the first write that names the task, in its
transaction, with the PENDING history row before the move; never lost by a rollback."""

from __future__ import annotations

import pytest
from tests.store_rows import new_run, new_task

from sluice.events import TaskStateChanged
from sluice.states import IllegalTransitionError, TaskState
from sluice.store.repository import Store


def test_a_deferred_row_is_written_with_the_tasks_first_move(store: Store) -> None:
    run_id = new_run(store).id
    seen: list[object] = []
    with store.events.subscribe(seen.append):
        row = new_task(store, run_id, deferred=True)
        assert row.state == "PENDING" and row.attempts == 0
        assert store.tasks_of_run(run_id) == []  # nothing written yet
        assert seen == []
        with store.transaction() as tx:
            tx.create_execution(
                run_id=run_id,
                task_id=row.id,
                pipeline_name="pipe",
                component_name="comp-t",
                type_="system.ContainerExecution",
                attempt=1,
                state="RUNNING",
                input_parameters={},
                fingerprint=None,
                cache_enabled=False,
            )
            tx.transition_task(row.id, TaskState.RUNNING, attempts=1, started=True)
    [task] = store.tasks_of_run(run_id)
    assert task.id == row.id and task.state == "RUNNING" and task.attempts == 1
    assert task.created_at is not None
    assert [h.state for h in store.state_history(run_id, row.id)] == ["PENDING", "RUNNING"]
    states = [e.state for e in seen if isinstance(e, TaskStateChanged)]
    assert states == [TaskState.PENDING, TaskState.RUNNING]
    assert [len(store.executions_of_task(row.id))] == [1]


def test_a_rolled_back_move_leaves_the_row_to_write(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    with pytest.raises(IllegalTransitionError, match="PENDING -> SUCCEEDED"):
        store.transition_task(row.id, TaskState.SUCCEEDED, finished=True)
    assert store.tasks_of_run(run_id) == []
    # The next write still inserts it, once.
    store.transition_task(row.id, TaskState.SKIPPED, finished=True, error="skipped")
    [task] = store.tasks_of_run(run_id)
    assert task.state == "SKIPPED"
    assert [h.state for h in store.state_history(run_id, row.id)] == ["PENDING", "SKIPPED"]


def test_write_deferred_task_and_update_task_write_it_once(store: Store) -> None:
    run_id = new_run(store).id
    first = new_task(store, run_id, name="a", deferred=True)
    second = new_task(store, run_id, name="b", deferred=True)
    store.write_deferred_task(first.id)
    store.write_deferred_task(first.id)  # already written: nothing more
    store.update_task(second.id, resources={"cpuLimit": 2.0})
    tasks = {t.path: t for t in store.tasks_of_run(run_id)}
    assert tasks["a"].state == "PENDING" and tasks["b"].resources == {"cpuLimit": 2.0}
    assert [h.state for h in store.state_history(run_id, first.id)] == ["PENDING"]
    assert [h.state for h in store.state_history(run_id, second.id)] == ["PENDING"]


def test_a_child_task_writes_its_deferred_parent_first(store: Store) -> None:
    run_id = new_run(store).id
    parent = new_task(store, run_id, name="p", deferred=True)
    new_task(store, run_id, name="c", path="p/c", parent_id=parent.id)
    assert sorted(t.path for t in store.tasks_of_run(run_id)) == ["p", "p/c"]


def test_a_deferred_move_is_written_with_the_first_write_inside_the_task(store: Store) -> None:
    run_id = new_run(store).id
    seen: list[object] = []
    with store.events.subscribe(seen.append):
        parent = new_task(store, run_id, name="p", deferred=True)
        store.defer_transition_task(parent.id, TaskState.RUNNING, started=True, inputs={"x": 1})
        assert store.tasks_of_run(run_id) == [] and seen == []  # the move waits with the row
        child = new_task(store, run_id, name="c", path="p/c", parent_id=parent.id, deferred=True)
        # The child's start inserts the parent already moved, in one transaction.
        store.transition_task(child.id, TaskState.RUNNING, attempts=1, started=True)
    tasks = {t.path: t for t in store.tasks_of_run(run_id)}
    assert tasks["p"].state == "RUNNING" and tasks["p"].inputs == {"x": 1}
    assert tasks["p"].started_at is not None
    assert tasks["p/c"].state == "RUNNING"
    assert [h.state for h in store.state_history(run_id, parent.id)] == ["PENDING", "RUNNING"]
    states = [(e.path, e.state) for e in seen if isinstance(e, TaskStateChanged)]
    assert states == [
        ("p", TaskState.PENDING),
        ("p", TaskState.RUNNING),
        ("p/c", TaskState.PENDING),
        ("p/c", TaskState.RUNNING),
    ]
    # Written: later moves are made at once, through the gate.
    store.defer_transition_task(parent.id, TaskState.SUCCEEDED, finished=True)
    assert {t.path: t.state for t in store.tasks_of_run(run_id)}["p"] == "SUCCEEDED"


def test_a_deferred_move_is_checked_at_once_and_kept_through_a_rollback(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    with pytest.raises(IllegalTransitionError, match="PENDING -> SUCCEEDED"):
        store.defer_transition_task(row.id, TaskState.SUCCEEDED, finished=True)
    store.defer_transition_task(row.id, TaskState.RUNNING, started=True)
    with pytest.raises(IllegalTransitionError), store.transaction() as tx:
        tx.write_deferred(row.id)
        raise IllegalTransitionError("rolled back")
    assert store.tasks_of_run(run_id) == []
    # A move of its own writes the held-back one first.
    store.transition_task(row.id, TaskState.SUCCEEDED, finished=True)
    [task] = store.tasks_of_run(run_id)
    assert task.state == "SUCCEEDED"
    history = [h.state for h in store.state_history(run_id, row.id)]
    assert history == ["PENDING", "RUNNING", "SUCCEEDED"]


def test_a_held_move_is_written_first_by_the_next_transaction(store: Store) -> None:
    run_id = new_run(store).id
    first = new_task(store, run_id, name="a", deferred=True)
    second = new_task(store, run_id, name="b", deferred=True)
    store.transition_task(first.id, TaskState.RUNNING, started=True)
    store.hold_transition_task(first.id, TaskState.SUCCEEDED, finished=True, outputs={"o": 1})
    assert {t.path: t.state for t in store.tasks_of_run(run_id)} == {"a": "RUNNING"}
    # A rolled-back transaction keeps it held; the next one writes it, before its own writes.
    with pytest.raises(IllegalTransitionError), store.transaction() as tx:
        tx.transition_task(second.id, TaskState.SUCCEEDED, finished=True)
    assert {t.path: t.state for t in store.tasks_of_run(run_id)} == {"a": "RUNNING"}
    store.transition_task(second.id, TaskState.RUNNING, started=True)
    tasks = {t.path: t for t in store.tasks_of_run(run_id)}
    assert tasks["a"].state == "SUCCEEDED" and tasks["a"].outputs == {"o": 1}
    assert tasks["a"].finished_at is not None
    history = store.state_history(run_id, first.id) + store.state_history(run_id, second.id)
    assert [(h.task_id == first.id, h.state) for h in sorted(history, key=lambda h: h.id)] == [
        (True, "PENDING"),
        (True, "RUNNING"),
        (True, "SUCCEEDED"),
        (False, "PENDING"),
        (False, "RUNNING"),
    ]
    store.hold_transition_task(second.id, TaskState.SUCCEEDED, finished=True)
    store.flush_held()
    store.flush_held()  # nothing left: no transaction
    assert {t.path: t.state for t in store.tasks_of_run(run_id)}["b"] == "SUCCEEDED"


def _hold_hit(store: Store, run_id: str, task_id: str, cached_from: int) -> None:
    store.hold_cache_hit(
        task_id,
        message=f"cache hit: execution {cached_from}",
        fields={"outputs": {"parameters": {"Output": 7}}, "fingerprint": "f"},
        execution={
            "run_id": run_id,
            "task_id": task_id,
            "pipeline_name": "pipe",
            "component_name": "comp-t",
            "type_": "system.ContainerExecution",
            "attempt": 0,
            "state": "CACHED",
            "input_parameters": {},
            "fingerprint": "f",
            "cache_enabled": True,
            "cached_execution_id": cached_from,
            "outputs": ({"Output": 7}, {}),
        },
    )


def test_a_held_cache_hit_is_written_whole_by_the_next_transaction(store: Store) -> None:
    run_id = new_run(store).id
    source = new_task(store, run_id, name="source", deferred=True)
    cached_from = store.create_execution(
        run_id=run_id,
        task_id=source.id,
        pipeline_name="pipe",
        component_name="comp-t",
        type_="system.ContainerExecution",
        attempt=1,
        state="COMPLETE",
        input_parameters={},
        fingerprint="f",
        cache_enabled=True,
    )
    hit = new_task(store, run_id, name="hit", deferred=True)
    _hold_hit(store, run_id, hit.id, cached_from)
    # Held: neither the task's row nor its execution is written, for this Store or another.
    assert [t.path for t in Store(store.url).tasks_of_run(run_id)] == ["source"]
    assert store.executions_of_task(hit.id) == []
    seen: list[object] = []
    with store.events.subscribe(seen.append):
        store.transition_task(source.id, TaskState.RUNNING, started=True)  # any write
    tasks = {t.path: t for t in store.tasks_of_run(run_id)}
    assert tasks["hit"].state == "CACHED" and tasks["hit"].outputs == {"parameters": {"Output": 7}}
    [execution] = store.executions_of_task(hit.id)
    assert execution.state == "CACHED" and execution.cached_execution_id == cached_from
    assert execution.output_parameters == {"Output": 7}
    # Stamped when it was held, not when it was written: the task's and the execution's
    # times agree.
    assert tasks["hit"].started_at == tasks["hit"].finished_at == execution.finished_at
    assert [h.state for h in store.state_history(run_id, hit.id)] == ["PENDING", "CACHED"]
    # Its events are published once written, before the write that took it along.
    moves = [(e.task_id, e.state) for e in seen if isinstance(e, TaskStateChanged)]
    assert moves == [
        (hit.id, TaskState.PENDING),
        (hit.id, TaskState.CACHED),
        (source.id, TaskState.RUNNING),
    ]


def test_a_held_cache_hit_dies_with_its_store_and_nothing_of_it_is_written(
    store: Store,
) -> None:
    run_id = new_run(store).id
    hit = new_task(store, run_id, name="hit", deferred=True)
    _hold_hit(store, run_id, hit.id, cached_from=1)
    with pytest.raises(IllegalTransitionError), store.transaction() as tx:
        tx.transition_task(hit.id, TaskState.SUCCEEDED, finished=True)  # CACHED -> SUCCEEDED
    # That transaction rolled back with the hit it carried: still held, still unwritten.
    assert store.tasks_of_run(run_id) == []
    assert store.executions_of_task(hit.id) == []
    # A process killed now leaves nothing of the hit (a resume looks it up again).
    assert Store(store.url).tasks_of_run(run_id) == []
