"""Writes of user-created metadata resources, location scoping, and migration 0008."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sluice.errors import AlreadyExistsError, FailedPreconditionError
from sluice.store import metadata_scope as scope
from sluice.store import metadata_writes as writes
from sluice.store.db import MIGRATIONS_DIR
from sluice.store.repository import Store

HERE = "projects/p/locations/us-central1"
THERE = "projects/q/locations/us-central1"


def _artifact(store: Store, location: str = HERE, **columns: object) -> int:
    values: dict[str, object] = {
        "location": location,
        "uri": "gs://b/x",
        "name": "x",
        "display_name": "x",
        "schema_title": "system.Artifact",
        "schema_version": "0.0.1",
        "metadata_": {},
        "state": "LIVE",
    }
    values.update(columns)
    return writes.create_artifact(store, **values).id


def test_a_resource_id_is_unique_per_location(store: Store) -> None:
    _artifact(store, resource_id="a")
    with pytest.raises(AlreadyExistsError, match="artifacts/a already exists"):
        _artifact(store, resource_id="a")
    _artifact(store, THERE, resource_id="a")
    found = scope.find_artifact(store, THERE, "a")
    assert found is not None and found.location == THERE
    # Rows without a resource id never collide.
    _artifact(store)
    _artifact(store)


def test_a_location_sees_its_own_rows_and_rows_of_no_location(store: Store) -> None:
    mine = _artifact(store, HERE)
    everyones = _artifact(store, None)  # type: ignore[arg-type]
    theirs = _artifact(store, THERE)
    page = scope.list_artifacts(store, HERE, None, None, limit=10, page_token=None)
    assert {row.id for row in page.items} == {mine, everyones}
    assert scope.find_artifact(store, HERE, str(theirs)) is None
    assert scope.find_artifact(store, THERE, str(theirs)) is not None


def test_an_update_rotates_the_etag_and_refuses_a_stale_one(store: Store) -> None:
    artifact_id = _artifact(store, metadata_={"a": 1})
    before = scope.find_artifact(store, HERE, str(artifact_id))
    assert before is not None
    etag = writes.etag_of(before.updated_at)
    after = writes.update_artifact(store, artifact_id, {"metadata_": {"a": 2}}, etag=etag)
    assert writes.etag_of(after.updated_at) != etag
    assert after.metadata_ == {"a": 2}
    with pytest.raises(FailedPreconditionError, match="changed since it was read"):
        writes.update_artifact(store, artifact_id, {"description": "x"}, etag=etag)


def test_user_executions_have_no_run_and_events_are_recorded_once(store: Store) -> None:
    execution = writes.create_execution(
        store, location=HERE, display_name="train", type="system.Run", state="RUNNING"
    )
    assert execution.run_id is None and execution.task_id is None
    assert execution.finished_at is None
    artifact_id = _artifact(store)
    assert writes.add_events(store, execution.id, [(artifact_id, "OUTPUT")]) == 1
    assert writes.add_events(store, execution.id, [(artifact_id, "OUTPUT")]) == 0
    ended = writes.update_execution(store, execution.id, {"state": "COMPLETE"})
    assert ended.finished_at is not None
    rows = scope.execution_inputs_and_outputs(store, HERE, execution.id)
    assert [(e.artifact_id, e.type) for e in rows.events] == [(artifact_id, "OUTPUT")]
    assert scope.execution_inputs_and_outputs(store, THERE, execution.id).events == []
    writes.delete_execution(store, execution.id)
    assert scope.find_execution(store, HERE, str(execution.id)) is None
    # Its events went with it; the artifact stays.
    assert scope.find_artifact(store, HERE, str(artifact_id)) is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sluice.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _upgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


_ROWS = [
    "INSERT INTO runs (id, name, display_name, pipeline_name, pipeline_spec, arguments,"
    " pipeline_root, options, state, outputs, storage_state, namespace, created_at, updated_at,"
    " executed_by, labels) VALUES ('r', 'r', 'r', 'p', '{}', '{}', '/tmp', '{}', 'SUCCEEDED',"
    " '{}', 'AVAILABLE', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'local', '{}')",
    "INSERT INTO tasks (id, run_id, name, path, display_name, kind, component_name, state,"
    " attempts, inputs, outputs, resources, notices, created_at) VALUES ('t', 'r', 't', 't',"
    " 't', 'container', 'c', 'SUCCEEDED', 1, '{}', '{}', '{}', '[]', CURRENT_TIMESTAMP)",
    "INSERT INTO executions (id, run_id, task_id, pipeline_name, component_name, type, attempt,"
    " state, cache_enabled, cache_cleared, input_parameters, output_parameters, started_at)"
    " VALUES (1, 'r', 't', 'p', 'c', 'system.ContainerExecution', 1, 'COMPLETE', false, false,"
    " '{}', '{}', CURRENT_TIMESTAMP)",
    "INSERT INTO artifacts (id, uri, name, display_name, schema_title, schema_version, metadata,"
    " run_id, created_at, updated_at) VALUES (1, '/x', 'a', 'a', 'system.Dataset', '0.0.1', '{}',"
    " 'r', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO events (id, artifact_id, execution_id, type, name, position, created_at)"
    " VALUES (1, 1, 1, 'OUTPUT', 'a', 0, CURRENT_TIMESTAMP)",
]


def test_0008_keeps_a_runs_executions_and_their_events(db_url: str) -> None:
    """Rebuilding ``executions`` (SQLite) must not cascade into the events referencing it."""
    _upgrade(db_url, "0006")
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            for statement in _ROWS:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    store = Store(db_url)  # opening migrates to the newest revision
    assert [e.execution_id for e in store.events_of_execution(1)] == [1]
    artifact = scope.find_artifact(store, HERE, "1")
    assert artifact is not None and artifact.state == "LIVE" and artifact.location is None
    entry = scope.find_execution(store, HERE, "1")
    assert entry is not None and entry.row.run_id == "r" and entry.task_path == "t"
