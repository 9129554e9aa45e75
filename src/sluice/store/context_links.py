"""Contexts named the way Vertex AI names them, and their parents, as SQL.

A context's Vertex resource id is its name, except a run's own (``system.PipelineRun``)
context, which is named by the run's id and known by the run's name (the job id). Its
parents are the contexts ``addContextChildren`` put it under, and for a run's context
also its pipeline's and the experiment the run is in (``runs.experiment_context_id``),
however it got there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from sluice.store.models import ContextParentRow, ContextRow, RunRow

PIPELINE_RUN = "system.PipelineRun"


def resource_id_of(name: str) -> str:
    """The last segment of a resource name (``…/contexts/exp`` → ``exp``); an id as it is."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def contexts_with_id(resource_id: str) -> Any:
    """A subquery of the ids of the contexts whose Vertex resource id is this."""
    run_contexts = select(RunRow.run_context_id).where(RunRow.name == resource_id)
    return select(ContextRow.id).where(
        or_(
            and_(ContextRow.name == resource_id, ContextRow.type != PIPELINE_RUN),
            ContextRow.id.in_(run_contexts),
        )
    )


def has_parent(name: str) -> ColumnElement[bool]:
    """``parent_contexts:"<name>"``: contexts that are children of the context ``name``."""
    parents = contexts_with_id(resource_id_of(name))
    linked = select(ContextParentRow.child_id).where(ContextParentRow.parent_id.in_(parents))
    runs = select(RunRow.run_context_id).where(
        or_(RunRow.experiment_context_id.in_(parents), RunRow.pipeline_context_id.in_(parents)),
        RunRow.run_context_id.is_not(None),
    )
    return or_(ContextRow.id.in_(linked), ContextRow.id.in_(runs))
