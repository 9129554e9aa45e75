"""``/pipelines``: uploads (multipart), pipelines and their versions."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sluice.server.auth import require_token
from sluice.server.config import ServerState, state_of
from sluice.server.errors import ApiError, bad_request, conflict, not_found, precondition
from sluice.server.kfp_filters import list_response
from sluice.server.limits import Description, LimitedRoute, Name, Text, check_name, loads_json
from sluice.server.packages import load_spec, parse_package
from sluice.server.serialize import pipeline_json, version_json
from sluice.store.models import PipelineRow, PipelineVersionRow
from sluice.store.repository import new_id

router = APIRouter(
    tags=["pipelines"], dependencies=[Depends(require_token)], route_class=LimitedRoute
)
MAX_TAGS = 20  # Kubeflow's limit
PARALLEL_PARSES = 2  # uploads parsed at once; the others wait their turn

COLUMNS = {
    "pipeline_id": PipelineRow.id,
    "id": PipelineRow.id,
    "display_name": PipelineRow.display_name,
    "name": PipelineRow.name,
    "created_at": PipelineRow.created_at,
    "description": PipelineRow.description,
    "namespace": PipelineRow.namespace,
}
VERSION_COLUMNS = {
    "pipeline_version_id": PipelineVersionRow.id,
    "id": PipelineVersionRow.id,
    "display_name": PipelineVersionRow.display_name,
    "name": PipelineVersionRow.name,
    "created_at": PipelineVersionRow.created_at,
    "description": PipelineVersionRow.description,
}


async def _read_upload(request: Request, upload: UploadFile) -> bytes:
    limit = state_of(request).config.max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the uploaded file is larger than {limit} bytes")
    return data


def _parse_upload(data: bytes, limit: int) -> tuple[str, dict[str, Any]]:
    """The pipeline name and stored form of an uploaded package (run in a worker thread)."""
    loaded = parse_package(data, limit)
    return loaded.name, loaded.to_dict()


async def _read_package(request: Request, upload: UploadFile) -> tuple[str, dict[str, Any]]:
    state = state_of(request)
    limit = state.config.max_upload_bytes
    data = await _read_upload(request, upload)
    limiter = state.extras.get("package_parsers")
    if not isinstance(limiter, anyio.CapacityLimiter):
        limiter = state.extras["package_parsers"] = anyio.CapacityLimiter(PARALLEL_PARSES)
    # Parsing a package is CPU-bound (YAML, protobuf) and may take seconds for a large one:
    # off the event loop, so healthz and every other request keep being served meanwhile,
    # and only a few at once, so that many large uploads cannot exhaust memory together.
    return await anyio.to_thread.run_sync(_parse_upload, data, limit, limiter=limiter)


def _checked_name(value: str, field: str) -> str:
    """A name derived from the request (a filename, ``pipelineInfo.name``), checked."""
    try:
        return check_name(value, field)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc


# -- pipelines -----------------------------------------------------------------------------


def _insert_pipeline(state: ServerState, row: PipelineRow) -> None:
    try:
        with state.store.session() as session:
            session.add(row)
    except IntegrityError as exc:
        raise conflict(f"a pipeline named '{row.name}' already exists") from exc


def _insert_version(state: ServerState, row: PipelineVersionRow) -> None:
    try:
        with state.store.session() as session:
            session.add(row)
    except IntegrityError as exc:
        raise conflict(f"the pipeline already has a version named '{row.name}'") from exc


def _tags(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    tags = loads_json(raw, "tags")
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise bad_request("tags must be a JSON object of strings")
    return _checked_tags(tags)


def _checked_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise bad_request(f"a pipeline has at most {MAX_TAGS} tags; got {len(tags)}")
    for key, value in tags.items():
        _checked_name(key, "a tag key")
        _checked_name(value, f"tag '{key[:64]}'")
    return tags


@router.post("/pipelines/upload")
async def upload_pipeline(
    request: Request,
    uploadfile: Annotated[UploadFile, File()],
    name: Name | None = None,
    display_name: Name | None = None,
    description: Description | None = None,
    namespace: Name | None = None,
    tags: str | None = None,
) -> dict[str, Any]:
    """Upload a compiled pipeline: creates the pipeline and its first version."""
    state = state_of(request)
    spec_name, spec = await _read_package(request, uploadfile)
    pipeline_name = _checked_name(
        name or display_name or uploadfile.filename or spec_name, "the pipeline name"
    )
    pipeline = PipelineRow(
        id=new_id(),
        name=pipeline_name,
        display_name=display_name or pipeline_name,
        description=description or None,
        namespace=namespace or "",
        tags=_tags(tags),
    )
    version = PipelineVersionRow(
        id=new_id(),
        pipeline_id=pipeline.id,
        name=pipeline_name,
        display_name=display_name or pipeline_name,
        description=description or None,
        pipeline_spec=spec,
    )
    try:
        with state.store.session() as session:
            session.add(pipeline)
            session.flush()
            session.add(version)
    except IntegrityError as exc:
        raise conflict(f"a pipeline named '{pipeline_name}' already exists") from exc
    return pipeline_json(pipeline)


@router.post("/pipelines/upload_version")
async def upload_pipeline_version(
    request: Request,
    uploadfile: Annotated[UploadFile, File()],
    name: Name | None = None,
    display_name: Name | None = None,
    pipelineid: str | None = None,
    description: Description | None = None,
    tags: str | None = None,
) -> dict[str, Any]:
    """Upload a new version of an existing pipeline (``pipelineid``)."""
    state = state_of(request)
    if not pipelineid:
        raise bad_request("pipelineid is required: the id of the pipeline to add a version to")
    get_pipeline_row(state, pipelineid)
    spec_name, spec = await _read_package(request, uploadfile)
    version_name = _checked_name(
        name or display_name or uploadfile.filename or spec_name, "the version name"
    )
    version = PipelineVersionRow(
        id=new_id(),
        pipeline_id=pipelineid,
        name=version_name,
        display_name=display_name or version_name,
        description=description or None,
        pipeline_spec=spec,
        tags=_tags(tags),
    )
    _insert_version(state, version)
    return version_json(version)


class PipelineIn(BaseModel):
    """The body of CreatePipeline."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name | None = None
    name: Name | None = None
    description: Description | None = None
    namespace: Name | None = None
    tags: dict[str, str] | None = None


