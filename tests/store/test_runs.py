"""Run lists, details and cache queries of the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task

from sluice.states import RunState, TaskState
from sluice.store.executions import ExecutionRepository
from sluice.store.listing import ListQuery, Predicate
from sluice.store.models import ExecutionRow, RunRow
from sluice.store.repository import Store, new_id
from sluice.store.runs import RunRepository


def _execution(store: Store, run_id: str, *, state: str = "COMPLETE") -> int:
    task = new_task(store, run_id, path=f"t-{new_id()[:6]}")
    move_task(store, task.id, TaskState.RUNNING)
    execution_id = store.create_execution(
        run_id=run_id,
        task_id=task.id,
        pipeline_name="pipe",
        component_name="comp-t",
        type_="system.ContainerExecution",
        attempt=1,
        state="RUNNING",
        input_parameters={},
        fingerprint="f",
        cache_enabled=True,
        cache_key={"k": 1},
    )
    if state != "RUNNING":
        store.finish_execution(execution_id, state=state)
    return execution_id


def test_list_filters_by_experiment_namespace_and_state(store: Store) -> None:
    repo = RunRepository(store)
    a = new_run(store, name="a", experiment_id="e1", namespace="ns").id
    b = new_run(store, name="b", experiment_id="e2").id
    move_run(store, b, RunState.RUNNING, started=True)
    assert [r.id for r in repo.page(ListQuery(), experiment_id="e1").rows] == [a]
    assert [r.id for r in repo.page(ListQuery(), namespace="ns").rows] == [a]
    running = repo.page(ListQuery(predicates=[Predicate("state", "EQUALS", "RUNNING")]))
    assert [r.id for r in running.rows] == [b]
    assert repo.get(a) is not None and repo.get("missing") is None


def test_details_split_history_by_task_and_storage_state(store: Store) -> None:
    repo = RunRepository(store)
    run_id = new_run(store, name="r").id
    execution_id = _execution(store, run_id)
    row = repo.get(run_id)
    assert row is not None
    details = repo.details(row)
    assert len(details.tasks) == 1 and details.tasks[0].path.startswith("t-")
    task_id = details.tasks[0].id
    assert [e.id for e in details.executions[task_id]] == [execution_id]
    assert [h.state for h in details.history] == ["PENDING"]
    assert all(h.task_id == task_id for h in details.task_history[task_id])
    repo.set_storage_state(run_id, "ARCHIVED")
    archived = repo.get(run_id)
    assert archived is not None and archived.storage_state == "ARCHIVED"
    assert repo.name_of_execution_run(execution_id) == row.name
    assert repo.name_of_execution_run(10**9) is None


def test_running_attempts_of_ended_runs(store: Store) -> None:
    repo = RunRepository(store)
    ended = new_run(store, name="ended").id
    _execution(store, ended, state="RUNNING")
    move_run(store, ended, RunState.FAILED, finished=True)
    live = new_run(store, name="live").id
    _execution(store, live, state="RUNNING")
    assert repo.with_running_attempts(["FAILED", "SUCCEEDED"]) == [ended]


def test_earlier_keyed_and_clear_cache(store: Store) -> None:
    repo = ExecutionRepository(store)
    run_id = new_run(store, name="r").id
    first = _execution(store, run_id)
    second = _execution(store, run_id)
    with store.session() as session:
        current = session.get(ExecutionRow, second)
        assert current is not None
    assert [e.id for e in repo.earlier_keyed(current, 10)] == [first]
    assert repo.clear_cache("other-pipeline") == 0
    assert repo.clear_cache("pipe") == 2
    assert repo.clear_cache() == 0


def test_server_runs_are_the_runs_the_server_executes(store: Store) -> None:
    """Ownership is the executed_by column, not whether the run has an experiment."""
    server = new_run(store, name="server", executed_by="server", experiment_id="exp").id
    local = new_run(store, name="local").id
    local_in_experiment = new_run(store, name="local-exp", experiment_id="exp").id
    repo = RunRepository(store)
    assert repo.server_runs(["PENDING"]) == [(server, "PENDING")]
    rows = {run_id: store.get_run(run_id) for run_id in (server, local, local_in_experiment)}
    assert {run_id: row.executed_by for run_id, row in rows.items() if row} == {
        server: "server",
        local: "local",
        local_in_experiment: "local",
    }


def test_a_run_read_without_its_spec_has_every_other_column(store: Store) -> None:
    import pytest
    from sqlalchemy.exc import SQLAlchemyError

    spec = {"pipeline_spec": {"pipelineInfo": {"name": "pipe"}}, "platform_spec": None}
    row = new_run(
        store,
        name=new_id(),
        display_name="d",
        pipeline_spec=spec,
        arguments={"x": 1},
        options={"executor": "local"},
    )
    full = store.get_run(row.id)
    assert full is not None and full.pipeline_spec == spec
    for reference in (row.id, row.name, row.id[:8]):
        light = store.get_run(reference, pipeline_spec=False)
        assert light is not None
        columns = [c.key for c in RunRow.__table__.columns if c.key != "pipeline_spec"]
        assert {c: getattr(light, c) for c in columns} == {c: getattr(full, c) for c in columns}
        with pytest.raises(SQLAlchemyError):
            _ = light.pipeline_spec  # unread, and says so rather than answering None
    assert store.run_pipeline_spec(row.id) == spec
    assert store.run_pipeline_spec(new_id()) is None
