"""N2 (pipeline versions), N9 and the New run form's YAML: a version's static graph, the
diff between two versions, a cron trigger's next fire times, and a pasted pipeline package
read as the server reads uploads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.cron import LATEST_TIME, parse_cron, parse_time
from sluice.server.errors import ApiError
from sluice.server.routers.pipelines import parse_off_loop
from sluice.server.serialize import precise_ts
from sluice.server.ui_api.graph import pipeline_graph
from sluice.server.ui_api.shapes import CronPreview, PackageText, ParsedPackage, PipelineGraph
from sluice.service.pipelines import PipelineService
from sluice.service.spec_diff import diff_specs

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])


@router.get(
    "/pipelines/{pipeline_id}/versions/{version_id}/graph",
    summary="A pipeline version's graph, before any run",
)
def get_version_graph(
    pipeline_id: str,
    version_id: str,
    request: Request,
    artifacts: bool = Query(
        False, description="Also list each task's output artifacts (by name and type)."
    ),
) -> PipelineGraph:
    """The tasks of every level of the version's pipeline and the edges between them, with
    the node ids a run of this version has in its run graph (no states, no iterations)."""
    source = PipelineService(state_of(request).store).run_source(pipeline_id, version_id)
    assert source is not None  # a version id was given
    return pipeline_graph(
        source.pipeline, source.pipeline_id, source.version_id, artifacts=artifacts
    )


class InputChangeView(BaseModel):
    """A pipeline input in both versions whose default or type differs."""

    name: str
    base_default: Any = Field(description="The default in the base version (null: none).")
    head_default: Any = Field(description="The default in the head version (null: none).")
    base_type: str | None
    head_type: str | None


class VersionDiff(BaseModel):
    """What changed from the base version to the head version of a pipeline."""

    pipeline_id: str
    base_version_id: str
    head_version_id: str
    base_name: str
    head_name: str
    identical: bool
    diff: str = Field(description="A unified diff (diff -u) of the two specs as YAML.")
    tasks_added: list[str] = Field(description="Task paths (outer/inner) only in head.")
    tasks_removed: list[str] = Field(description="Task paths only in base.")
    tasks_changed: list[str] = Field(
        description="Task paths in both whose task, component or executor differs."
    )
    inputs_added: list[str]
    inputs_removed: list[str]
    inputs_changed: list[InputChangeView]


# One Query object per parameter: FastAPI records the name it first serves on it.
_BASE = Query(..., min_length=1, max_length=256, description="The version id diffed from.")
_HEAD = Query(..., min_length=1, max_length=256, description="The version id diffed to.")


@router.get("/pipelines/{pipeline_id}/versions:diff", summary="The diff between two versions")
def diff_versions(
    pipeline_id: str, request: Request, base: str = _BASE, head: str = _HEAD
) -> VersionDiff:
    """The unified diff of the two versions' IR as YAML, with the tasks added, removed and
    changed and the inputs whose default or type changed; 404 for a version that is not
    this pipeline's."""
    service = PipelineService(state_of(request).store)
    old = service.get_version(pipeline_id, base)
    new = service.get_version(pipeline_id, head)
    found = diff_specs(
        dict(old.pipeline_spec),
        dict(new.pipeline_spec),
        f"{old.name} ({old.id})",
        f"{new.name} ({new.id})",
    )
    return VersionDiff(
        pipeline_id=pipeline_id,
        base_version_id=old.id,
        head_version_id=new.id,
        base_name=old.name,
        head_name=new.name,
        identical=found.identical,
        diff=found.diff,
        tasks_added=found.tasks_added,
        tasks_removed=found.tasks_removed,
        tasks_changed=found.tasks_changed,
        inputs_added=found.inputs_added,
        inputs_removed=found.inputs_removed,
        inputs_changed=[InputChangeView(**vars(change)) for change in found.inputs_changed],
    )


@router.get("/cron:preview", summary="The next fire times of a cron trigger")
def preview_cron(
    cron: str = Query(
        ...,
        min_length=1,
        max_length=256,
        description="A cron expression as a recurring run takes it (5 or 6 fields, @daily, "
        "@every 1h, an optional TZ= prefix).",
    ),
    tz: str | None = Query(None, max_length=64, description="An IANA zone (default UTC)."),
    start: str | None = Query(
        None, max_length=64, description="RFC 3339; the times are after it (default now)."
    ),
    n: int = Query(5, ge=1, le=50, description="How many times."),
) -> CronPreview:
    """The first ``n`` slots after ``start``, computed by the scheduler's own cron module;
    a 400 names what is wrong with the expression or the zone."""
    after = parse_time(start, "start") or datetime.now(timezone.utc)
    schedule = parse_cron(cron, zone=tz or None, anchor=after)
    times: list[str] = []
    instant = after
    while len(times) < n:
        instant = schedule.next_after(instant)
        if instant >= LATEST_TIME:
            break
        times.append(precise_ts(instant) or "")
    return CronPreview(cron=cron, tz=tz or None, times=times)


@router.post("/pipelines:parse", summary="Read a pasted pipeline package")
async def parse_package_text(body: PackageText, request: Request) -> ParsedPackage:
    """The compiled pipeline in ``yaml`` (KFP's YAML or JSON, as ``upload`` takes it), so the
    New run form can build its parameter form and submit it as the run's ``pipeline_spec``;
    a 400 names what is wrong with it. Nothing is stored."""
    data = body.yaml.encode()
    limit = state_of(request).config.max_upload_bytes
    if len(data) > limit:
        raise ApiError(413, f"the pipeline package is larger than {limit} bytes")
    name, stored = await parse_off_loop(request, data)
    platform = stored.get("platform_spec")
    return ParsedPackage(
        name=name,
        pipeline_spec=dict(stored["pipeline_spec"]),
        platform_spec=dict(platform) if isinstance(platform, dict) else None,
    )
