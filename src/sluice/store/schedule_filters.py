"""Recurring runs listed as Vertex AI lists PipelineJobSchedules: ``filter`` and ``orderBy``.

The fields are the ones Vertex documents for ``schedules.list``: ``display_name``,
``state`` (``ACTIVE``, ``PAUSED``, ``COMPLETED``), ``create_time``, ``start_time``,
``end_time``, ``next_run_time`` and the ``create_pipeline_job_request:*`` existence check
(every schedule creates pipeline jobs). The language is the metadata filters' AIP-160
(:mod:`sluice.store.filters`), compiled to SQL over the columns migration 0007 keeps.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.filters_compile import FilterField, FilterTarget
from sluice.store.metadata_queries import Page, entity_page
from sluice.store.models import RecurringRunRow
from sluice.store.repository import Store

_table = RecurringRunRow.__table__.c

# A schedule's Vertex state, as ``schedule_state`` computes it in Python: PAUSED while
# disabled; COMPLETED once max_run_count runs started or no slot is left; else ACTIVE.
STATE = case(
    (_table.status != "ENABLED", literal("PAUSED")),
    (
        or_(
            and_(_table.max_run_count.is_not(None), _table.runs_started >= _table.max_run_count),
            _table.next_run_at.is_(None),
        ),
        literal("COMPLETED"),
    ),
    else_=literal("ACTIVE"),
)


def schedule_state(row: RecurringRunRow) -> str:
    """``ACTIVE``, ``PAUSED`` or ``COMPLETED``: the rule ``STATE`` compiles to SQL."""
    if row.status != "ENABLED":
        return "PAUSED"
    if row.max_run_count is not None and row.runs_started >= row.max_run_count:
        return "COMPLETED"
    return "COMPLETED" if row.next_run_at is None else "ACTIVE"


def _field(column: Any, kind: str, nullable: bool | None = None) -> FilterField:
    if nullable is None:
        nullable = bool(getattr(column, "nullable", True))
    return FilterField(column, kind, nullable)


SCHEDULES = FilterTarget(
    name="schedules",
    model=RecurringRunRow,
    fields=MappingProxyType(
        {
            "id": _field(_table.id, "string"),
            "display_name": _field(_table.display_name, "string"),
            "state": _field(STATE, "string", nullable=False),
            "create_time": _field(_table.created_at, "timestamp"),
            "update_time": _field(_table.updated_at, "timestamp"),
            # Vertex's start time defaults to the creation time.
            "start_time": _field(
                func.coalesce(_table.start_at, _table.created_at), "timestamp", nullable=False
            ),
            "end_time": _field(_table.end_at, "timestamp", nullable=True),
            "next_run_time": _field(_table.next_run_at, "timestamp", nullable=True),
            # Every schedule holds a pipeline job request: `:*` is always true.
            "create_pipeline_job_request": _field(_table.id, "string", nullable=False),
        }
    ),
    json_fields=MappingProxyType({}),
    context_link=None,
)
"""Filters over recurring runs, as Vertex AI's ``schedules.list`` names them."""


def in_location(location: str) -> ColumnElement[bool]:
    """Schedules created in ``location`` or through the KFP API (which has no location)."""
    return or_(RecurringRunRow.location.is_(None), RecurringRunRow.location == location)


def list_schedules(
    store: Store,
    filter: str | None,
    order_by: str | None,
    *,
    location: str,
    limit: int,
    page_token: str | None,
) -> Page[RecurringRunRow]:
    """Schedules of ``location`` matching ``filter``, newest first unless ``order_by`` says.

    Raises:
        InvalidFilterError: the filter or order does not parse or names an unknown field.
        InvalidQueryError: a page token of another query, or a bad limit.
    """
    return entity_page(
        store,
        select(RecurringRunRow).where(in_location(location)),
        target=SCHEDULES,
        id_column=RecurringRunRow.id,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
