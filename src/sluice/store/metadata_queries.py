"""Read-side queries of the metadata store: lists, gets, events and contexts.

These are the queries behind :mod:`sluice.metadata` (the public API, shaped after
Vertex AI's ``aiplatform.Artifact/Execution/Context``). They return store rows; the
public module turns them into its own objects. Lists take the filter and order_by
strings of :mod:`sluice.store.filters` and page with keyset tokens
(:mod:`sluice.store.pagination`). Lineage is in :mod:`sluice.store.lineage_subgraph`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from sqlalchemy import func, select, update

from sluice.errors import AlreadyExistsError, InvalidQueryError
from sluice.store.filters import (
    ARTIFACTS,
    CONTEXTS,
    EXECUTIONS,
    FilterTarget,
    compile_filter,
    compile_order_by,
)
from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    ContextRow,
    EventRow,
    ExecutionRow,
    RunRow,
    TaskRow,
)
from sluice.store.pagination import after, decode_token, encode_token, query_fingerprint, sort_keys
from sluice.store.repository import Store

T = TypeVar("T")
# Bound parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
CHUNK = 5000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, and the token of the next page (None on the last)."""

    items: list[T]
    next_page_token: str | None


class ExecutionEntry(NamedTuple):
    """An execution row with the path of its task (``for-loop-2[1]/square``)."""

    row: ExecutionRow
    task_path: str | None


class EventEntry(NamedTuple):
    """An event as plain values (a lineage walk reads many; ORM objects would cost 5x)."""

    id: int
    artifact_id: int
    execution_id: int
    type: str
    name: str
    position: int


EVENT_COLUMNS = (
    EventRow.id,
    EventRow.artifact_id,
    EventRow.execution_id,
    EventRow.type,
    EventRow.name,
    EventRow.position,
)


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """``ids`` sorted, in lists short enough for one ``IN (...)``."""
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# -- lists ----------------------------------------------------------------------------------


