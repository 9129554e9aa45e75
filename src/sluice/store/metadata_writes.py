"""Writes of metadata resources users create: artifacts, executions and their events.

A run's engine records its own artifacts and executions (:mod:`sluice.store.lineage`, the
transition gate); these are the writes of Vertex AI's metadata API
(``aiplatform.Artifact.create``, ``start_execution``, ``assign_output_artifacts``), on the
same tables, so the two kinds of rows list, filter and walk as one. Every write is one
transaction. A resource id a location already has leaves as an
:class:`~sluice.errors.AlreadyExistsError` naming it.

The etag of a row is its ``updated_at`` in microseconds: every update moves it forward
(at least by one microsecond), so an etag read before an update never matches after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sluice.errors import AlreadyExistsError, FailedPreconditionError, StoreConflictError
from sluice.store.models import ArtifactRow, EventRow, ExecutionRow, as_utc, utcnow
from sluice.store.repository import Store

# Execution states after which an execution has ended (its finished_at is set).
FINAL_EXECUTION_STATES = frozenset({"COMPLETE", "FAILED", "CACHED", "CANCELED"})
# Columns an update may change, per table (the service decides which a request names).
ARTIFACT_COLUMNS = frozenset(
    {"display_name", "uri", "state", "metadata_", "description", "schema_version"}
)
EXECUTION_COLUMNS = frozenset(
    {"display_name", "state", "metadata_", "description", "schema_version"}
)


def etag_of(updated_at: datetime | None) -> str:
    """The etag of a row last updated at ``updated_at`` (microseconds since the epoch)."""
    stamp = as_utc(updated_at)
    if stamp is None:
        return "0"
    return str(int(stamp.timestamp()) * 1_000_000 + stamp.microsecond)


def execution_etag(row: ExecutionRow) -> str:
    """An execution's etag (a run's execution has no ``updated_at``: its last write's time)."""
    return etag_of(row.updated_at or row.finished_at or row.started_at)


def _next_update(previous: datetime | None) -> datetime:
    # Strictly after the last update, so the etag always changes.
    now = utcnow()
    before = as_utc(previous)
    return before + timedelta(microseconds=1) if before is not None and now <= before else now


def _check_etag(kind: str, key: str, current: str, expected: str | None) -> None:
    if expected and expected != current:
        raise FailedPreconditionError(
            f"the {kind} '{key}' changed since it was read (etag {expected}, now {current}); "
            "get it again and repeat the update"
        )


def _taken(kind: str, resource_id: str, location: str | None) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{location}/metadataStores/default/{kind}s/{resource_id} already exists; "
        f"choose another id, or get the existing {kind}"
    )


def create_artifact(store: Store, **columns: Any) -> ArtifactRow:
    """Record an artifact from these :class:`ArtifactRow` columns; returns the row.

    Raises:
        AlreadyExistsError: its ``location`` has an artifact with its ``resource_id``.
    """
    now = utcnow()
    row = ArtifactRow(run_id=None, producer_task_id=None, created_at=now, updated_at=now)
    for name, value in columns.items():
        setattr(row, name, value)
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            session.expunge(row)
    except StoreConflictError as exc:
        raise _taken("artifact", str(columns.get("resource_id")), columns.get("location")) from exc
    return row


def update_artifact(
    store: Store, artifact_id: int, changes: Mapping[str, Any], *, etag: str | None = None
) -> ArtifactRow:
    """Set these columns of an artifact (a stale ``etag`` refuses); returns the row.

    Raises:
        FailedPreconditionError: ``etag`` is not the artifact's current one.
    """
    unknown = set(changes) - ARTIFACT_COLUMNS
    assert not unknown, unknown
    with store.session() as session:
        # Locked (PostgreSQL; SQLite serializes writers), so two updates cannot both pass
        # the etag check.
        row = session.get(ArtifactRow, artifact_id, with_for_update=True)
        assert row is not None, artifact_id
        _check_etag("artifact", str(artifact_id), etag_of(row.updated_at), etag)
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = _next_update(row.updated_at)
        session.flush()
        session.expunge(row)
    return row


def delete_artifact(store: Store, artifact_id: int) -> None:
    """Delete an artifact with its events and context memberships (the foreign keys cascade)."""
    with store.session() as session:
        session.execute(delete(ArtifactRow).where(ArtifactRow.id == artifact_id))


def create_execution(store: Store, **columns: Any) -> ExecutionRow:
    """Record an execution with no run or task from these columns; returns the row.

    Raises:
        AlreadyExistsError: its ``location`` has an execution with its ``resource_id``.
    """
    now = utcnow()
    row = ExecutionRow(
        run_id=None,
        task_id=None,
        pipeline_name="",
        attempt=1,
        started_at=now,
        updated_at=now,
        input_parameters={},
        output_parameters={},
    )
    for name, value in columns.items():
        setattr(row, name, value)
    # The component column is what Sluice's own API and the display_name filter read.
    row.component_name = row.display_name or ""
    if row.state in FINAL_EXECUTION_STATES:
        row.finished_at = now
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            session.expunge(row)
    except StoreConflictError as exc:
        kind = "execution"
        raise _taken(kind, str(columns.get("resource_id")), columns.get("location")) from exc
    return row


def update_execution(
    store: Store, execution_id: int, changes: Mapping[str, Any], *, etag: str | None = None
) -> ExecutionRow:
    """Set these columns of an execution (a stale ``etag`` refuses); returns the row.

    An execution moving to an end state gets its ``finished_at``; one moving back to
    RUNNING (resumed) loses it.

    Raises:
        FailedPreconditionError: ``etag`` is not the execution's current one.
    """
    unknown = set(changes) - EXECUTION_COLUMNS
    assert not unknown, unknown
    with store.session() as session:
        row = session.get(ExecutionRow, execution_id, with_for_update=True)
        assert row is not None, execution_id
        _check_etag("execution", str(execution_id), execution_etag(row), etag)
        for name, value in changes.items():
            setattr(row, name, value)
        if "display_name" in changes:
            row.component_name = row.display_name or ""
        now = _next_update(row.updated_at or row.finished_at or row.started_at)
        if "state" in changes:
            if row.state in FINAL_EXECUTION_STATES:
                row.finished_at = row.finished_at or now
            else:
                row.finished_at = None
        row.updated_at = now
        session.flush()
        session.expunge(row)
    return row


def delete_execution(store: Store, execution_id: int) -> None:
    """Delete an execution with its events and context memberships."""
    with store.session() as session:
        session.execute(delete(ExecutionRow).where(ExecutionRow.id == execution_id))


def _existing_events(session: Session, execution_id: int) -> set[tuple[int, str]]:
    query = select(EventRow.artifact_id, EventRow.type).where(EventRow.execution_id == execution_id)
    return {(row[0], row[1]) for row in session.execute(query).all()}


def add_events(store: Store, execution_id: int, events: Iterable[tuple[int, str]]) -> int:
    """Record (artifact id, INPUT|OUTPUT) events of an execution; returns how many were new.

    An event the execution already has is not recorded twice, so repeating a call is
    harmless.
    """
    added = 0
    with store.session() as session:
        seen = _existing_events(session, execution_id)
        for artifact_id, event_type in events:
            if (artifact_id, event_type) in seen:
                continue
            seen.add((artifact_id, event_type))
            session.add(
                EventRow(
                    artifact_id=artifact_id,
                    execution_id=execution_id,
                    type=event_type,
                    name="",
                    position=0,
                )
            )
            added += 1
    return added
