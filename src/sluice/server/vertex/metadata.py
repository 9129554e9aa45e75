"""``/v1/.../metadataStores/default``: the store, and the contexts experiments need.

What ``PipelineJob.submit(experiment=...)`` calls: the store (always there, so the SDK
never tries to create it), an experiment's context (get, or create on 404), and
``addContextChildren`` putting the job's run context in the experiment, which puts the
run in the KFP experiment of that name. Artifacts, executions and the rest of ML
Metadata are not served here yet (501).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.errors import MetadataNotFoundError
from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Name
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute, unimplemented
from sluice.server.vertex.pipeline_jobs import PREFIX, jobs, location_of
from sluice.service.experiments import ExperimentService
from sluice.service.metadata import MetadataService
from sluice.store.models import ContextRow

router = APIRouter(route_class=VertexRoute)
STORE = PREFIX + "/metadataStores/{store_id}"
EXPERIMENT = "system.Experiment"


class ContextIn(BaseModel):
    """The body of ``contexts.create``."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    schemaTitle: Name = "system.ContextType"
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChildrenIn(BaseModel):
    """The body of ``contexts.addContextChildren``."""

    model_config = ConfigDict(extra="ignore")

    childContexts: list[str] = Field(default_factory=list)


def _check_store(store_id: str) -> None:
    if store_id != "default":
        raise MetadataNotFoundError(f"no metadata store '{store_id}'; Sluice has 'default'")


def _context(request: Request, context_id: str) -> ContextRow:
    return MetadataService(state_of(request).store).get_context(context_id)


def _context_json(request: Request, parent: str, context: ContextRow) -> dict[str, Any]:
    service = jobs(state_of(request))
    run = service.run_of_context(context)
    return shapes.context_json(parent, context, resource_id=shapes.context_id(context, run))


@router.get(STORE)
def get_metadata_store(project: str, location: str, store_id: str) -> dict[str, Any]:
    """The default store, which always exists."""
    _check_store(store_id)
    return {"name": f"{location_of(project, location)}/{shapes.METADATA_STORE}"}


@router.get(STORE + "/contexts/{context_id}")
def get_context(
    project: str, location: str, store_id: str, context_id: str, request: Request
) -> dict[str, Any]:
    """A context by resource id (its name; a run's context by the job id)."""
    _check_store(store_id)
    return _context_json(request, location_of(project, location), _context(request, context_id))


@router.post(STORE + "/contexts")
def create_context(
    project: str,
    location: str,
    store_id: str,
    body: ContextIn,
    request: Request,
    contextId: str | None = None,
) -> dict[str, Any]:
    """Create an experiment's context (and the KFP experiment of that name); 409 if taken."""
    _check_store(store_id)
    if body.schemaTitle != EXPERIMENT:
        raise unimplemented(
            f"Sluice creates only {EXPERIMENT} contexts through the Vertex AI API yet, "
            f"not {body.schemaTitle}"
        )
    name = contextId or body.displayName
    if not name:
        raise bad_request("a context needs a contextId or a displayName")
    store = state_of(request).store
    context = MetadataService(store).create_context(EXPERIMENT, name, body.metadata)
    ExperimentService(store).create(name)
    return shapes.context_json(location_of(project, location), context)


@router.post(STORE + "/contexts/{context_id}:addContextChildren")
def add_context_children(
    project: str,
    location: str,
    store_id: str,
    context_id: str,
    body: ChildrenIn,
    request: Request,
) -> dict[str, Any]:
    """Put pipeline jobs (their run contexts) in an experiment."""
    _check_store(store_id)
    parent = _context(request, context_id)
    if parent.type != EXPERIMENT:
        raise unimplemented(f"Sluice adds children only to {EXPERIMENT} contexts yet")
    service = jobs(state_of(request))
    for child_name in body.childContexts:
        child = _context(request, child_name.rstrip("/").rsplit("/", 1)[-1])
        run = service.run_of_context(child)
        if run is None:
            raise unimplemented(
                f"Sluice adds only pipeline jobs' run contexts to experiments yet, not "
                f"{child.type} '{child_name}'"
            )
        service.join_experiment(run, parent.name)
    return {}
