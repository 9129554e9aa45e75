"""``/v1/.../metadataStores/default/executions``: create, get, list, patch, delete, events.

What ``aiplatform.start_execution`` (a context manager: create RUNNING, then a PATCH to
COMPLETE or FAILED on exit) and ``aiplatform.Execution`` call, with
``assign_input_artifacts`` / ``assign_output_artifacts`` (``:addExecutionEvents``) and
``get_input_artifacts`` / ``get_output_artifacts`` (``:queryExecutionInputsAndOutputs``).
The attempts of pipeline runs' tasks are executions too, listed beside the user's.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.errors import bad_request
from sluice.server.limits import Description, Name
from sluice.server.vertex import metadata_shapes as shapes
from sluice.server.vertex.artifacts import (
    STORE,
    Version,
    check_store,
    mask_fields,
    service,
)
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.server.vertex.pipeline_jobs import location_of
from sluice.server.vertex.shapes import empty_operation
from sluice.service.metadata_resources import ExecutionChanges, ExecutionState

router = APIRouter(route_class=VertexRoute)
EXECUTIONS = STORE + "/executions"
_MASK_FIELDS = ("displayName", "state", "metadata", "description", "schemaVersion")
_MAX_EVENTS = 1000
# An execution's schema title is stored in a 64-character column.
SchemaTitle = Annotated[str, Field(max_length=64)]


class ExecutionIn(BaseModel):
    """An Execution in a create or patch body (output-only fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    schemaTitle: SchemaTitle | None = None
    schemaVersion: Version | None = None
    description: Description | None = None
    metadata: dict[str, Any] | None = None
    state: int | str | None = None
    etag: Name | None = None


class EventIn(BaseModel):
    """One Event of ``addExecutionEvents``: an artifact's resource name and INPUT/OUTPUT."""

    model_config = ConfigDict(extra="ignore")

    artifact: Name
    type: int | str | None = None


class EventsIn(BaseModel):
    """The body of ``executions.addExecutionEvents``."""

    model_config = ConfigDict(extra="ignore")

    events: list[EventIn] = Field(default_factory=list, max_length=_MAX_EVENTS)


def _changes(body: ExecutionIn, mask: set[str] | None) -> ExecutionChanges:
    # As for artifacts: a mask names what changes; without one, what the body holds does.
    wanted = mask if mask is not None else body.model_fields_set & set(_MASK_FIELDS)
    changes = ExecutionChanges()
    if "displayName" in wanted:
        changes.display_name = body.displayName or ""
    if "state" in wanted:
        changes.state = shapes.execution_state(body.state)
    if "metadata" in wanted:
        changes.metadata = dict(body.metadata or {})
    if "description" in wanted:
        changes.description = body.description or ""
    if "schemaVersion" in wanted:
        changes.schema_version = body.schemaVersion or "0.0.1"
    return changes


@router.post(EXECUTIONS)
def create_execution(
    project: str,
    location: str,
    store_id: str,
    body: ExecutionIn,
    request: Request,
    executionId: str | None = None,
) -> dict[str, Any]:
    """Record an execution (RUNNING unless the body says); 409 for a taken ``executionId``."""
    check_store(store_id)
    if not body.schemaTitle:
        raise bad_request('an execution needs a schemaTitle, such as "system.ContainerExecution"')
    parent = location_of(project, location)
    entry = service(request).create_execution(
        parent,
        schema_title=body.schemaTitle,
        resource_id=executionId or None,
        display_name=body.displayName,
        schema_version=body.schemaVersion,
        description=body.description,
        metadata=body.metadata,
        state=shapes.execution_state(body.state) or ExecutionState.RUNNING,
    )
    return shapes.execution_json(parent, entry)


@router.post(EXECUTIONS + "/{execution_id}:addExecutionEvents")
def add_execution_events(
    project: str,
    location: str,
    store_id: str,
    execution_id: str,
    body: EventsIn,
    request: Request,
) -> dict[str, Any]:
    """Record the artifacts an execution took in (INPUT) or put out (OUTPUT)."""
    check_store(store_id)
    events = [(shapes.resource_id(e.artifact), shapes.event_type(e.type)) for e in body.events]
    service(request).add_execution_events(location_of(project, location), execution_id, events)
    return {}


@router.get(EXECUTIONS + "/{execution_id}:queryExecutionInputsAndOutputs")
def query_execution_inputs_and_outputs(
    project: str, location: str, store_id: str, execution_id: str, request: Request
) -> dict[str, Any]:
    """The execution, its input and output artifacts and the events between them."""
    check_store(store_id)
    parent = location_of(project, location)
    rows = service(request).execution_inputs_and_outputs(parent, execution_id)
    return shapes.lineage_json(parent, rows)


@router.get(EXECUTIONS + "/{execution_id}")
def get_execution(
    project: str, location: str, store_id: str, execution_id: str, request: Request
) -> dict[str, Any]:
    """An execution by resource id; 404 when this location has none."""
    check_store(store_id)
    parent = location_of(project, location)
    return shapes.execution_json(parent, service(request).get_execution(parent, execution_id))


@router.get(EXECUTIONS)
def list_executions(
    project: str,
    location: str,
    store_id: str,
    request: Request,
    filter: str | None = None,
    orderBy: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Executions matching an AIP-160 ``filter``, newest first unless ``orderBy`` says."""
    check_store(store_id)
    parent = location_of(project, location)
    page = service(request).list_executions(
        parent,
        filter or None,
        orderBy or None,
        limit=page_size(pageSize),
        page_token=pageToken or None,
    )
    out: dict[str, Any] = {"executions": [shapes.execution_json(parent, e) for e in page.items]}
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    return out


@router.patch(EXECUTIONS + "/{execution_id}")
def update_execution(
    project: str,
    location: str,
    store_id: str,
    execution_id: str,
    body: ExecutionIn,
    request: Request,
    updateMask: str | None = None,
) -> dict[str, Any]:
    """Update the fields ``updateMask`` names (all the body holds without one)."""
    check_store(store_id)
    parent = location_of(project, location)
    changes = _changes(body, mask_fields(updateMask, _MASK_FIELDS, "execution"))
    entry = service(request).update_execution(parent, execution_id, changes, etag=body.etag)
    return shapes.execution_json(parent, entry)


@router.delete(EXECUTIONS + "/{execution_id}")
def delete_execution(
    project: str, location: str, store_id: str, execution_id: str, request: Request
) -> dict[str, Any]:
    """Delete an execution a user created; the answer is an operation that is already done."""
    check_store(store_id)
    parent = location_of(project, location)
    service(request).delete_execution(parent, execution_id)
    return empty_operation(parent, f"delete-{secrets.token_hex(8)}")