class PackageUrl(BaseModel):
    """Where a version's package is (not fetched by this server)."""

    model_config = ConfigDict(extra="ignore")

    pipeline_url: str | None = None


class VersionIn(BaseModel):
    """The body of CreatePipelineVersion."""

    model_config = ConfigDict(extra="ignore")

    pipeline_id: str | None = None
    display_name: Name | None = None
    name: Name | None = None
    description: Description | None = None
    pipeline_spec: dict[str, Any] | None = None
    package_url: PackageUrl | None = None
    code_source_url: Text | None = None
    tags: dict[str, str] | None = None


class CreateIn(BaseModel):
    """The body of ``POST /pipelines/create``: a pipeline and its first version."""

    model_config = ConfigDict(extra="ignore")

    pipeline: PipelineIn
    pipeline_version: VersionIn | None = None


def _pipeline_row(body: PipelineIn) -> PipelineRow:
    name = (body.name or body.display_name or "").strip()
    if not name:
        raise bad_request("a pipeline needs a name or display_name")
    return PipelineRow(
        id=new_id(),
        name=name,
        display_name=body.display_name or name,
        description=body.description or None,
        namespace=body.namespace or "",
        tags=_checked_tags(dict(body.tags or {})),
    )


def _version_row(pipeline_id: str, body: VersionIn) -> PipelineVersionRow:
    if body.pipeline_spec is None:
        if body.package_url is not None and body.package_url.pipeline_url:
            raise bad_request(
                "package_url is not supported by this server; send pipeline_spec or upload the "
                "file to /apis/v2beta1/pipelines/upload_version"
            )
        raise bad_request("a pipeline version needs pipeline_spec")
    loaded = load_spec(body.pipeline_spec)
    name = _checked_name((body.name or body.display_name or loaded.name).strip(), "the name")
    return PipelineVersionRow(
        id=new_id(),
        pipeline_id=pipeline_id,
        name=name,
        display_name=body.display_name or name,
        description=body.description or None,
        pipeline_spec=loaded.to_dict(),
        code_source_url=body.code_source_url,
        tags=_checked_tags(dict(body.tags or {})),
    )


@router.post("/pipelines")
def create_pipeline(body: PipelineIn, request: Request) -> dict[str, Any]:
    """Create a pipeline without versions."""
    row = _pipeline_row(body)
    _insert_pipeline(state_of(request), row)
    return pipeline_json(row)


@router.post("/pipelines/create")
def create_pipeline_and_version(body: CreateIn, request: Request) -> dict[str, Any]:
    """Create a pipeline and (optionally) its first version in one call."""
    state = state_of(request)
    pipeline = _pipeline_row(body.pipeline)
    version = _version_row(pipeline.id, body.pipeline_version) if body.pipeline_version else None
    try:
        with state.store.session() as session:
            session.add(pipeline)
            session.flush()
            if version is not None:
                session.add(version)
    except IntegrityError as exc:
        raise conflict(f"a pipeline named '{pipeline.name}' already exists") from exc
    return {
        "pipeline": pipeline_json(pipeline),
        **({"pipeline_version": version_json(version)} if version else {}),
    }


def get_pipeline_row(state: ServerState, pipeline_id: str) -> PipelineRow:
    """The pipeline, or 404."""
    with state.store.session() as session:
        row = session.get(PipelineRow, pipeline_id)
    if row is None:
        raise not_found(f"no pipeline '{pipeline_id}'")
    return row