def _page(
    store: Store,
    query: Any,  # a Select; its type parameters differ between SQLAlchemy 2.0 and 2.1
    *,
    target: FilterTarget,
    id_column: Any,
    width: int,
    filter: str | None,
    order_by: str | None,
    limit: int,
    page_token: str | None,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Run a list query: filter, keyset order and page. Rows hold ``width`` leading entities."""
    if limit < 1:
        raise InvalidQueryError(f"limit must be at least 1, got {limit}")
    where = compile_filter(filter, target)
    keys = sort_keys(compile_order_by(order_by, target), id_column)
    fingerprint = query_fingerprint(target.name, filter, order_by)
    if where is not None:
        query = query.where(where)
    if page_token:
        query = query.where(after(keys, decode_token(page_token, fingerprint, len(keys))))
    # The key values ride along as extra columns: they are what the next token holds.
    query = query.add_columns(*[key.expr for key in keys])
    query = query.order_by(*[key.order_clause() for key in keys]).limit(limit + 1)
    with store.session() as session:
        rows = [tuple(row) for row in session.execute(query).all()]
    token = None
    if len(rows) > limit:
        rows = rows[:limit]
        token = encode_token(fingerprint, rows[-1][width:])
    return [row[:width] for row in rows], token


def entity_page(
    store: Store,
    query: Any,
    *,
    target: FilterTarget,
    id_column: Any,
    filter: str | None,
    order_by: str | None,
    limit: int,
    page_token: str | None,
) -> Page[Any]:
    """One page of a list over one entity (``select(Model)...``): filter, keyset order, page.

    Raises:
        InvalidFilterError: the filter or order does not parse or names an unknown field.
        InvalidQueryError: a page token of another query, or a bad limit.
    """
    rows, token = _page(
        store,
        query,
        target=target,
        id_column=id_column,
        width=1,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    return Page([row[0] for row in rows], token)


def list_artifacts(
    store: Store,
    filter: str | None = None,
    order_by: str | None = None,
    *,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[ArtifactRow]:
    """Artifacts matching ``filter``, in ``order_by`` order (default newest first)."""
    return entity_page(
        store,
        select(ArtifactRow),
        target=ARTIFACTS,
        id_column=ArtifactRow.id,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )


# Executions with their task's path. Select objects are immutable: each use builds on it.
EXECUTIONS_WITH_PATH = select(ExecutionRow, TaskRow.path).outerjoin(
    TaskRow, TaskRow.id == ExecutionRow.task_id
)


def list_executions(
    store: Store,
    filter: str | None = None,
    order_by: str | None = None,
    *,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[ExecutionEntry]:
    """Executions matching ``filter``, in ``order_by`` order (default newest first)."""
    rows, token = _page(
        store,
        EXECUTIONS_WITH_PATH,
        target=EXECUTIONS,
        id_column=ExecutionRow.id,
        width=2,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    return Page([ExecutionEntry(row[0], row[1]) for row in rows], token)


def list_contexts(
    store: Store,
    filter: str | None = None,
    order_by: str | None = None,
    *,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[ContextRow]:
    """Contexts (pipelines, runs, experiments) matching ``filter``, newest first by default."""
    return entity_page(
        store,
        select(ContextRow),
        target=CONTEXTS,
        id_column=ContextRow.id,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )


# -- single objects ----------------------------------------------------------------------------


def get_artifact(store: Store, artifact_id: int) -> ArtifactRow | None:
    """The artifact with this id."""
    with store.session() as session:
        return session.get(ArtifactRow, artifact_id)


def get_artifact_by_uri(store: Store, uri: str) -> ArtifactRow | None:
    """The newest artifact with exactly this uri."""
    query = (
        select(ArtifactRow)
        .where(ArtifactRow.uri == uri)
        .order_by(ArtifactRow.created_at.desc(), ArtifactRow.id.desc())
        .limit(1)
    )
    with store.session() as session:
        return session.scalar(query)


def set_artifact_digest(store: Store, artifact_id: int, digest: str | None) -> None:
    """Record the content digest of an artifact."""
    with store.session() as session:
        session.execute(
            update(ArtifactRow).where(ArtifactRow.id == artifact_id).values(digest=digest)
        )


def get_execution(store: Store, execution_id: int) -> ExecutionEntry | None:
    """The execution with this id, with its task path."""
    with store.session() as session:
        row = session.execute(EXECUTIONS_WITH_PATH.where(ExecutionRow.id == execution_id)).first()
    return None if row is None else ExecutionEntry(row[0], row[1])


def get_context(store: Store, id_or_name: int | str) -> ContextRow | None:
    """A context by id, by name, or (for a run's context) by the run's name.

    A name shared by contexts of different types resolves to the run context first,
    then the pipeline, then the oldest other.
    """
    with store.session() as session:
        if isinstance(id_or_name, int):
            return session.get(ContextRow, id_or_name)
        rows = session.scalars(
            select(ContextRow).where(ContextRow.name == id_or_name).order_by(ContextRow.id)
        ).all()
        if rows:
            rank = {"system.PipelineRun": 0, "system.Pipeline": 1}
            return min(rows, key=lambda row: rank.get(row.type, 2))
        # Run contexts are named by the run id; people know runs by their names.
        context_id = session.scalar(select(RunRow.run_context_id).where(RunRow.name == id_or_name))
        if context_id is not None:
            return session.get(ContextRow, context_id)
        if id_or_name.isdigit():
            return session.get(ContextRow, int(id_or_name))
        return None


def events_of_execution(store: Store, execution_id: int) -> list[EventEntry]:
    """An execution's events: INPUTs then OUTPUTs, each by name then position."""
    query = (
        select(*EVENT_COLUMNS)
        .where(EventRow.execution_id == execution_id)
        .order_by(EventRow.type, EventRow.name, EventRow.position, EventRow.id)
    )
    with store.session() as session:
        return [EventEntry(*row) for row in session.execute(query).all()]


def artifacts_of_execution(
    store: Store, execution_id: int, event_type: Literal["INPUT", "OUTPUT"]
) -> list[ArtifactRow]:
    """The artifacts an execution took in or put out, by event name then position."""
    query = (
        select(ArtifactRow)
        .join(EventRow, EventRow.artifact_id == ArtifactRow.id)
        .where(EventRow.execution_id == execution_id, EventRow.type == event_type)
        .order_by(EventRow.name, EventRow.position, EventRow.id)
    )
    with store.session() as session:
        return list(session.scalars(query).all())


def metrics_of_runs(store: Store, run_ids: Iterable[str]) -> list[ArtifactRow]:
    """The ``system.Metrics`` artifacts the runs ``run_ids`` produced, oldest first."""
    ids = list(run_ids)
    if not ids:
        return []
    query = (
        select(ArtifactRow)
        .where(ArtifactRow.run_id.in_(ids), ArtifactRow.schema_title == "system.Metrics")
        .order_by(ArtifactRow.id)
    )
    with store.session() as session:
        return list(session.scalars(query).all())


def artifacts_of_context(
    store: Store, context_id: int, limit: int | None = None
) -> list[ArtifactRow]:
    """Artifacts attributed to a context, oldest first (the first ``limit`` of them)."""
    query = (
        select(ArtifactRow)
        .join(AttributionRow, AttributionRow.artifact_id == ArtifactRow.id)
        .where(AttributionRow.context_id == context_id)
        .order_by(ArtifactRow.id)
        .limit(limit)
    )
    with store.session() as session:
        return list(session.scalars(query).all())


def executions_of_context(
    store: Store, context_id: int, limit: int | None = None
) -> list[ExecutionEntry]:
    """Executions associated with a context, oldest first (the first ``limit`` of them)."""
    query = (
        EXECUTIONS_WITH_PATH.join(AssociationRow, AssociationRow.execution_id == ExecutionRow.id)
        .where(AssociationRow.context_id == context_id)
        .order_by(ExecutionRow.id)
        .limit(limit)
    )
    with store.session() as session:
        return [ExecutionEntry(row[0], row[1]) for row in session.execute(query).all()]


def create_context(
    store: Store, type_: str, name: str, properties: dict[str, Any] | None = None
) -> ContextRow:
    """Create the context (type, name).

    Raises:
        AlreadyExistsError: a context of that type and name exists.
    """
    with store.session() as session:
        found = session.scalar(
            select(ContextRow).where(ContextRow.type == type_, ContextRow.name == name)
        )
        if found is not None:
            raise AlreadyExistsError(f"a {type_} context named {name!r} already exists")
        context_id = store.ensure_context(session, type_, name, properties)
        row = session.get(ContextRow, context_id)
        assert row is not None
        return row


# -- what the metadata pages offer: filter fields and facets -----------------------------------

TARGETS: dict[str, FilterTarget] = {
    "artifacts": ARTIFACTS,
    "executions": EXECUTIONS,
    "contexts": CONTEXTS,
}


def filter_fields(kind: str) -> list[str]:
    """The names a ``filter`` over ``kind`` (artifacts, executions, contexts) may use:
    plain fields, then each JSON prefix as ``prefix.`` (it takes ``<key>.number_value``...)
    and ``in_context(`` where contexts link the kind."""
    target = TARGETS[kind]
    names = sorted([*target.fields, *target.relations])
    names += [f"{prefix}." for prefix in sorted(target.json_fields)]
    if target.context_link is not None:
        names.append("in_context(")
    return names


def facet_counts(store: Store, kind: str) -> dict[str, int]:
    """How many of ``kind`` there are of each type (artifacts, contexts: ``schema_title``)
    or in each state (executions): one grouped query, for the pages' facets."""
    column = {
        "artifacts": ArtifactRow.schema_title,
        "executions": ExecutionRow.state,
        "contexts": ContextRow.type,
    }[kind]
    with store.session() as session:
        rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {str(value): int(count) for value, count in sorted(rows)}
