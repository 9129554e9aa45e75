"""``/v1/.../metadataStores/default/artifacts``: create, get, list, patch, delete, lineage.

What ``aiplatform.Artifact`` calls (``create``, ``get``, ``get_with_uri``, ``list``,
``update``, ``delete``) and ``queryArtifactLineageSubgraph``, over
:mod:`sluice.service.metadata_resources`: the artifacts pipeline runs produce are the
same rows, so ``Artifact.list(filter='schema_title="system.Dataset"')`` shows them.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.errors import MetadataNotFoundError
from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Description, Name, Text
from sluice.server.vertex import metadata_shapes as shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.server.vertex.pipeline_jobs import PREFIX, location_of
from sluice.server.vertex.shapes import empty_operation
from sluice.service.metadata_resources import (
    ArtifactChanges,
    ArtifactState,
    MetadataResourceService,
)

router = APIRouter(route_class=VertexRoute)
STORE = PREFIX + "/metadataStores/{store_id}"
ARTIFACTS = STORE + "/artifacts"
Version = Annotated[str, Field(max_length=32)]
# Artifact fields an updateMask may name (camelCase, as the SDK sends them).
_MASK_FIELDS = ("displayName", "uri", "state", "metadata", "description", "schemaVersion")


class ArtifactIn(BaseModel):
    """An Artifact in a create or patch body (output-only fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    uri: Text | None = None
    schemaTitle: Name | None = None
    schemaVersion: Version | None = None
    description: Description | None = None
    metadata: dict[str, Any] | None = None
    state: int | str | None = None
    etag: Name | None = None


def check_store(store_id: str) -> None:
    """Refuse a metadata store other than ``default`` (the one Sluice has)."""
    if store_id != "default":
        raise MetadataNotFoundError(f"no metadata store '{store_id}'; Sluice has 'default'")


def service(request: Request) -> MetadataResourceService:
    """The artifacts and executions of the server's store."""
    return MetadataResourceService(state_of(request).store)


def mask_fields(update_mask: str | None, allowed: tuple[str, ...], kind: str) -> set[str] | None:
    """The camelCase fields an ``updateMask`` names (None: no mask, update what is sent).

    Raises:
        ApiError: 400 for a field that cannot be updated.
    """
    if not update_mask:
        return None
    fields = {part.strip() for part in update_mask.split(",") if part.strip()}
    unknown = sorted(fields - set(allowed))
    if unknown:
        raise bad_request(
            f"updateMask names {', '.join(unknown)}, which an {kind} update cannot set; "
            f"use {', '.join(allowed)}"
        )
    return fields


def _changes(body: ArtifactIn, mask: set[str] | None) -> ArtifactChanges:
    # With a mask, a named field absent from the body is cleared; without one, the fields
    # the body holds are set (the SDK sends the whole artifact).
    wanted = mask if mask is not None else body.model_fields_set & set(_MASK_FIELDS)
    changes = ArtifactChanges()
    if "displayName" in wanted:
        changes.display_name = body.displayName or ""
    if "uri" in wanted:
        changes.uri = body.uri or ""
    if "state" in wanted:
        changes.state = shapes.artifact_state(body.state if body.state is not None else 0)
    if "metadata" in wanted:
        changes.metadata = dict(body.metadata or {})
    if "description" in wanted:
        changes.description = body.description or ""
    if "schemaVersion" in wanted:
        changes.schema_version = body.schemaVersion or "0.0.1"
    return changes


@router.post(ARTIFACTS)
def create_artifact(
    project: str,
    location: str,
    store_id: str,
    body: ArtifactIn,
    request: Request,
    artifactId: str | None = None,
) -> dict[str, Any]:
    """Record an artifact; 409 when the location has one of that ``artifactId``."""
    check_store(store_id)
    if not body.schemaTitle:
        raise bad_request('an artifact needs a schemaTitle, such as "system.Dataset"')
    parent = location_of(project, location)
    row = service(request).create_artifact(
        parent,
        schema_title=body.schemaTitle,
        resource_id=artifactId or None,
        uri=body.uri,
        display_name=body.displayName,
        schema_version=body.schemaVersion,
        description=body.description,
        metadata=body.metadata,
        state=shapes.artifact_state(body.state) or ArtifactState.LIVE,
    )
    return shapes.artifact_json(parent, row)


@router.get(ARTIFACTS + "/{artifact_id}:queryArtifactLineageSubgraph")
def query_artifact_lineage_subgraph(
    project: str,
    location: str,
    store_id: str,
    artifact_id: str,
    request: Request,
    maxHops: int | None = None,
    filter: str | None = None,
) -> dict[str, Any]:
    """The artifacts and executions around an artifact, up and down, within ``maxHops``."""
    check_store(store_id)
    parent = location_of(project, location)
    rows = service(request).artifact_lineage(
        parent, artifact_id, max_hops=maxHops, filter=filter or None
    )
    return shapes.lineage_json(parent, rows)


@router.get(ARTIFACTS + "/{artifact_id}")
def get_artifact(
    project: str, location: str, store_id: str, artifact_id: str, request: Request
) -> dict[str, Any]:
    """An artifact by resource id; 404 when this location has none."""
    check_store(store_id)
    parent = location_of(project, location)
    return shapes.artifact_json(parent, service(request).get_artifact(parent, artifact_id))


@router.get(ARTIFACTS)
def list_artifacts(
    project: str,
    location: str,
    store_id: str,
    request: Request,
    filter: str | None = None,
    orderBy: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Artifacts matching an AIP-160 ``filter``, newest first unless ``orderBy`` says."""
    check_store(store_id)
    parent = location_of(project, location)
    page = service(request).list_artifacts(
        parent,
        filter or None,
        orderBy or None,
        limit=page_size(pageSize),
        page_token=pageToken or None,
    )
    out: dict[str, Any] = {"artifacts": [shapes.artifact_json(parent, r) for r in page.items]}
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    return out


@router.patch(ARTIFACTS + "/{artifact_id}")
def update_artifact(
    project: str,
    location: str,
    store_id: str,
    artifact_id: str,
    body: ArtifactIn,
    request: Request,
    updateMask: str | None = None,
) -> dict[str, Any]:
    """Update the fields ``updateMask`` names (all the body holds without one)."""
    check_store(store_id)
    parent = location_of(project, location)
    changes = _changes(body, mask_fields(updateMask, _MASK_FIELDS, "artifact"))
    row = service(request).update_artifact(parent, artifact_id, changes, etag=body.etag)
    return shapes.artifact_json(parent, row)


@router.delete(ARTIFACTS + "/{artifact_id}")
def delete_artifact(
    project: str, location: str, store_id: str, artifact_id: str, request: Request
) -> dict[str, Any]:
    """Delete an artifact a user created; the answer is an operation that is already done."""
    check_store(store_id)
    parent = location_of(project, location)
    service(request).delete_artifact(parent, artifact_id)
    return empty_operation(parent, f"delete-{secrets.token_hex(8)}")
