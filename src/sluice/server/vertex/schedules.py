"""``/v1/projects/{p}/locations/{l}/schedules``: PipelineJobSchedules as recurring runs.

A schedule is a Sluice recurring run (``sluice.service.recurring_runs``): the existing
scheduler fires it, crash-safe, and the runs it starts are PipelineJobs whose
``scheduleName`` names it. Vertex's cron takes a ``TZ=``/``CRON_TZ=`` prefix, which the
scheduler's cron reads as it is.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from sluice.errors import UserInputError
from sluice.server.config import ServerState, state_of
from sluice.server.cron import normalize_trigger, parse_trigger, to_utc
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.scheduler import next_slot
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.pipeline_jobs import PREFIX, PipelineJobIn, location_of
from sluice.service.experiments import ExperimentService
from sluice.service.recurring_runs import RecurringRunService
from sluice.spec.loader import load_pipeline
from sluice.spec.validate import check_pipeline, resolve_arguments
from sluice.store.models import RecurringRunRow, utcnow

router = APIRouter(route_class=VertexRoute)
_MAX_COUNT = 2**31 - 1


class CreateRequestIn(BaseModel):
    """``createPipelineJobRequest``: the job each firing creates."""

    model_config = ConfigDict(extra="ignore")

    pipelineJob: PipelineJobIn


class ScheduleIn(BaseModel):
    """The body of ``schedules.create``."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    cron: Text | None = None
    maxConcurrentRunCount: int | str | None = None
    maxRunCount: int | str | None = None
    startTime: str | None = None
    endTime: str | None = None
    createPipelineJobRequest: CreateRequestIn | None = None


def _schedules(state: ServerState) -> RecurringRunService:
    def wake() -> None:
        if state.scheduler is not None:
            state.scheduler.wake()

    return RecurringRunService(state.store, on_schedules_changed=wake)


def _count(raw: int | str | None, field: str, default: int | None) -> int | None:
    # int64 fields arrive as JSON strings; 0 is proto3's "unset".
    if raw is None or raw in ("", 0, "0"):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise bad_request(f"{field} must be a whole number, got {raw!r}") from exc
    if not 1 <= value <= _MAX_COUNT:
        raise bad_request(f"{field} must be from 1 to {_MAX_COUNT}, got {value}")
    return value


def _next_run_time(row: RecurringRunRow) -> datetime | None:
    if row.status != "ENABLED" or _completed(row):
        return None
    try:
        return next_slot(row, parse_trigger(row.trigger, created_at=to_utc(row.created_at)))
    except UserInputError:
        return None


def _completed(row: RecurringRunRow) -> bool:
    return row.max_run_count is not None and row.runs_started >= row.max_run_count


def schedule_json(location: str, row: RecurringRunRow) -> dict[str, Any]:
    """A Schedule: int64 counts as strings, state ACTIVE / PAUSED / COMPLETED."""
    cron = dict((row.trigger or {}).get("cron_schedule") or {})
    next_run = _next_run_time(row)
    if row.status != "ENABLED":
        state = "PAUSED"
    elif _completed(row) or next_run is None:
        state = "COMPLETED"
    else:
        state = "ACTIVE"
    runtime = row.runtime_config or {}
    job: dict[str, Any] = {
        "pipelineSpec": dict((row.pipeline_spec or {}).get("pipeline_spec") or {}),
        "runtimeConfig": {
            "gcsOutputDirectory": runtime.get("pipeline_root") or "",
            "parameterValues": runtime.get("parameters") or {},
        },
    }
    out: dict[str, Any] = {
        "name": f"{location}/schedules/{row.id}",
        "displayName": row.display_name,
        "cron": cron.get("cron", ""),
        "maxConcurrentRunCount": str(row.max_concurrency),
        "startedRunCount": str(row.runs_started),
        "state": state,
        "createPipelineJobRequest": {"parent": location, "pipelineJob": job},
    }
    if row.max_run_count is not None:
        out["maxRunCount"] = str(row.max_run_count)
    for key, value in (
        ("createTime", row.created_at),
        ("updateTime", row.updated_at),
        ("startTime", row.created_at),
        ("nextRunTime", next_run),
    ):
        text = shapes.ts(value)
        if text is not None:
            out[key] = text
    for key in ("start_time", "end_time"):
        if cron.get(key):
            out["startTime" if key == "start_time" else "endTime"] = cron[key]
    return out


@router.post(PREFIX + "/schedules")
def create_schedule(
    project: str, location: str, body: ScheduleIn, request: Request
) -> dict[str, Any]:
    """Validate and record a schedule; a bad cron or parameter is a 400, nothing written."""
    parent = location_of(project, location)
    if not (body.displayName or "").strip():
        raise bad_request("a schedule needs a displayName")
    if not body.cron:
        raise bad_request('a schedule needs a cron, e.g. "TZ=America/Los_Angeles 0 2 * * *"')
    job = body.createPipelineJobRequest.pipelineJob if body.createPipelineJobRequest else None
    if job is None or not job.pipelineSpec:
        raise bad_request("a schedule needs createPipelineJobRequest.pipelineJob.pipelineSpec")
    now = utcnow()
    cron: dict[str, Any] = {"cron": body.cron}
    if body.startTime:
        cron["start_time"] = body.startTime
    if body.endTime:
        cron["end_time"] = body.endTime
    trigger = normalize_trigger({"cron_schedule": cron}, created_at=now)
    loaded = load_pipeline(job.pipelineSpec)
    check_pipeline(loaded)
    config = job.runtimeConfig
    parameters = dict((config.parameterValues if config else None) or {})
    # The checks each run gets, now, so that a bad schedule is a 400 and not failing slots.
    resolve_arguments(loaded, parameters)
    runtime: dict[str, Any] = {"parameters": parameters}
    if config and config.gcsOutputDirectory:
        runtime["pipeline_root"] = config.gcsOutputDirectory
    state = state_of(request)
    experiment = ExperimentService(state.store).default()
    row = RecurringRunRow(
        id=str(uuid.uuid4()),
        display_name=body.displayName,
        experiment_id=experiment.id,
        namespace=experiment.namespace,
        service_account=job.serviceAccount or None,
        pipeline_spec={"pipeline_spec": job.pipelineSpec, "platform_spec": None},
        runtime_config=runtime,
        trigger=trigger,
        max_concurrency=_count(body.maxConcurrentRunCount, "maxConcurrentRunCount", 1),
        max_run_count=_count(body.maxRunCount, "maxRunCount", None),
        status="ENABLED",
        created_at=now,
        updated_at=now,
    )
    return _schedules(state).create(row, lambda created: schedule_json(parent, created))


