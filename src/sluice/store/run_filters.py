"""Runs listed as Vertex AI lists PipelineJobs: an AIP-160 ``filter`` compiled to SQL.

The fields are the ones Vertex documents for ``pipelineJobs.list``: ``pipeline_name``,
``display_name``, ``pipeline_job_user_id`` (the job id, a Sluice run name), ``state``
(``PIPELINE_STATE_SUCCEEDED``, ...), ``create_time``, ``update_time``, ``start_time``,
``end_time``, ``labels.<key>`` and ``schedule_name``. The language (``AND``, ``OR``,
``NOT``, ``:``, wildcards) is the metadata filters' (:mod:`sluice.store.filters`).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.filters_compile import FilterField, FilterTarget
from sluice.store.metadata_queries import Page, entity_page
from sluice.store.models import RunRow
from sluice.store.repository import Store

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