@router.get("/pipelines/names/{name}")
def get_pipeline_by_name(name: str, request: Request, namespace: str = "") -> dict[str, Any]:
    """The pipeline with this name."""
    with state_of(request).store.session() as session:
        row = session.scalar(
            select(PipelineRow).where(PipelineRow.name == name, PipelineRow.namespace == namespace)
        )
    if row is None:
        raise not_found(f"no pipeline named '{name}'")
    return pipeline_json(row)


@router.get("/pipelines/{pipeline_id}")
def get_pipeline(pipeline_id: str, request: Request) -> dict[str, Any]:
    """One pipeline."""
    return pipeline_json(get_pipeline_row(state_of(request), pipeline_id))


@router.get("/pipelines")
def list_pipelines(
    request: Request,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,  # KFP's parameter name
    namespace: str | None = None,
) -> dict[str, Any]:
    """Pipelines, filtered, sorted and paged."""
    query = select(PipelineRow)
    if namespace:
        query = query.where(PipelineRow.namespace == namespace)
    return list_response(
        state_of(request).store,
        query,
        key="pipelines",
        columns=COLUMNS,
        tiebreak=PipelineRow.id,
        to_json=pipeline_json,
        filter=filter,
        sort_by=sort_by,
        page_token=page_token,
        page_size=page_size,
    )


@router.delete("/pipelines/{pipeline_id}")
def delete_pipeline(pipeline_id: str, request: Request, cascade: bool = False) -> dict[str, Any]:
    """Delete a pipeline; with versions only when ``cascade=true`` (as KFP)."""
    state = state_of(request)
    get_pipeline_row(state, pipeline_id)
    with state.store.session() as session:
        versions = list(
            session.scalars(
                select(PipelineVersionRow).where(PipelineVersionRow.pipeline_id == pipeline_id)
            )
        )
        if versions and not cascade:
            raise precondition(
                f"pipeline '{pipeline_id}' has {len(versions)} version(s); delete them first "
                "or pass cascade=true"
            )
        for version in versions:
            session.delete(version)
        row = session.get(PipelineRow, pipeline_id)
        if row is not None:
            session.delete(row)
    return {}


# -- versions ------------------------------------------------------------------------------


@router.post("/pipelines/{pipeline_id}/versions")
def create_version(pipeline_id: str, body: VersionIn, request: Request) -> dict[str, Any]:
    """Add a version (with an embedded ``pipeline_spec``) to a pipeline."""
    state = state_of(request)
    get_pipeline_row(state, pipeline_id)
    row = _version_row(pipeline_id, body)
    _insert_version(state, row)
    return version_json(row)


def get_version_row(state: ServerState, pipeline_id: str, version_id: str) -> PipelineVersionRow:
    """The version of this pipeline, or 404."""
    with state.store.session() as session:
        row = session.get(PipelineVersionRow, version_id)
    if row is None or (pipeline_id and row.pipeline_id != pipeline_id):
        raise not_found(f"no version '{version_id}' of pipeline '{pipeline_id}'")
    return row


def latest_version(state: ServerState, pipeline_id: str) -> PipelineVersionRow:
    """The newest version of a pipeline, or 404."""
    with state.store.session() as session:
        row = session.scalar(
            select(PipelineVersionRow)
            .where(PipelineVersionRow.pipeline_id == pipeline_id)
            .order_by(PipelineVersionRow.created_at.desc(), PipelineVersionRow.id.desc())
            .limit(1)
        )
    if row is None:
        raise not_found(f"pipeline '{pipeline_id}' has no versions")
    return row


@router.get("/pipelines/{pipeline_id}/versions/{version_id}")
def get_version(pipeline_id: str, version_id: str, request: Request) -> dict[str, Any]:
    """One version, with its spec."""
    return version_json(get_version_row(state_of(request), pipeline_id, version_id))


@router.get("/pipelines/{pipeline_id}/versions")
def list_versions(
    pipeline_id: str,
    request: Request,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,  # KFP's parameter name
) -> dict[str, Any]:
    """Versions of a pipeline."""
    state = state_of(request)
    get_pipeline_row(state, pipeline_id)
    query = select(PipelineVersionRow).where(PipelineVersionRow.pipeline_id == pipeline_id)
    return list_response(
        state.store,
        query,
        key="pipeline_versions",
        columns=VERSION_COLUMNS,
        tiebreak=PipelineVersionRow.id,
        to_json=version_json,
        filter=filter,
        sort_by=sort_by,
        page_token=page_token,
        page_size=page_size,
    )


@router.delete("/pipelines/{pipeline_id}/versions/{version_id}")
def delete_version(pipeline_id: str, version_id: str, request: Request) -> dict[str, Any]:
    """Delete a version (runs made from it keep their own copy of the spec)."""
    state = state_of(request)
    get_version_row(state, pipeline_id, version_id)
    with state.store.session() as session:
        row = session.get(PipelineVersionRow, version_id)
        if row is not None:
            session.delete(row)
    return {}
