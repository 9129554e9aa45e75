"""The hot statements (sluice.store.hot) and the gate's folded first move: what they write
is what Core and an INSERT followed by the guarded UPDATE wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from tests.store_rows import new_run, new_task

from sluice.errors import StoreError
from sluice.events import TaskStateChanged
from sluice.states import TASK_SOURCES, IllegalTransitionError, TaskState
from sluice.store.hot import HotStatement
from sluice.store.models import ExecutionRow, StateTransitionRow, TaskRow, utcnow
from sluice.store.repository import Store

_HISTORY = cast(Table, StateTransitionRow.__table__)
_TASKS = cast(Table, TaskRow.__table__)


def _history(store: Store, task_id: str) -> list[tuple[str, str | None]]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(_HISTORY.c.state, _HISTORY.c.message)
            .where(_HISTORY.c.task_id == task_id)
            .order_by(_HISTORY.c.id)
        )
        return [(state, message) for state, message in rows]


def test_a_first_move_inserts_the_row_moved_with_both_history_rows(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    seen: list[Any] = []
    with store.events.subscribe(seen.append), store.transaction() as tx:
        tx.transition_task(
            row.id,
            TaskState.RUNNING,
            attempts=1,
            log_path="/logs/t",
            inputs={"parameters": {"x": 1}},
            started=True,
            message="attempt 1",
        )
    [task] = store.tasks_of_run(run_id)
    assert (task.state, task.attempts, task.log_path) == ("RUNNING", 1, "/logs/t")
    assert task.inputs == {"parameters": {"x": 1}}
    assert task.started_at is not None and task.finished_at is None
    assert _history(store, row.id) == [("PENDING", None), ("RUNNING", "attempt 1")]
    moves = [e for e in seen if isinstance(e, TaskStateChanged)]
    assert [(e.state, e.attempt) for e in moves] == [
        (TaskState.PENDING, 0),
        (TaskState.RUNNING, 1),
    ]
    assert moves[0].seq < moves[1].seq


def test_a_refused_first_move_writes_nothing_and_keeps_the_row(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    illegal = next(s for s in TaskState if "PENDING" not in TASK_SOURCES.get(s, ("PENDING",)))
    with pytest.raises(IllegalTransitionError), store.transaction() as tx:
        tx.transition_task(row.id, illegal)
    assert store.tasks_of_run(run_id) == []
    store.write_deferred_task(row.id)  # still there to write, as created
    [task] = store.tasks_of_run(run_id)
    assert task.state == "PENDING"
    assert _history(store, row.id) == [("PENDING", None)]


def test_a_cache_hit_execution_is_inserted_ended(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    with store.transaction() as tx:
        tx.transition_task(row.id, TaskState.CACHED, started=True, finished=True)
        execution_id = tx.create_execution(
            run_id=run_id,
            task_id=row.id,
            pipeline_name="pipe",
            component_name="comp-t",
            type_="system.ContainerExecution",
            attempt=0,
            state="CACHED",
            input_parameters={"x": 1},
            fingerprint="f",
            cache_enabled=True,
            outputs=({"Output": 2}, {}),
        )
    with store.session() as session:
        execution = session.get(ExecutionRow, execution_id)
        assert execution is not None
        assert execution.state == "CACHED" and execution.output_parameters == {"Output": 2}
        assert execution.input_parameters == {"x": 1}
        assert execution.finished_at is not None and execution.task_id == row.id


def test_hot_and_core_write_the_same_row(store: Store) -> None:
    run_id = new_run(store).id
    hot = HotStatement(insert(_HISTORY))
    row = {"run_id": run_id, "task_id": None, "state": "RUNNING", "message": "m"}
    with store.engine.begin() as connection:
        at = utcnow()
        hot_id = hot.insert(connection, {**row, "at": at})
        key = connection.execute(insert(_HISTORY), {**row, "at": at}).inserted_primary_key
        assert key is not None
        core_id = key[0]
        got = {
            i: tuple(connection.execute(select(_HISTORY).where(_HISTORY.c.id == i)).one()[1:])
            for i in (hot_id, core_id)
        }
    assert hot_id != core_id
    assert got[hot_id] == got[core_id]


def test_a_failed_hot_statement_raises_what_core_raises(store: Store) -> None:
    run_id = new_run(store).id
    row = new_task(store, run_id, deferred=True)
    store.write_deferred_task(row.id)
    hot = HotStatement(insert(_TASKS))
    values = {"id": row.id, "run_id": run_id, "name": "t", "path": "t", "display_name": "t"}
    values |= {"kind": "container", "component_name": "c", "state": "PENDING"}
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        hot.execute(connection, values)  # the same id again
    # ... which the store's boundary turns into its own error, like any database error.
    with pytest.raises(StoreError), store.transaction() as tx:
        hot.execute(tx.connection, values)
