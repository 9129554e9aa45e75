"""``/v1/projects/{p}/locations/{l}/models``: the Model Registry.

``Model.upload`` (an operation, done when answered), ``Model(id)``/``Model("id@2")``,
``Model.list(filter=)``, ``ModelRegistry(model).list_versions()`` and its aliases,
``model.update(labels=)``, ``delete`` and ``delete_version``. A model path may carry a
version or alias (``models/{id}@{version}``, which the SDK sends as ``%40``).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.vertex import registry_shapes as rshapes
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.server.vertex.pipeline_jobs import PREFIX, location_of
from sluice.service.models import ModelService, NewVersion, split_name
from sluice.store.registry_models import RegisteredModelRow

router = APIRouter(route_class=VertexRoute)
MODEL = PREFIX + "/models/{model}"


class ModelIn(BaseModel):
    """A Model as ``models:upload`` and ``models.patch`` send it."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    description: Text | None = None
    versionDescription: Text | None = None
    artifactUri: Text | None = None
    containerSpec: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Name] | None = None
    versionAliases: list[Name] = Field(default_factory=list)


class UploadIn(BaseModel):
    """The body of ``models:upload``."""

    model_config = ConfigDict(extra="ignore")

    model: ModelIn
    modelId: Name | None = None
    parentModel: Text | None = None


class AliasesIn(BaseModel):
    """The body of ``mergeVersionAliases``."""

    model_config = ConfigDict(extra="ignore")

    versionAliases: list[Name] = Field(default_factory=list)


def _service(request: Request) -> ModelService:
    return ModelService(state_of(request).store)


def _json(request: Request, row: RegisteredModelRow) -> dict[str, Any]:
    service = _service(request)
    first = service.versions(row.location, row.model_id)[0]
    return rshapes.model_json(row, first, service.deployments(row))


@router.post(PREFIX + "/models:upload")
def upload_model(project: str, location: str, body: UploadIn, request: Request) -> dict[str, Any]:
    """Register a model or a new version of ``parentModel``; the operation is done."""
    model = body.model
    new = NewVersion(
        display_name=model.displayName or "",
        description=model.description,
        version_description=model.versionDescription,
        artifact_uri=model.artifactUri or "",
        container_spec=model.containerSpec,
        labels=model.labels or {},
        aliases=model.versionAliases,
        # The SDK sends "default" among the aliases when is_default_version is true.
        is_default="default" in model.versionAliases,
    )
    row = _service(request).upload(
        location_of(project, location), new, model_id=body.modelId, parent_model=body.parentModel
    )
    return rshapes.upload_operation(row)


@router.get(MODEL + ":listVersions")
def list_versions(
    project: str,
    location: str,
    model: str,
    request: Request,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Every version of the model, newest last (one page)."""
    page_size(pageSize)
    rows = _service(request).versions(location_of(project, location), model)
    return {"models": [_json(request, row) for row in rows]}


@router.post(MODEL + ":mergeVersionAliases")
def merge_version_aliases(
    project: str, location: str, model: str, body: AliasesIn, request: Request
) -> dict[str, Any]:
    """Add (``a``) or remove (``-a``) aliases of the version the path names."""
    row = _service(request).merge_aliases(
        location_of(project, location), model, body.versionAliases
    )
    return _json(request, row)


@router.delete(MODEL + ":deleteVersion")
def delete_version(project: str, location: str, model: str, request: Request) -> dict[str, Any]:
    """Delete the version the path names (``{id}@{version}``); the operation is done."""
    parent = location_of(project, location)
    if split_name(model)[1] is None:
        raise bad_request("deleteVersion needs a version: models/{id}@{version}")
    _service(request).delete_version(parent, model)
    return shapes.empty_operation(parent, f"delete-{secrets.token_hex(8)}")


@router.get(MODEL)
def get_model(project: str, location: str, model: str, request: Request) -> dict[str, Any]:
    """A version: ``{id}`` (the default one), ``{id}@{version}`` or ``{id}@{alias}``."""
    return _json(request, _service(request).get(location_of(project, location), model))


@router.patch(MODEL)
def update_model(
    project: str,
    location: str,
    model: str,
    body: ModelIn,
    request: Request,
    updateMask: str | None = None,
) -> dict[str, Any]:
    """Change the fields ``updateMask`` names (display name, description, labels)."""
    mask = [p.strip() for p in updateMask.split(",") if p.strip()] if updateMask else None
    fields = body.model_dump(exclude_unset=True)
    row = _service(request).update(location_of(project, location), model, fields, mask)
    return _json(request, row)


@router.delete(MODEL)
def delete_model(project: str, location: str, model: str, request: Request) -> dict[str, Any]:
    """Delete a model with all its versions (or, named ``{id}@{v}``, that version)."""
    parent = location_of(project, location)
    service = _service(request)
    if split_name(model)[1] is not None:
        service.delete_version(parent, model)
    else:
        service.delete(parent, model)
    return shapes.empty_operation(parent, f"delete-{secrets.token_hex(8)}")


@router.get(PREFIX + "/models")
def list_models(
    project: str,
    location: str,
    request: Request,
    filter: str | None = None,
    orderBy: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = Query(default=None),
) -> dict[str, Any]:
    """The location's models (their default versions), filtered, in pages."""
    size = page_size(pageSize)
    offset = int(pageToken) if pageToken and pageToken.isdigit() else 0
    page = _service(request).list_models(
        location_of(project, location),
        filter_text=filter,
        order_by=orderBy,
        offset=offset,
        limit=size,
    )
    out: dict[str, Any] = {"models": [_json(request, row) for row in page.models]}
    if page.next_offset is not None:
        out["nextPageToken"] = str(page.next_offset)
    return out


@router.get("/ui" + MODEL.removeprefix("/v1") + "/operations/{operation}")
@router.get(MODEL + "/operations/{operation}")
def poll_upload(
    project: str, location: str, model: str, operation: str, request: Request
) -> dict[str, Any]:
    """An upload's operation, polled again: done, naming the version it made."""
    version = operation.removeprefix("upload-")
    row = _service(request).get(location_of(project, location), f"{model}@{version}")
    return rshapes.upload_operation(row)
