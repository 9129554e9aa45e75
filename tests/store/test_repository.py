"""The store's reads and writes behave the same on every database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task

from sluice.states import RunState, TaskState
from sluice.store.db import SCHEMA_REVISION, head_revision
from sluice.store.repository import Store


def _run(store: Store, name: str = "r1") -> str:
    """A run with arguments to read back."""
    return new_run(
        store,
        name=name,
        pipeline_spec={"pipeline_spec": {}},
        arguments={"n": 3, "xs": [1, 2]},
        state="PENDING",
    ).id


def test_schema_revision_constant_is_alembic_head() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_run_roundtrip_and_state_history(store: Store) -> None:
    run_id = _run(store)
    store.transition_run(run_id, RunState.RUNNING, started=True)
    store.transition_run(run_id, RunState.FAILED, error="task 'x' failed: boom", finished=True)

    row = store.get_run(run_id)
    assert row is not None
    assert row.state == "FAILED"
    assert row.error == "task 'x' failed: boom"
    assert row.arguments == {"n": 3, "xs": [1, 2]}
    assert row.started_at is not None and row.finished_at is not None
    assert [t.state for t in store.state_history(run_id)] == ["PENDING", "RUNNING", "FAILED"]
    assert store.get_run("r1") is not None  # by name
    assert store.get_run(run_id[:10]) is not None  # by id prefix
    assert store.get_run("nope") is None


def test_list_runs_newest_first_and_filters(store: Store) -> None:
    first = _run(store, "a")
    second = _run(store, "b")
    move_run(store, second, "SUCCEEDED", finished=True)
    assert [r.id for r in store.list_runs()] == [second, first]
    assert [r.id for r in store.list_runs(state="SUCCEEDED")] == [second]
    assert store.run_name_taken("a") and not store.run_name_taken("c")


def test_tasks_and_their_history(store: Store) -> None:
    run_id = _run(store)
    parent = new_task(store, run_id, name="loop", kind="loop", state="PENDING")
    child = new_task(
        store,
        run_id,
        path="loop[0]/t",
        parent_id=parent.id,
        state="PENDING",
        resources={"cpuLimit": 1.0},
    )
    store.transition_task(child.id, TaskState.RUNNING, attempts=1, started=True)
    store.transition_task(
        child.id,
        TaskState.SUCCEEDED,
        finished=True,
        outputs={"parameters": {"Output": 4}, "artifacts": {}},
    )
    tasks = {t.path: t for t in store.tasks_of_run(run_id)}
    assert tasks["loop[0]/t"].state == "SUCCEEDED"
    assert tasks["loop[0]/t"].outputs["parameters"] == {"Output": 4}
    assert tasks["loop[0]/t"].parent_id == parent.id
    assert tasks["loop[0]/t"].resources == {"cpuLimit": 1.0}
    history = [t.state for t in store.state_history(run_id, child.id)]
    assert history == ["PENDING", "RUNNING", "SUCCEEDED"]


def test_executions_artifacts_events_and_cache_lookup(store: Store) -> None:
    run_id = _run(store)
    task = new_task(store, run_id)
    move_task(store, task.id, "RUNNING")
    artifact = store.create_artifact(
        uri="/tmp/root/r1/t/model",
        name="model",
        schema_title="system.Model",
        schema_version="0.0.1",
        metadata={"framework": "sklearn"},
        run_id=run_id,
        producer_task_id=task.id,
    )
    execution = store.create_execution(
        run_id=run_id,
        task_id=task.id,
        pipeline_name="pipe",
        component_name="comp-t",
        type_="system.ContainerExecution",
        attempt=1,
        state="RUNNING",
        input_parameters={"a": 1},
        fingerprint="f" * 64,
        cache_enabled=True,
    )
    assert store.find_cached(fingerprint="f" * 64, pipeline_name="pipe") is None  # not done
    store.finish_execution(
        execution,
        state="COMPLETE",
        output_parameters={"acc": 0.9},
        output_artifacts={"model": [artifact]},
        exit_code=0,
    )

    hit = store.find_cached(fingerprint="f" * 64, pipeline_name="pipe")
    assert hit is not None and hit.execution_id == execution and hit.task_id == task.id
    assert hit.finished_at is not None
    assert store.find_cached(fingerprint="f" * 64, pipeline_name="other") is None
    assert (
        store.find_cached(
            fingerprint="f" * 64,
            pipeline_name="pipe",
            newer_than=hit.finished_at + timedelta(days=1),
        )
        is None
    )
    events = list(store.events_of_execution(execution))
    assert [(e.type, e.name, e.artifact_id) for e in events] == [("OUTPUT", "model", artifact)]
    assert store.get_artifacts([artifact])[artifact].metadata_ == {"framework": "sklearn"}
    found = store.find_artifact_by_uri("/tmp/root/r1/t/model", pipeline_name="pipe")
    assert found is not None and found.id == artifact


def _artifact(store: Store, run_id: str) -> int:
    """A plain artifact of the run at uri ``/x``; its id."""
    return store.create_artifact(
        uri="/x",
        name="a",
        schema_title="system.Artifact",
        schema_version="0.0.1",
        metadata={},
        run_id=run_id,
        producer_task_id=None,
    )


def test_delete_run_keeps_artifacts(store: Store) -> None:
    run_id = _run(store)
    artifact = _artifact(store, run_id)
    store.delete_run(run_id)
    assert store.get_run(run_id) is None
    assert artifact in store.get_artifacts([artifact])


def test_models_match_migrations(store: Store) -> None:
    """The SQLAlchemy models and the Alembic migrations describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from sluice.store.models import Base

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_a_taken_run_name_is_refused_and_writes_nothing(store: Store) -> None:
    from sqlalchemy import func, select

    from sluice.errors import RunNameTakenError, UserInputError
    from sluice.store.models import ContextRow, RunRow, StateTransitionRow

    _run(store, "dup1")
    with store.session() as session:
        before = [
            session.scalar(select(func.count()).select_from(table))
            for table in (RunRow, ContextRow, StateTransitionRow)
        ]
    with pytest.raises(RunNameTakenError, match=r"'dup1' already exists.*unique id") as caught:
        _run(store, "dup1")
    assert isinstance(caught.value, UserInputError)
    with store.session() as session:
        after = [
            session.scalar(select(func.count()).select_from(table))
            for table in (RunRow, ContextRow, StateTransitionRow)
        ]
    assert after == before


