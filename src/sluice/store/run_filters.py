"""Runs listed as Vertex AI lists PipelineJobs (an AIP-160 ``filter`` compiled to SQL);
the run list's keys beyond the run's columns (``metrics.<name>``, the pipeline); and the
newest runs of many experiments or recurring runs in one grouped query.

The fields are the ones Vertex documents for ``pipelineJobs.list``: ``pipeline_name``,
``display_name``, ``pipeline_job_user_id`` (the job id, a Sluice run name), ``state``
(``PIPELINE_STATE_SUCCEEDED``, ...), ``create_time``, ``update_time``, ``start_time``,
``end_time``, ``labels.<key>`` and ``schedule_name``. The language (``AND``, ``OR``,
``NOT``, ``:``, wildcards) is the metadata filters' (:mod:`sluice.store.filters`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.sql import functions
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.filters_compile import FilterField, FilterTarget
from sluice.store.filters_sql import json_value
from sluice.store.metadata_queries import Page, entity_page
from sluice.store.models import ArtifactRow, EventRow, ExecutionRow, RunRow
from sluice.store.repository import Store

METRIC_PREFIX = "metrics."
_PIPELINE_KEYS: dict[str, Any] = {
    "pipeline_id": RunRow.pipeline_id,
    "pipeline_version_id": RunRow.pipeline_version_id,
    "pipeline_name": RunRow.pipeline_name,
}

# Vertex's PipelineState names of Sluice's run states (QUEUED is a PENDING run).
_STATES = {
    "PIPELINE_STATE_QUEUED": "PENDING",
    "PIPELINE_STATE_PENDING": "PENDING",
    "PIPELINE_STATE_RUNNING": "RUNNING",
    "PIPELINE_STATE_SUCCEEDED": "SUCCEEDED",
    "PIPELINE_STATE_FAILED": "FAILED",
    "PIPELINE_STATE_CANCELLING": "CANCELING",
    "PIPELINE_STATE_CANCELLED": "CANCELED",
}


def _state(value: str) -> str:
    # A name Sluice has no run in (PAUSED, UNSPECIFIED) matches nothing, as on Vertex.
    return _STATES.get(value, value)


def _last_segment(value: str) -> str:
    # projects/p/locations/l/schedules/{id} -> {id}: the recurring run's id.
    return value.rstrip("/").rsplit("/", 1)[-1]


def _field(column: Any, kind: str, convert: Any = None) -> FilterField:
    return FilterField(column, kind, bool(getattr(column, "nullable", True)), convert)


PIPELINE_JOBS = FilterTarget(
    name="pipelineJobs",
    model=RunRow,
    fields=MappingProxyType(
        {
            "id": _field(RunRow.__table__.c.id, "string"),
            "pipeline_name": _field(RunRow.__table__.c.pipeline_name, "string"),
            "display_name": _field(RunRow.__table__.c.display_name, "string"),
            "pipeline_job_user_id": _field(RunRow.__table__.c.name, "string"),
            "state": _field(RunRow.__table__.c.state, "string", _state),
            "create_time": _field(RunRow.__table__.c.created_at, "timestamp"),
            "update_time": _field(RunRow.__table__.c.updated_at, "timestamp"),
            "start_time": _field(RunRow.__table__.c.started_at, "timestamp"),
            "end_time": _field(RunRow.__table__.c.finished_at, "timestamp"),
            "schedule_name": _field(RunRow.__table__.c.recurring_run_id, "string", _last_segment),
        }
    ),
    json_fields=MappingProxyType({"labels": (RunRow.__table__.c.labels,)}),
    context_link=None,
)
"""Filters over runs, as Vertex AI's ``pipelineJobs.list`` names them."""


def in_location(location: str) -> ColumnElement[bool]:
    """Runs created in ``location`` (``projects/p/locations/l``) or outside Vertex's API."""
    return or_(RunRow.location.is_(None), RunRow.location == location)


def list_pipeline_jobs(
    store: Store,
    filter: str | None,
    order_by: str | None,
    *,
    location: str,
    limit: int,
    page_token: str | None,
) -> Page[RunRow]:
    """Runs of ``location`` matching ``filter``, newest first unless ``order_by`` says.

    Raises:
        InvalidFilterError: the filter or order does not parse or names an unknown field.
        InvalidQueryError: a page token of another query, or a bad limit.
    """
    return entity_page(
        store,
        select(RunRow).where(in_location(location)),
        target=PIPELINE_JOBS,
        id_column=RunRow.id,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )


def _reused_metrics(runs: ColumnElement[bool]) -> Any:
    """The ``system.Metrics`` artifacts the cached tasks of the ``runs`` (a condition on
    ``ExecutionRow.run_id``) reused, their CACHED executions' outputs: a cache hit logs no
    artifact of its own."""
    return (
        select(ArtifactRow)
        .join(EventRow, EventRow.artifact_id == ArtifactRow.id)
        .join(ExecutionRow, ExecutionRow.id == EventRow.execution_id)
        .where(
            runs,
            ExecutionRow.state == "CACHED",
            EventRow.type == "OUTPUT",
            ArtifactRow.schema_title == "system.Metrics",
        )
    )


def reused_metrics_of_runs(store: Store, run_ids: Sequence[str]) -> list[tuple[str, ArtifactRow]]:
    """(run id, artifact) for the ``system.Metrics`` artifacts the runs' cached tasks
    reused, oldest artifact first, in one query for all the runs."""
    if not run_ids:
        return []
    query = (
        _reused_metrics(ExecutionRow.run_id.in_(list(run_ids)))
        .add_columns(ExecutionRow.run_id)
        .order_by(ArtifactRow.id)
    )
    with store.session() as session:
        return [(str(run_id), artifact) for artifact, run_id in session.execute(query).all()]


def run_metric(name: str) -> ColumnElement[Any]:
    """A run's scalar metric ``name``: the number the first of its own ``system.Metrics``
    artifacts (by id) that logs ``name`` as a number logged, else the first of those its
    cached tasks reused; NULL if none does.

    The value ``RunViewService.scalar_metrics`` shows, so a filter or sort on it agrees
    with the column the page draws. Correlated to the outer query's run; each half is
    one index lookup (artifacts by run, executions by run), not a scan per run.
    """
    value = json_value("number", ArtifactRow.__table__.c.metadata, name)
    own = (
        select(value)
        .where(
            ArtifactRow.run_id == RunRow.id,
            ArtifactRow.schema_title == "system.Metrics",
            value.is_not(None),
        )
        .order_by(ArtifactRow.id)
        .limit(1)
        .scalar_subquery()
    )
    reused = (
        _reused_metrics(ExecutionRow.run_id == RunRow.id)
        .with_only_columns(value)
        .where(value.is_not(None))
        .order_by(ArtifactRow.id)
        .limit(1)
        .scalar_subquery()
    )
    found: ColumnElement[Any] = functions.coalesce(own, reused)
    return found


def run_list_key(key: str) -> ColumnElement[Any] | None:
    """The run list's keys beyond a run's list columns (``sluice.store.runs.COLUMNS``):
    ``metrics.<name>`` and the pipeline's id, version id and name; None for any other."""
    if key.startswith(METRIC_PREFIX) and len(key) > len(METRIC_PREFIX):
        return run_metric(key[len(METRIC_PREFIX) :])
    column: ColumnElement[Any] | None = _PIPELINE_KEYS.get(key)
    return column


@dataclass(frozen=True)
class RunGroup:
    """The newest runs of one experiment or recurring run, and how many it has in all."""

    key: str
    total_size: int
    runs: list[RunRow] = field(default_factory=list)


def latest_runs(
    store: Store,
    by: Literal["experiment_id", "recurring_run_id"],
    keys: Sequence[str],
    *,
    per_group: int,
    storage_state: str = "AVAILABLE",
) -> list[RunGroup]:
    """For each key (an experiment's or a recurring run's id), its ``per_group`` newest
    runs in ``storage_state`` and their count, in one windowed query for every key.

    A key with no runs gets an empty group; the groups come in the order of ``keys``.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    column = RunRow.experiment_id if by == "experiment_id" else RunRow.recurring_run_id
    ranked = (
        select(
            RunRow.id.label("run_id"),
            column.label("group_key"),
            func.row_number()
            .over(partition_by=column, order_by=(RunRow.created_at.desc(), RunRow.id.asc()))
            .label("rank"),
            func.count().over(partition_by=column).label("total"),
        )
        .where(column.in_(wanted), RunRow.storage_state == storage_state)
        .subquery()
    )
    statement = (
        select(RunRow, ranked.c.group_key, ranked.c.total)
        .join(ranked, ranked.c.run_id == RunRow.id)
        .where(ranked.c.rank <= per_group)
        .order_by(ranked.c.group_key, ranked.c.rank)
    )
    groups = {key: RunGroup(key, 0) for key in wanted}
    with store.session() as session:
        for row, key, total in session.execute(statement).all():
            group = groups[key]
            if group.total_size != total:
                groups[key] = group = RunGroup(key, int(total), group.runs)
            group.runs.append(row)
    return [groups[key] for key in wanted]
