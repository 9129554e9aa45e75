"""Contexts as Vertex AI's API writes them: create with a resource id, update, delete,
children, and the artifacts and executions in a context.

A context's resource id is unique in the store (Vertex names contexts per metadata store),
though the table is unique only on (type, name): :func:`create` refuses an id any context
answers to (:func:`~sluice.store.context_links.contexts_with_id`), and the unique constraint
catches the race of two creates of one type and name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from sluice.errors import AlreadyExistsError, FailedPreconditionError, StoreConflictError
from sluice.store import run_executions
from sluice.store.context_links import PIPELINE_RUN, contexts_with_id
from sluice.store.lineage_subgraph import LineageRows
from sluice.store.metadata_queries import (
    EVENT_COLUMNS,
    EXECUTIONS_WITH_PATH,
    EventEntry,
    ExecutionEntry,
    chunks,
)
from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    ContextParentRow,
    ContextRow,
    EventRow,
    ExecutionRow,
    RunRow,
    utcnow,
)
from sluice.store.repository import Store

# The fields an update may set, as ContextRow attributes.
UPDATABLE = frozenset({"display_name", "description", "schema_version", "properties", "labels"})
# Vertex's limit on a context's parents; it also bounds the ancestor walk.
MAX_PARENTS = 10


@dataclass(frozen=True)
class NewContext:
    """What ``contexts.create`` records."""

    resource_id: str
    schema_title: str
    display_name: str | None = None
    description: str | None = None
    schema_version: str | None = None
    metadata: Mapping[str, Any] | None = None
    labels: Mapping[str, str] | None = None


def find(store: Store, resource_id: str) -> ContextRow | None:
    """The context with this Vertex resource id, or None.

    A run's context (by the run's name) first, then one of that name that is not a
    pipeline's, then a pipeline's: ``Experiment("train")`` finds the experiment even where
    a pipeline is called "train" too.
    """
    with store.session() as session:
        by_run = session.scalar(
            select(ContextRow)
            .join(RunRow, RunRow.run_context_id == ContextRow.id)
            .where(RunRow.name == resource_id)
        )
        if by_run is not None:
            return by_run
        rows = session.scalars(
            select(ContextRow).where(ContextRow.name == resource_id).order_by(ContextRow.id)
        ).all()
    if not rows:
        return None
    return min(rows, key=lambda row: row.type == "system.Pipeline")


def create(store: Store, new: NewContext) -> ContextRow:
    """Record a context.

    Raises:
        AlreadyExistsError: a context already has this resource id.
    """
    with store.session() as session:
        taken = session.scalar(
            select(ContextRow.type).where(ContextRow.id.in_(contexts_with_id(new.resource_id)))
        )
        if taken is not None:
            raise AlreadyExistsError(
                f"a context with id '{new.resource_id}' ({taken}) already exists; "
                "get it, or choose another id"
            )
    row = ContextRow(
        type=new.schema_title,
        name=new.resource_id,
        properties=dict(new.metadata or {}),
        display_name=new.display_name,
        description=new.description,
        schema_version=new.schema_version,
        labels=dict(new.labels) if new.labels else None,
    )
    try:
        with store.session() as session:
            session.add(row)
    except StoreConflictError as exc:
        raise AlreadyExistsError(
            f"a context with id '{new.resource_id}' already exists (created just now)"
        ) from exc
    return row


def ensure(store: Store, schema_title: str, name: str) -> ContextRow:
    """The context (type, name), created when missing (safe against a concurrent creator)."""
    with store.session() as session:
        context_id = store.ensure_context(session, schema_title, name)
        row = session.get(ContextRow, context_id)
        assert row is not None, context_id
        return row


def update_fields(store: Store, context_id: int, fields: Mapping[str, Any]) -> ContextRow:
    """Set these fields (of :data:`UPDATABLE`) and stamp the update time; the row after."""
    values = {key: value for key, value in fields.items() if key in UPDATABLE}
    with store.session() as session:
        session.execute(
            update(ContextRow)
            .where(ContextRow.id == context_id)
            .values(**values, updated_at=utcnow())
        )
        row = session.get(ContextRow, context_id)
        assert row is not None, context_id
        return row


def delete_context(store: Store, context_id: int) -> None:
    """Delete a context, its links to parents, children, artifacts and executions.

    Runs in an experiment being deleted leave it (they are kept).

    Raises:
        FailedPreconditionError: it is a run's own or pipeline context (delete the run).
    """
    with store.session() as session:
        owner = session.scalar(
            select(RunRow.name).where(
                (RunRow.run_context_id == context_id) | (RunRow.pipeline_context_id == context_id)
            )
        )
        if owner is not None:
            raise FailedPreconditionError(
                f"the context belongs to pipeline job '{owner}'; delete the job instead"
            )
        session.execute(
            update(RunRow)
            .where(RunRow.experiment_context_id == context_id)
            .values(experiment_context_id=None)
        )
        for table, column in (
            (ContextParentRow, ContextParentRow.child_id),
            (ContextParentRow, ContextParentRow.parent_id),
            (AttributionRow, AttributionRow.context_id),
            (AssociationRow, AssociationRow.context_id),
        ):
            session.execute(delete(table).where(column == context_id))
        session.execute(delete(ContextRow).where(ContextRow.id == context_id))


def _ancestors(session: Any, context_id: int) -> set[int]:
    seen: set[int] = set()
    frontier = {context_id}
    while frontier:
        parents = set(
            session.scalars(
                select(ContextParentRow.parent_id).where(ContextParentRow.child_id.in_(frontier))
            ).all()
        )
        frontier = parents - seen
        seen |= parents
    return seen


def add_children(store: Store, parent_id: int, child_ids: Iterable[int]) -> None:
    """Make these contexts children of the parent (again is a no-op).

    Raises:
        FailedPreconditionError: a child is the parent or one of its ancestors (a cycle),
            or would have more than :data:`MAX_PARENTS` parents.
    """
    with store.session() as session:
        ancestors = _ancestors(session, parent_id) | {parent_id}
        for child_id in dict.fromkeys(child_ids):
            if child_id in ancestors:
                raise FailedPreconditionError(
                    "adding that child would make a cycle: it is the context itself or "
                    "one of its parents"
                )
            parents = set(
                session.scalars(
                    select(ContextParentRow.parent_id).where(ContextParentRow.child_id == child_id)
                ).all()
            )
            if parent_id in parents:
                continue
            if len(parents) >= MAX_PARENTS:
                raise FailedPreconditionError(
                    f"a context has at most {MAX_PARENTS} parents; this child has {len(parents)}"
                )
            session.execute(insert(ContextParentRow).values(child_id=child_id, parent_id=parent_id))


def remove_children(store: Store, parent_id: int, child_ids: Iterable[int]) -> None:
    """Take these contexts out of the parent (a context that is not a child is ignored)."""
    with store.session() as session:
        session.execute(
            delete(ContextParentRow).where(
                ContextParentRow.parent_id == parent_id,
                ContextParentRow.child_id.in_(list(child_ids)),
            )
        )


def add_members(
    store: Store, context_id: int, artifact_ids: Iterable[int], execution_ids: Iterable[int]
) -> None:
    """Attribute artifacts and associate executions to a context (again is a no-op)."""
    with store.session() as session:
        for model, table, column, ids in (
            (ArtifactRow, AttributionRow, "artifact_id", artifact_ids),
            (ExecutionRow, AssociationRow, "execution_id", execution_ids),
        ):
            wanted = set(ids)
            if not wanted:
                continue
            member = getattr(table, column)
            present = set(
                session.scalars(
                    select(member).where(table.context_id == context_id, member.in_(wanted))
                ).all()
            )
            existing = set(session.scalars(select(model.id).where(model.id.in_(wanted))).all())
            for item in sorted(existing - present):
                session.execute(insert(table).values(context_id=context_id, **{column: item}))


def parents_of(store: Store, context_ids: Iterable[int]) -> dict[int, list[ContextRow]]:
    """Each context's parents: those added as such, and a run context's pipeline and
    experiment contexts."""
    wanted = list(set(context_ids))
    found: dict[int, dict[int, ContextRow]] = {i: {} for i in wanted}
    if not wanted:
        return {}
    with store.session() as session:
        linked = session.execute(
            select(ContextParentRow.child_id, ContextRow)
            .join(ContextRow, ContextRow.id == ContextParentRow.parent_id)
            .where(ContextParentRow.child_id.in_(wanted))
        ).all()
        of_runs: list[Any] = []
        for column in (RunRow.pipeline_context_id, RunRow.experiment_context_id):
            of_runs += session.execute(
                select(RunRow.run_context_id, ContextRow)
                .join(ContextRow, ContextRow.id == column)
                .where(RunRow.run_context_id.in_(wanted))
            ).all()
    for child_id, parent in [*linked, *of_runs]:
        if child_id is not None:
            found[child_id][parent.id] = parent
    return {child: sorted(parents.values(), key=lambda c: c.id) for child, parents in found.items()}


def members_subgraph(store: Store, context_id: int) -> LineageRows:
    """The artifacts and executions in a context and the events between them, by id."""
    with store.session() as session:
        artifacts = list(
            session.scalars(
                select(ArtifactRow)
                .join(AttributionRow, AttributionRow.artifact_id == ArtifactRow.id)
                .where(AttributionRow.context_id == context_id)
                .order_by(ArtifactRow.id)
            ).all()
        )
        executions = [
            ExecutionEntry(row[0], row[1])
            for row in session.execute(
                EXECUTIONS_WITH_PATH.join(
                    AssociationRow, AssociationRow.execution_id == ExecutionRow.id
                )
                .where(AssociationRow.context_id == context_id)
                .order_by(ExecutionRow.id)
            ).all()
        ]
        artifact_ids = {a.id for a in artifacts}
        events: list[EventEntry] = []
        for chunk in chunks(e.row.id for e in executions):
            query = select(*EVENT_COLUMNS).where(EventRow.execution_id.in_(chunk))
            events.extend(
                EventEntry(*row)
                for row in session.execute(query).all()
                if row.artifact_id in artifact_ids
            )
    return LineageRows(artifacts, executions, sorted(events, key=lambda e: e.id))


def run_names(store: Store, context_ids: Iterable[int]) -> dict[int, str]:
    """The run name (the job id, the resource id) of each context that is a run's own."""
    wanted = list(set(context_ids))
    if not wanted:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(RunRow.run_context_id, RunRow.name).where(
                and_(RunRow.run_context_id.in_(wanted), RunRow.run_context_id.is_not(None))
            )
        ).all()
    return {int(context_id): name for context_id, name in rows if context_id is not None}


