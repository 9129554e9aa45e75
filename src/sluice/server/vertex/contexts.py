"""``/v1/.../metadataStores/default/contexts``: Vertex AI's metadata contexts.

Create, get, list (AIP-160 ``filter`` with ``parent_contexts:``, ``orderBy``), update
(``PATCH`` with or without ``updateMask``), delete, children (``addContextChildren``,
``removeContextChildren``), members (``addContextArtifactsAndExecutions``) and the lineage
inside one (``queryContextLineageSubgraph``), over :mod:`sluice.service.contexts`. The
contexts are the store's: a pipeline job's ``system.PipelineRun`` context (by the job id),
its ``system.Pipeline`` context, experiments and experiment runs, and any a user creates.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.vertex import context_shapes, shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.metadata import STORE, check_store
from sluice.server.vertex.paging import MAX_PAGE_SIZE
from sluice.server.vertex.pipeline_jobs import location_of
from sluice.service.contexts import ContextService, NewContext

router = APIRouter(route_class=VertexRoute)
CONTEXTS = STORE + "/contexts"
# updateMask paths (camelCase as the SDK sends them, or snake_case) and the field each sets.
_MASK_FIELDS = {
    "displayName": "display_name",
    "display_name": "display_name",
    "description": "description",
    "metadata": "metadata",
    "labels": "labels",
    "schemaVersion": "schema_version",
    "schema_version": "schema_version",
}


class ContextIn(BaseModel):
    """A Context as ``create`` and ``patch`` send it (output-only fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    description: Text | None = None
    schemaTitle: Name | None = None
    schemaVersion: Name | None = None
    metadata: dict[str, Any] | None = None
    labels: dict[str, Name] | None = None


class ChildrenIn(BaseModel):
    """The body of ``addContextChildren`` and ``removeContextChildren``."""

    model_config = ConfigDict(extra="ignore")

    childContexts: list[Text] = Field(default_factory=list)


class MembersIn(BaseModel):
    """The body of ``addContextArtifactsAndExecutions``."""

    model_config = ConfigDict(extra="ignore")

    artifacts: list[Text] = Field(default_factory=list)
    executions: list[Text] = Field(default_factory=list)


def _service(request: Request) -> ContextService:
    return ContextService(state_of(request).store)


def _answer(request: Request, project: str, location: str, context_id: str) -> dict[str, Any]:
    service = _service(request)
    view = service.view(service.get(context_id))
    return context_shapes.context_json(location_of(project, location), view)


def _new(resource_id: str, body: ContextIn) -> NewContext:
    if not body.schemaTitle:
        raise bad_request("a context needs a schemaTitle (system.Experiment, ...)")
    return NewContext(
        resource_id=resource_id,
        schema_title=body.schemaTitle,
        display_name=body.displayName,
        description=body.description,
        schema_version=body.schemaVersion,
        metadata=body.metadata,
        labels=body.labels,
    )


@router.post(CONTEXTS)
def create_context(
    project: str,
    location: str,
    store_id: str,
    body: ContextIn,
    request: Request,
    contextId: str | None = None,
) -> dict[str, Any]:
    """Create a context (an id is made up when none is given); 409 if the id is taken."""
    check_store(store_id)
    if contextId is not None and len(contextId) > 128:
        raise bad_request("contextId is at most 128 characters")
    row = _service(request).create(_new(contextId or uuid.uuid4().hex, body))
    return _answer(request, project, location, row.name)


# The custom verbs first: GET contexts/{id} would otherwise take "x:queryContext..." as an id.
@router.get(CONTEXTS + "/{context_id}:queryContextLineageSubgraph")
def query_context_lineage_subgraph(
    project: str, location: str, store_id: str, context_id: str, request: Request
) -> dict[str, Any]:
    """The artifacts and executions in the context, and the events between them."""
    check_store(store_id)
    rows = _service(request).lineage(context_id)
    return context_shapes.lineage_json(location_of(project, location), rows)


@router.get(CONTEXTS + "/{context_id}")
def get_context(
    project: str, location: str, store_id: str, context_id: str, request: Request
) -> dict[str, Any]:
    """A context by resource id (a pipeline job's own context by the job id)."""
    check_store(store_id)
    return _answer(request, project, location, context_id)


@router.get(CONTEXTS)
def list_contexts(
    project: str,
    location: str,
    store_id: str,
    request: Request,
    filter: Text | None = None,
    orderBy: Text | None = None,
    pageSize: int = 100,
    pageToken: Text | None = None,
) -> dict[str, Any]:
    """One page of contexts matching ``filter``, in ``orderBy`` order (newest first)."""
    check_store(store_id)
    if not 0 <= pageSize <= MAX_PAGE_SIZE:
        raise bad_request(f"pageSize must be between 0 and {MAX_PAGE_SIZE}, got {pageSize}")
    page = _service(request).list(
        filter, orderBy, limit=pageSize or 100, page_token=pageToken or None
    )
    parent = location_of(project, location)
    out: dict[str, Any] = {
        "contexts": [context_shapes.context_json(parent, view) for view in page.items]
    }
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    return out


@router.patch(CONTEXTS + "/{context_id}")
def update_context(
    project: str,
    location: str,
    store_id: str,
    context_id: str,
    body: ContextIn,
    request: Request,
    updateMask: Text | None = None,
    allowMissing: bool = False,
) -> dict[str, Any]:
    """Replace the fields ``updateMask`` names, or, without one, every writable field.

    The etag the body carries is not compared (the SDK sends the one it last read, and
    writes of one client never race here); it changes with every update.
    """
    check_store(store_id)
    service = _service(request)
    if allowMissing and service.find(context_id) is None:
        service.create(_new(context_id, body))
        return _answer(request, project, location, context_id)
    given = {
        "display_name": body.displayName,
        "description": body.description,
        "metadata": body.metadata or {},
        "labels": body.labels or None,
        "schema_version": body.schemaVersion,
    }
    if updateMask:
        fields = {}
        for path in (p.strip() for p in updateMask.split(",") if p.strip()):
            field = _MASK_FIELDS.get(path)
            if field is None:
                raise bad_request(
                    f"updateMask path '{path}' is not a field a context update sets; use "
                    "displayName, description, metadata, labels or schemaVersion"
                )
            fields[field] = given[field]
    else:
        fields = given
    service.update(context_id, fields)
    return _answer(request, project, location, context_id)


@router.delete(CONTEXTS + "/{context_id}")
def delete_context(
    project: str, location: str, store_id: str, context_id: str, request: Request
) -> dict[str, Any]:
    """Delete a context; the answer is an operation that is already done."""
    check_store(store_id)
    _service(request).delete(context_id)
    return shapes.empty_operation(location_of(project, location), f"delete-{secrets.token_hex(8)}")


@router.post(CONTEXTS + "/{context_id}:addContextChildren")
def add_context_children(
    project: str, location: str, store_id: str, context_id: str, body: ChildrenIn, request: Request
) -> dict[str, Any]:
    """Put contexts under this one (a pipeline job's in an experiment joins that experiment)."""
    check_store(store_id)
    _service(request).add_children(context_id, body.childContexts)
    return {}


@router.post(CONTEXTS + "/{context_id}:removeContextChildren")
def remove_context_children(
    project: str, location: str, store_id: str, context_id: str, body: ChildrenIn, request: Request
) -> dict[str, Any]:
    """Take contexts out of this one."""
    check_store(store_id)
    _service(request).remove_children(context_id, body.childContexts)
    return {}


@router.post(CONTEXTS + "/{context_id}:addContextArtifactsAndExecutions")
def add_context_artifacts_and_executions(
    project: str, location: str, store_id: str, context_id: str, body: MembersIn, request: Request
) -> dict[str, Any]:
    """Attribute artifacts and associate executions (by resource name) to the context."""
    check_store(store_id)
    _service(request).add_members(
        location_of(project, location), context_id, body.artifacts, body.executions
    )
    return {}
