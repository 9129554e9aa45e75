"""TensorBoard resources and their scalar points: the ``tensorboard_resources`` and
``tensorboard_scalars`` tables.

A resource is kept by its location (``projects/{p}/locations/{l}``) and its path under it
(``tensorboards/3/experiments/exp/runs/r1/timeSeries/5``); its parent's path says where it
is listed. Tensorboards (and time series given no id) are named by their row id, as Vertex
names them by a number it makes up; experiments and runs by the id the client gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select

from sluice.errors import AlreadyExistsError, StoreConflictError
from sluice.store.models import TensorboardResourceRow, TensorboardScalarRow, utcnow
from sluice.store.repository import Store

# The collection under its parent that each kind of resource is listed in.
COLLECTIONS = {
    "tensorboard": "tensorboards",
    "experiment": "experiments",
    "run": "runs",
    "time_series": "timeSeries",
}
# Kinds the server names by row id (a time series only when the client gives no id).
NUMBERED = frozenset({"tensorboard", "time_series"})


@dataclass(frozen=True)
class Point:
    """One scalar point of a time series."""

    step: int
    value: float
    wall_time: datetime


def get(store: Store, location: str, path: str) -> TensorboardResourceRow | None:
    """The resource at this path in the location, or None."""
    with store.session() as session:
        return session.scalar(
            select(TensorboardResourceRow).where(
                TensorboardResourceRow.location == location, TensorboardResourceRow.path == path
            )
        )


def create(
    store: Store,
    *,
    kind: str,
    location: str,
    parent_path: str,
    resource_id: str | None,
    display_name: str,
    body: Mapping[str, Any],
) -> TensorboardResourceRow:
    """Record a resource under ``parent_path`` ("" for a tensorboard).

    Raises:
        AlreadyExistsError: the parent already has one with this id.
    """
    prefix = f"{parent_path}/" if parent_path else ""
    collection = COLLECTIONS[kind]
    # A numbered resource's path holds its row id, known once the row is in.
    path = f"{prefix}{collection}/{resource_id or 'new-' + uuid.uuid4().hex}"
    row = TensorboardResourceRow(
        kind=kind,
        location=location,
        path=path,
        parent_path=parent_path,
        display_name=display_name,
        body=dict(body),
    )
    try:
        with store.session() as session:
            session.add(row)
            if resource_id is None:
                session.flush()
                row.path = f"{prefix}{collection}/{row.id}"
    except StoreConflictError as exc:
        raise AlreadyExistsError(f"{path} already exists in {location}") from exc
    return row


def children(
    store: Store, location: str, parent_path: str, kind: str
) -> list[TensorboardResourceRow]:
    """The resources of a kind right under ``parent_path``, oldest first."""
    with store.session() as session:
        return list(
            session.scalars(
                select(TensorboardResourceRow)
                .where(
                    TensorboardResourceRow.location == location,
                    TensorboardResourceRow.parent_path == parent_path,
                    TensorboardResourceRow.kind == kind,
                )
                .order_by(TensorboardResourceRow.id)
            ).all()
        )


def delete_tree(store: Store, location: str, path: str) -> None:
    """Delete a resource, everything under it and their points."""
    where = [
        TensorboardResourceRow.location == location,
        or_(
            TensorboardResourceRow.path == path, TensorboardResourceRow.path.startswith(path + "/")
        ),
    ]
    with store.session() as session:
        ids = list(session.scalars(select(TensorboardResourceRow.id).where(*where)).all())
        if ids:
            session.execute(
                delete(TensorboardScalarRow).where(TensorboardScalarRow.time_series_id.in_(ids))
            )
            session.execute(
                delete(TensorboardResourceRow).where(TensorboardResourceRow.id.in_(ids))
            )


def add_points(store: Store, points: Iterable[tuple[int, Point]]) -> None:
    """Append points, each to the time series (row id) it names."""
    rows = [
        TensorboardScalarRow(
            time_series_id=series, step=p.step, value=p.value, wall_time=p.wall_time or utcnow()
        )
        for series, p in points
    ]
    if rows:
        with store.session() as session:
            session.add_all(rows)


def points(store: Store, series_ids: Sequence[int]) -> dict[int, list[Point]]:
    """The points of each time series, by step (the last write of a step wins, listed once)."""
    found: dict[int, dict[int, Point]] = {i: {} for i in series_ids}
    if not series_ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(
                TensorboardScalarRow.time_series_id,
                TensorboardScalarRow.step,
                TensorboardScalarRow.value,
                TensorboardScalarRow.wall_time,
            )
            .where(TensorboardScalarRow.time_series_id.in_(list(series_ids)))
            .order_by(TensorboardScalarRow.id)
        ).all()
    for series, step, value, wall_time in rows:
        found[series][int(step)] = Point(int(step), float(value), wall_time)
    return {series: [by_step[s] for s in sorted(by_step)] for series, by_step in found.items()}


def max_steps(store: Store, series_ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
    """The largest step and the newest wall time of each time series that has points."""
    if not series_ids:
        return {}
    with store.session() as session:
        rows = session.execute(
            select(
                TensorboardScalarRow.time_series_id,
                func.max(TensorboardScalarRow.step),
                func.max(TensorboardScalarRow.wall_time),
            )
            .where(TensorboardScalarRow.time_series_id.in_(list(series_ids)))
            .group_by(TensorboardScalarRow.time_series_id)
        ).all()
    return {int(series): (int(step), wall) for series, step, wall in rows}