@router.get(PREFIX + "/schedules/{schedule_id}")
def get_schedule(project: str, location: str, schedule_id: str, request: Request) -> dict[str, Any]:
    """One schedule; 404 when there is none of that id."""
    row = _schedules(state_of(request)).get(schedule_id)
    return schedule_json(location_of(project, location), row)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, binascii.Error) as exc:
        raise bad_request("pageToken is invalid; pass the nextPageToken of a list") from exc


@router.get(PREFIX + "/schedules")
def list_schedules(
    project: str,
    location: str,
    request: Request,
    filter: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Schedules, oldest first (``filter`` is not supported yet: 400 when given)."""
    if filter:
        raise bad_request("Sluice does not filter schedules yet; list them without a filter")
    if pageSize is not None and pageSize < 0:
        raise bad_request(f"pageSize must not be negative (got {pageSize})")
    limit = min(pageSize or 100, 1000)
    page = _schedules(state_of(request)).page_of(offset=_offset(pageToken), limit=limit)
    parent = location_of(project, location)
    out: dict[str, Any] = {"schedules": [schedule_json(parent, row) for row in page.rows]}
    if page.next_offset is not None:
        out["nextPageToken"] = base64.urlsafe_b64encode(str(page.next_offset).encode()).decode()
    return out


@router.post(PREFIX + "/schedules/{schedule_id}:pause")
def pause_schedule(
    project: str, location: str, schedule_id: str, request: Request
) -> dict[str, Any]:
    """Pause: no more runs start; runs already started carry on."""
    _schedules(state_of(request)).set_enabled(schedule_id, False)
    return {}


@router.post(PREFIX + "/schedules/{schedule_id}:resume")
def resume_schedule(
    project: str, location: str, schedule_id: str, request: Request
) -> dict[str, Any]:
    """Resume; slots missed while paused follow the scheduler's catch-up rule."""
    _schedules(state_of(request)).set_enabled(schedule_id, True)
    return {}


@router.delete(PREFIX + "/schedules/{schedule_id}")
def delete_schedule(
    project: str, location: str, schedule_id: str, request: Request
) -> dict[str, Any]:
    """Delete the schedule (the runs it started are kept); a finished operation."""
    _schedules(state_of(request)).delete(schedule_id)
    return shapes.empty_operation(location_of(project, location), f"delete-{uuid.uuid4().hex}")


# updateMask paths Sluice applies, and the recurring run columns they change.
_UPDATABLE = ("displayName", "cron", "maxRunCount", "maxConcurrentRunCount", "startTime", "endTime")


@router.patch(PREFIX + "/schedules/{schedule_id}")
def update_schedule(
    project: str,
    location: str,
    schedule_id: str,
    body: ScheduleIn,
    request: Request,
    updateMask: str | None = None,
) -> dict[str, Any]:
    """Apply only the fields ``updateMask`` names (the SDK sends the whole schedule)."""
    paths = [p.strip() for p in (updateMask or "").split(",") if p.strip()]
    unknown = [p for p in paths if p not in _UPDATABLE]
    if not paths or unknown:
        raise bad_request(
            f"updateMask must name some of {', '.join(_UPDATABLE)}"
            + (f"; Sluice cannot update {', '.join(unknown)}" if unknown else "")
        )
    service = _schedules(state_of(request))
    row = service.get(schedule_id)
    changes: dict[str, Any] = {}
    if "displayName" in paths:
        if not (body.displayName or "").strip():
            raise bad_request("displayName must not be empty")
        changes["display_name"] = body.displayName
    if "maxRunCount" in paths:
        changes["max_run_count"] = _count(body.maxRunCount, "maxRunCount", None)
    if "maxConcurrentRunCount" in paths:
        changes["max_concurrency"] = _count(body.maxConcurrentRunCount, "maxConcurrentRunCount", 1)
    if {"cron", "startTime", "endTime"} & set(paths):
        cron = dict((row.trigger or {}).get("cron_schedule") or {})
        if "cron" in paths:
            cron["cron"] = body.cron or ""
        for path, key, value in (
            ("startTime", "start_time", body.startTime),
            ("endTime", "end_time", body.endTime),
        ):
            if path in paths:
                cron.pop(key, None)
                if value:
                    cron[key] = value
        changes["trigger"] = normalize_trigger({"cron_schedule": cron}, created_at=row.created_at)
    parent = location_of(project, location)
    return service.update(schedule_id, changes, lambda updated: schedule_json(parent, updated))