def ensure_run_execution(store: Store, run_id: str, parameters: Mapping[str, Any]) -> None:
    """Record the run's system.Run execution in its run context, unless it has one.

    The run's row is locked while its state is read (PostgreSQL), so a move of the run
    either came before (and is read here) or waits and then moves this execution too.
    """
    with store.session() as session:
        run = session.get(RunRow, run_id, with_for_update=True)
        if run is None or run.run_context_id is None:
            return
        existing = session.scalar(
            select(ExecutionRow.id)
            .join(AssociationRow, AssociationRow.execution_id == ExecutionRow.id)
            .where(
                AssociationRow.context_id == run.run_context_id,
                ExecutionRow.type == run_executions.RUN_EXECUTION,
                ExecutionRow.run_id.is_(None),
            )
        )
        if existing is not None:
            return
        row = ExecutionRow(
            run_id=None,
            task_id=None,
            pipeline_name=run.pipeline_name,
            component_name=run.name,
            display_name=run.name,
            type=run_executions.RUN_EXECUTION,
            state=run_executions.EXECUTION_STATE_OF_RUN.get(run.state, "RUNNING"),
            input_parameters=dict(parameters),
            location=run.location,
            started_at=run.created_at,
            finished_at=run.finished_at,
        )
        session.add(row)
        session.flush()
        session.add(AssociationRow(context_id=run.run_context_id, execution_id=row.id))


__all__ = [
    "MAX_PARENTS",
    "PIPELINE_RUN",
    "UPDATABLE",
    "NewContext",
    "add_children",
    "add_members",
    "create",
    "delete_context",
    "ensure",
    "ensure_run_execution",
    "find",
    "members_subgraph",
    "parents_of",
    "remove_children",
    "run_names",
    "update_fields",
]
