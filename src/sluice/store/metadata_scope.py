"""Artifacts and executions as one Vertex AI location sees them: gets, lists and lineage.

A resource created through Vertex AI's API belongs to the location it was created in
(``projects/{p}/locations/{l}``); a run's artifacts and executions belong to their run's
location, and a run started any other way (``sluice run``, ``kfp.Client``) has none, so
its rows are seen from every location, as its PipelineJob is. A resource is named by the
id the user gave it (``resource_id``) or else by its numeric id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.filters import ARTIFACTS, EXECUTIONS, compile_filter
from sluice.store.lineage_subgraph import LineageRows, lineage
from sluice.store.metadata_queries import (
    EXECUTIONS_WITH_PATH,
    ExecutionEntry,
    Page,
    _page,
    chunks,
    entity_page,
    events_of_execution,
)
from sluice.store.models import ArtifactRow, ExecutionRow, RunRow
from sluice.store.repository import Store
from sluice.store.run_filters import in_location

_INT64 = 2**63


def _visible(location: str, own: Any, run_id: Any) -> ColumnElement[bool]:
    runs_here = select(RunRow.id).where(in_location(location))
    return and_(
        or_(own.is_(None), own == location),
        or_(run_id.is_(None), run_id.in_(runs_here)),
    )


def artifacts_in(location: str) -> ColumnElement[bool]:
    """The artifacts ``location`` sees."""
    return _visible(location, ArtifactRow.location, ArtifactRow.run_id)


def executions_in(location: str) -> ColumnElement[bool]:
    """The executions ``location`` sees."""
    return _visible(location, ExecutionRow.location, ExecutionRow.run_id)


def _key(model: Any, key: str) -> ColumnElement[bool]:
    # A numeric key is the row id (user ids are never all digits: see the service).
    condition: ColumnElement[bool]
    if key.isascii() and key.isdigit():
        number = int(key)
        condition = model.id == number if number < _INT64 else model.id.is_(None)
    else:
        condition = model.resource_id == key
    return condition


def find_artifact(store: Store, location: str, key: str) -> ArtifactRow | None:
    """The artifact ``location`` sees by this resource id (or numeric id), or None."""
    query = select(ArtifactRow).where(_key(ArtifactRow, key), artifacts_in(location))
    with store.session() as session:
        return session.scalar(query)


def find_execution(store: Store, location: str, key: str) -> ExecutionEntry | None:
    """The execution ``location`` sees by this resource id (or numeric id), or None."""
    query = EXECUTIONS_WITH_PATH.where(_key(ExecutionRow, key), executions_in(location))
    with store.session() as session:
        row = session.execute(query).first()
    return None if row is None else ExecutionEntry(row[0], row[1])


def list_artifacts(
    store: Store,
    location: str,
    filter: str | None,
    order_by: str | None,
    *,
    limit: int,
    page_token: str | None,
) -> Page[ArtifactRow]:
    """The artifacts ``location`` sees that match ``filter``, newest first by default.

    Raises:
        InvalidFilterError / InvalidQueryError: a malformed filter, order, limit or token.
    """
    return entity_page(
        store,
        select(ArtifactRow).where(artifacts_in(location)),
        target=ARTIFACTS,
        id_column=ArtifactRow.id,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )


def list_executions(
    store: Store,
    location: str,
    filter: str | None,
    order_by: str | None,
    *,
    limit: int,
    page_token: str | None,
) -> Page[ExecutionEntry]:
    """The executions ``location`` sees that match ``filter``, newest first by default."""
    rows, token = _page(
        store,
        EXECUTIONS_WITH_PATH.where(executions_in(location)),
        target=EXECUTIONS,
        id_column=ExecutionRow.id,
        width=2,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    return Page([ExecutionEntry(row[0], row[1]) for row in rows], token)


def _allowed(store: Store, column: Any, ids: set[int], *conditions: Any) -> set[int]:
    found: set[int] = set()
    with store.session() as session:
        for chunk in chunks(ids):
            query = select(column).where(column.in_(chunk), *conditions)
            found.update(session.scalars(query).all())
    return found


def prune(
    store: Store, location: str, rows: LineageRows, artifact_filter: str | None = None
) -> LineageRows:
    """A subgraph without what ``location`` does not see or the filter leaves out.

    An event stays when both its artifact and its execution stay; an execution stays
    when it keeps an event (or had none to begin with).
    """
    conditions: list[Any] = [artifacts_in(location)]
    where = compile_filter(artifact_filter, ARTIFACTS)
    if where is not None:
        conditions.append(where)
    artifact_ids = _allowed(store, ArtifactRow.id, {a.id for a in rows.artifacts}, *conditions)
    execution_ids = _allowed(
        store, ExecutionRow.id, {e.row.id for e in rows.executions}, executions_in(location)
    )
    events = [
        event
        for event in rows.events
        if event.artifact_id in artifact_ids and event.execution_id in execution_ids
    ]
    linked = {event.execution_id for event in events}
    had_events = {event.execution_id for event in rows.events}
    return LineageRows(
        artifacts=[a for a in rows.artifacts if a.id in artifact_ids],
        executions=[
            e
            for e in rows.executions
            if e.row.id in execution_ids and (e.row.id in linked or e.row.id not in had_events)
        ],
        events=events,
    )


def artifact_lineage(
    store: Store,
    location: str,
    artifact_id: int,
    *,
    max_hops: int | None,
    artifact_filter: str | None,
) -> LineageRows:
    """The lineage around one artifact, both ways, as ``location`` sees it.

    Raises:
        InvalidFilterError: a malformed artifact filter.
        InvalidQueryError: a negative ``max_hops``.
    """
    # Parse the filter before walking: a bad one fails fast, naming its token.
    compile_filter(artifact_filter, ARTIFACTS)
    rows = lineage(store, [artifact_id], direction="both", max_hops=max_hops)
    return prune(store, location, rows, artifact_filter)


def execution_inputs_and_outputs(store: Store, location: str, execution_id: int) -> LineageRows:
    """An execution, the artifacts it took in and put out, and those events."""
    events = events_of_execution(store, execution_id)
    with store.session() as session:
        artifacts: list[ArtifactRow] = []
        for chunk in chunks({event.artifact_id for event in events}):
            query = select(ArtifactRow).where(ArtifactRow.id.in_(chunk))
            artifacts.extend(session.scalars(query).all())
        execution = session.execute(
            EXECUTIONS_WITH_PATH.where(ExecutionRow.id == execution_id)
        ).first()
    executions = [] if execution is None else [ExecutionEntry(execution[0], execution[1])]
    rows = LineageRows(sorted(artifacts, key=lambda a: a.id), executions, list(events))
    return prune(store, location, rows)
