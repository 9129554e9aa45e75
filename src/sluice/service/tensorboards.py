"""Vertex AI TensorBoard resources, kept as bookkeeping: tensorboards, their experiments,
runs and time series, and the scalar points ``log_time_series_metrics`` writes.

``aiplatform.init(experiment=...)`` looks for the default tensorboard (creating it when
there is none) and ``start_run`` gives each experiment run a tensorboard experiment and
run; this module keeps those resources, per location, so the SDK's calls succeed, and
keeps scalar points so they read back (``get_experiment_df``'s ``time_series_metric.*``
columns, ``get_time_series_data_frame``). Sluice has no TensorBoard web app.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sluice.errors import InvalidArgumentError, InvalidFilterError, NotFoundError
from sluice.store import tensorboards as repo
from sluice.store.models import TensorboardResourceRow
from sluice.store.repository import Store
from sluice.store.tensorboards import Point

__all__ = ["Point", "TensorboardService"]

# One term of a list filter: field = value (value a quoted string, true/false, or a word).
_TERM = re.compile(r'^\s*([A-Za-z_]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*$')
_FILTER_FIELDS = {"is_default": "bool", "display_name": "string"}
_NOUNS = {
    "tensorboard": "tensorboard",
    "experiment": "tensorboard experiment",
    "run": "tensorboard run",
    "time_series": "tensorboard time series",
}


def _matcher(text: str | None) -> list[tuple[str, Any]]:
    """``filter`` as (field, value) pairs that must all hold.

    Raises:
        InvalidFilterError: a term is not ``is_default=true|false`` or ``display_name="..."``.
    """
    if not text or not text.strip():
        return []
    wanted: list[tuple[str, Any]] = []
    for term in re.split(r"\s+AND\s+", text.strip()):
        match = _TERM.match(term)
        kind = _FILTER_FIELDS.get(match.group(1)) if match else None
        if match is None or kind is None:
            raise InvalidFilterError(
                f"filter term '{term.strip()}' is not understood; TensorBoard lists filter on "
                'is_default=true|false and display_name="..." joined by AND'
            )
        raw = match.group(2)
        if kind == "bool":
            if raw.lower() not in ("true", "false"):
                raise InvalidFilterError(f"is_default takes true or false, not '{raw}'")
            wanted.append(("is_default", raw.lower() == "true"))
        else:
            wanted.append(("display_name", raw[1:-1] if raw.startswith('"') else raw))
    return wanted


def _matches(row: TensorboardResourceRow, wanted: list[tuple[str, Any]]) -> bool:
    for field, value in wanted:
        actual = row.display_name if field == "display_name" else bool(row.body.get("isDefault"))
        if actual != value:
            return False
    return True


class TensorboardService:
    """The TensorBoard resources of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, location: str, path: str) -> TensorboardResourceRow:
        """The resource at ``path`` (``tensorboards/1/experiments/e``) in the location.

        Raises:
            NotFoundError: there is none.
        """
        row = repo.get(self.store, location, path)
        if row is None:
            kind = path.rsplit("/", 2)[-2] if "/" in path else path
            raise NotFoundError(f"no {kind} {location}/{path}")
        return row

    def create(
        self,
        location: str,
        kind: str,
        *,
        parent_path: str = "",
        resource_id: str | None = None,
        display_name: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> TensorboardResourceRow:
        """Record a resource of ``kind`` under its parent (which must exist).

        Raises:
            NotFoundError: the parent does not exist.
            AlreadyExistsError: the parent has one with this id.
            InvalidArgumentError: an experiment or run without an id.
        """
        if parent_path:
            self.get(location, parent_path)
        if kind == "tensorboard":
            resource_id = None  # named by a number the server makes up
        elif not resource_id and kind not in repo.NUMBERED:
            raise InvalidArgumentError(f"a {_NOUNS[kind]} needs an id")
        name = display_name or resource_id or ""
        return repo.create(
            self.store,
            kind=kind,
            location=location,
            parent_path=parent_path,
            resource_id=resource_id,
            display_name=name,
            body=body or {},
        )

    def list(
        self, location: str, kind: str, *, parent_path: str = "", filter: str | None = None
    ) -> list[TensorboardResourceRow]:
        """The resources of ``kind`` under the parent (all of them: no paging).

        Raises:
            NotFoundError: the parent does not exist.
            InvalidFilterError: the filter is not one of the few forms understood.
        """
        wanted = _matcher(filter)
        if parent_path:
            self.get(location, parent_path)
        rows = repo.children(self.store, location, parent_path, kind)
        return [row for row in rows if _matches(row, wanted)]

    def delete(self, location: str, path: str) -> None:
        """Delete a resource and everything under it.

        Raises:
            NotFoundError: there is none.
        """
        self.get(location, path)
        repo.delete_tree(self.store, location, path)

    def write(
        self, location: str, run_path: str, data: Iterable[tuple[str, Sequence[Point]]]
    ) -> None:
        """Append scalar points to time series of a run, each named by its id.

        Raises:
            NotFoundError: the run or a time series of it does not exist.
        """
        self.get(location, run_path)
        batch: list[tuple[int, Point]] = []
        for series_id, points in data:
            series = self.get(location, f"{run_path}/timeSeries/{series_id}")
            batch.extend((series.id, point) for point in points)
        repo.add_points(self.store, batch)

    def points(self, rows: Sequence[TensorboardResourceRow]) -> dict[int, builtins.list[Point]]:
        """The points of these time series, by step."""
        return repo.points(self.store, [row.id for row in rows])

    def max_steps(self, rows: Sequence[TensorboardResourceRow]) -> dict[int, tuple[int, Any]]:
        """The largest step and newest wall time of each of these time series with points."""
        return repo.max_steps(self.store, [row.id for row in rows])