def test_run_references_resolve_one_way(store: Store) -> None:
    from sluice.errors import AmbiguousRunError, RunNotFoundError
    from sluice.store.models import RunRow

    def add(run_id: str, name: str, display_name: str) -> None:
        with store.session() as session:
            session.add(
                RunRow(
                    id=run_id,
                    name=name,
                    display_name=display_name,
                    pipeline_name="pipe",
                    pipeline_spec={},
                    pipeline_root="/tmp/root",
                    state="PENDING",
                )
            )

    add("abcd1234" + "0" * 24, "first", "nightly")
    add("abcd5678" + "0" * 24, "second", "nightly")
    add("ef01" + "1" * 28, "third", "once")
    full = "abcd1234" + "0" * 24
    assert store.resolve_run(full).name == "first"
    assert store.resolve_run("second").name == "second"  # the unique run name
    assert store.resolve_run("abcd1").name == "first"  # a unique id prefix
    assert store.resolve_run("ABCD5").name == "second"  # ids are lowercase hex
    assert store.resolve_run("ef01").name == "third"
    assert store.resolve_run("once").name == "third"  # a display name only one run has
    for ambiguous, candidates in (
        ("abcd", ("abcd1234", "abcd5678")),
        ("nightly", ("(first)", "(second)")),
    ):
        with pytest.raises(AmbiguousRunError, match=f"'{ambiguous}' is ambiguous") as caught:
            store.resolve_run(ambiguous)
        assert all(c in str(caught.value) for c in candidates)
    for unknown in ("abc", "nope", "", "abcd9", "%", "ab_d"):
        with pytest.raises(RunNotFoundError, match="no run"):
            store.resolve_run(unknown)
    assert store.get_run("nope") is None


def test_get_artifacts_of_more_ids_than_one_statement_binds(store: Store) -> None:
    """A whole run's artifact ids (the run graph's artifact nodes, a run's KFP detail) can
    outnumber the parameters one statement binds (PostgreSQL 65,535; SQLite 32,766 or, as
    built here, 250,000): the ids go in several queries, not one error."""
    run_id = _run(store)
    artifact = _artifact(store, run_id)
    ids = [*range(artifact + 1, artifact + 260_001), artifact]
    found = store.get_artifacts(ids)
    assert list(found) == [artifact] and found[artifact].uri == "/x"
