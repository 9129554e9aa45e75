"""Lineage: the artifacts and executions an artifact came from or led to.

A walk goes level by level over the ``events`` table, with one set-based query per hop
(``WHERE artifact_id IN (...)``, then ``WHERE execution_id IN (...)``), so its cost
grows with the depth and the size of the subgraph, never with one query per node. The
indexes on ``events.artifact_id`` and ``events.execution_id`` answer every hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sluice.errors import InvalidQueryError
from sluice.store.metadata_queries import (
    EVENT_COLUMNS,
    EXECUTIONS_WITH_PATH,
    EventEntry,
    ExecutionEntry,
    chunks,
)
from sluice.store.models import ArtifactRow, EventRow, ExecutionRow
from sluice.store.repository import Store

Direction = Literal["upstream", "downstream", "both"]
DIRECTIONS: tuple[str, ...] = ("upstream", "downstream", "both")


@dataclass(frozen=True)
class LineageRows:
    """The artifacts, executions and events of a lineage subgraph, each ordered by id."""

    artifacts: list[ArtifactRow]
    executions: list[ExecutionEntry]
    events: list[EventEntry]


def _events_where(
    session: Session, column: Any, ids: set[int], event_type: str
) -> list[EventEntry]:
    found: list[EventEntry] = []
    for chunk in chunks(ids):
        query = select(*EVENT_COLUMNS).where(column.in_(chunk), EventRow.type == event_type)
        found.extend(EventEntry(*row) for row in session.execute(query).all())
    return found


def _walk(
    session: Session,
    seeds: set[int],
    *,
    upstream: bool,
    max_hops: int | None,
    events: dict[int, EventEntry],
) -> None:
    """Breadth-first over events from ``seeds``, one query per hop; collects the edges.

    Upstream, an artifact leads to the executions that OUTPUT it and an execution to
    the artifacts it took as INPUT; downstream, the reverse.
    """
    to_execution = "OUTPUT" if upstream else "INPUT"
    to_artifact = "INPUT" if upstream else "OUTPUT"
    seen_artifacts, seen_executions = set(seeds), set[int]()
    frontier = set(seeds)
    hops = 0
    while frontier and (max_hops is None or hops < max_hops):
        found = _events_where(session, EventRow.artifact_id, frontier, to_execution)
        hops += 1
        events.update((event.id, event) for event in found)
        executions = {event.execution_id for event in found} - seen_executions
        seen_executions |= executions
        if not executions or (max_hops is not None and hops >= max_hops):
            break
        found = _events_where(session, EventRow.execution_id, executions, to_artifact)
        hops += 1
        events.update((event.id, event) for event in found)
        frontier = {event.artifact_id for event in found} - seen_artifacts
        seen_artifacts |= frontier


def lineage(
    store: Store,
    artifact_ids: Sequence[int],
    *,
    direction: str = "both",
    max_hops: int | None = None,
) -> LineageRows:
    """The lineage subgraph around ``artifact_ids``.

    ``direction`` is "upstream" (what the artifacts were made from), "downstream" (what
    was made from them) or "both" (the union of the two walks; not every node
    connected to the artifacts, which would pull in siblings through shared inputs).
    ``max_hops`` counts edges (artifact→execution or execution→artifact); None walks
    until nothing new is found.

    Raises:
        InvalidQueryError: an unknown direction or a negative ``max_hops``.
    """
    if direction not in DIRECTIONS:
        raise InvalidQueryError(
            f"unknown lineage direction '{direction}'; use one of {', '.join(DIRECTIONS)}"
        )
    if max_hops is not None and max_hops < 0:
        raise InvalidQueryError(f"max_hops must be 0 or more (or None), got {max_hops}")
    seeds = set(artifact_ids)
    events: dict[int, EventEntry] = {}
    with store.session() as session:
        for upstream in (True, False):
            if direction == ("downstream" if upstream else "upstream"):
                continue
            _walk(session, seeds, upstream=upstream, max_hops=max_hops, events=events)
        artifact_set = seeds | {event.artifact_id for event in events.values()}
        execution_set = {event.execution_id for event in events.values()}
        artifacts: list[ArtifactRow] = []
        for chunk in chunks(artifact_set):
            artifacts.extend(
                session.scalars(select(ArtifactRow).where(ArtifactRow.id.in_(chunk))).all()
            )
        executions: list[ExecutionEntry] = []
        for chunk in chunks(execution_set):
            query = EXECUTIONS_WITH_PATH.where(ExecutionRow.id.in_(chunk))
            executions.extend(ExecutionEntry(r[0], r[1]) for r in session.execute(query).all())
    return LineageRows(
        artifacts=sorted(artifacts, key=lambda row: row.id),
        executions=sorted(executions, key=lambda entry: entry.row.id),
        events=[events[key] for key in sorted(events)],
    )
