"""``/pipelines``: uploads (multipart), pipelines and their versions."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel, ConfigDict

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import ApiError, bad_request
from sluice.server.kfp_filters import list_json, list_query
from sluice.server.limits import Description, LimitedRoute, Name, Text, check_name, loads_json
from sluice.server.packages import load_spec, parse_package
from sluice.server.serialize import pipeline_json, version_json
from sluice.service.pipelines import (
    LIST_KEYS,
    VERSION_LIST_KEYS,
    NewPipeline,
    NewVersion,
    PipelineService,
)

router = APIRouter(
    tags=["pipelines"], dependencies=[Depends(require_token)], route_class=LimitedRoute
)
MAX_TAGS = 20  # Kubeflow's limit
PARALLEL_PARSES = 2  # uploads parsed at once; the others wait their turn


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
    return await parse_off_loop(request, await _read_upload(request, upload))


async def parse_off_loop(request: Request, data: bytes) -> tuple[str, dict[str, Any]]:
    """The pipeline name and stored form of the package ``data``, parsed in a worker thread
    (at most PARALLEL_PARSES at once)."""
    state = state_of(request)
    limit = state.config.max_upload_bytes
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


def _service(request: Request) -> PipelineService:
    return PipelineService(state_of(request).store)


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
    spec_name, spec = await _read_package(request, uploadfile)
    pipeline_name = _checked_name(
        name or display_name or uploadfile.filename or spec_name, "the pipeline name"
    )
    pipeline, _version = _service(request).create(
        NewPipeline(
            name=pipeline_name,
            display_name=display_name,
            description=description,
            namespace=namespace or "",
            tags=_tags(tags),
        ),
        NewVersion(
            name=pipeline_name,
            display_name=display_name,
            description=description,
            pipeline_spec=spec,
        ),
    )
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
    if not pipelineid:
        raise bad_request("pipelineid is required: the id of the pipeline to add a version to")
    service = _service(request)
    service.get(pipelineid)
    spec_name, spec = await _read_package(request, uploadfile)
    version_name = _checked_name(
        name or display_name or uploadfile.filename or spec_name, "the version name"
    )
    version = service.create_version(
        pipelineid,
        NewVersion(
            name=version_name,
            display_name=display_name,
            description=description,
            pipeline_spec=spec,
            tags=_tags(tags),
        ),
    )
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


def _new_pipeline(body: PipelineIn) -> NewPipeline:
    name = (body.name or body.display_name or "").strip()
    if not name:
        raise bad_request("a pipeline needs a name or display_name")
    return NewPipeline(
        name=name,
        display_name=body.display_name,
        description=body.description,
        namespace=body.namespace or "",
        tags=_checked_tags(dict(body.tags or {})),
    )


def _new_version(body: VersionIn) -> NewVersion:
    if body.pipeline_spec is None:
        if body.package_url is not None and body.package_url.pipeline_url:
            raise bad_request(
                "package_url is not supported by this server; send pipeline_spec or upload the "
                "file to /apis/v2beta1/pipelines/upload_version"
            )
        raise bad_request("a pipeline version needs pipeline_spec")
    loaded = load_spec(body.pipeline_spec)
    name = _checked_name((body.name or body.display_name or loaded.name).strip(), "the name")
    return NewVersion(
        name=name,
        display_name=body.display_name,
        description=body.description,
        pipeline_spec=loaded.to_dict(),
        code_source_url=body.code_source_url,
        tags=_checked_tags(dict(body.tags or {})),
    )


@router.post("/pipelines")
def create_pipeline(body: PipelineIn, request: Request) -> dict[str, Any]:
    """Create a pipeline without versions."""
    pipeline, _ = _service(request).create(_new_pipeline(body))
    return pipeline_json(pipeline)


@router.post("/pipelines/create")
def create_pipeline_and_version(body: CreateIn, request: Request) -> dict[str, Any]:
    """Create a pipeline and (optionally) its first version in one call."""
    new_pipeline = _new_pipeline(body.pipeline)
    new_version = _new_version(body.pipeline_version) if body.pipeline_version else None
    pipeline, version = _service(request).create(new_pipeline, new_version)
    return {
        "pipeline": pipeline_json(pipeline),
        **({"pipeline_version": version_json(version)} if version else {}),
    }


@router.get("/pipelines/names/{name}")
def get_pipeline_by_name(name: str, request: Request, namespace: str = "") -> dict[str, Any]:
    """The pipeline with this name."""
    return pipeline_json(_service(request).get_by_name(name, namespace))


@router.get("/pipelines/{pipeline_id}")
def get_pipeline(pipeline_id: str, request: Request) -> dict[str, Any]:
    """One pipeline."""
    return pipeline_json(_service(request).get(pipeline_id))


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
    query = list_query(
        LIST_KEYS, filter=filter, sort_by=sort_by, page_token=page_token, page_size=page_size
    )
    page = _service(request).list(query, namespace=namespace)
    return list_json(page, key="pipelines", to_json=pipeline_json)


@router.delete("/pipelines/{pipeline_id}")
def delete_pipeline(pipeline_id: str, request: Request, cascade: bool = False) -> dict[str, Any]:
    """Delete a pipeline; with versions only when ``cascade=true`` (as KFP)."""
    _service(request).delete(pipeline_id, cascade=cascade)
    return {}


# -- versions ------------------------------------------------------------------------------


@router.post("/pipelines/{pipeline_id}/versions")
def create_version(pipeline_id: str, body: VersionIn, request: Request) -> dict[str, Any]:
    """Add a version (with an embedded ``pipeline_spec``) to a pipeline."""
    service = _service(request)
    service.get(pipeline_id)
    return version_json(service.create_version(pipeline_id, _new_version(body)))


@router.get("/pipelines/{pipeline_id}/versions/{version_id}")
def get_version(pipeline_id: str, version_id: str, request: Request) -> dict[str, Any]:
    """One version, with its spec."""
    return version_json(_service(request).get_version(pipeline_id, version_id))


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
    service = _service(request)
    service.get(pipeline_id)
    query = list_query(
        VERSION_LIST_KEYS,
        filter=filter,
        sort_by=sort_by,
        page_token=page_token,
        page_size=page_size,
    )
    page = service.list_versions(pipeline_id, query)
    return list_json(page, key="pipeline_versions", to_json=version_json)


@router.delete("/pipelines/{pipeline_id}/versions/{version_id}")
def delete_version(pipeline_id: str, version_id: str, request: Request) -> dict[str, Any]:
    """Delete a version (runs made from it keep their own copy of the spec)."""
    _service(request).delete_version(pipeline_id, version_id)
    return {}
