"""``/v1/projects/{p}/locations/{l}/schedules``: PipelineJobSchedules as recurring runs.

A schedule is a Sluice recurring run (``sluice.service.schedules``): the existing
scheduler fires it, crash-safe, and the runs it starts are PipelineJobs whose
``scheduleName`` names it, in the schedule's location, with its labels. Vertex's cron
takes a ``TZ=``/``CRON_TZ=`` prefix, which the scheduler's cron reads as it is.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from sluice.server.config import ServerState, state_of
from sluice.server.cron import normalize_trigger, to_utc
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.scheduler import derived_columns, missed_until
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.server.vertex.pipeline_jobs import (
    PREFIX,
    PipelineJobIn,
    failure_policy_of,
    location_of,
)
from sluice.service.experiments import ExperimentService
from sluice.service.schedules import ScheduleService, schedule_state
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


class ResumeIn(BaseModel):
    """The body of ``schedules.resume``: the SDK's ``resume()`` always sends ``{}``."""

    model_config = ConfigDict(extra="ignore")

    catchUp: bool = False


def _schedules(state: ServerState) -> ScheduleService:
    def wake() -> None:
        if state.scheduler is not None:
            state.scheduler.wake()

    return ScheduleService(state.store, on_schedules_changed=wake, derive=derived_columns)


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


def schedule_json(location: str, row: RecurringRunRow) -> dict[str, Any]:
    """A Schedule: int64 counts as strings, state ACTIVE / PAUSED / COMPLETED."""
    cron = dict((row.trigger or {}).get("cron_schedule") or {})
    runtime = row.runtime_config or {}
    config: dict[str, Any] = {
        "gcsOutputDirectory": runtime.get("pipeline_root") or "",
        "parameterValues": runtime.get("parameters") or {},
    }
    if runtime.get("failure_policy"):
        config["failurePolicy"] = f"PIPELINE_FAILURE_POLICY_{runtime['failure_policy']}"
    job: dict[str, Any] = {
        "pipelineSpec": dict((row.pipeline_spec or {}).get("pipeline_spec") or {}),
        "runtimeConfig": config,
        "labels": dict(row.labels or {}),
    }
    out: dict[str, Any] = {
        "name": f"{location}/schedules/{row.id}",
        "displayName": row.display_name,
        "cron": cron.get("cron", ""),
        "maxConcurrentRunCount": str(row.max_concurrency),
        "startedRunCount": str(row.runs_started),
        "state": schedule_state(row),
        "catchUp": bool(row.catch_up),
        "createPipelineJobRequest": {"parent": location, "pipelineJob": job},
    }
    if row.max_run_count is not None:
        out["maxRunCount"] = str(row.max_run_count)
    for key, value in (
        ("createTime", row.created_at),
        ("updateTime", row.updated_at),
        # Vertex's start time defaults to the creation time.
        ("startTime", row.start_at or row.created_at),
        ("endTime", row.end_at),
        ("nextRunTime", row.next_run_at if schedule_state(row) == "ACTIVE" else None),
        ("lastPauseTime", row.last_pause_at),
        ("lastResumeTime", row.last_resume_at),
    ):
        text = shapes.ts(value)
        if text is not None:
            out[key] = text
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
    policy = failure_policy_of(config.failurePolicy) if config else None
    if policy:
        runtime["failure_policy"] = policy
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
        location=parent,
        labels=dict(job.labels),
    )
    return _schedules(state).create(row, lambda created: schedule_json(parent, created))


@router.get(PREFIX + "/schedules/{schedule_id}")
def get_schedule(project: str, location: str, schedule_id: str, request: Request) -> dict[str, Any]:
    """One schedule; 404 when there is none of that id."""
    parent = location_of(project, location)
    return schedule_json(parent, _schedules(state_of(request)).get(parent, schedule_id))


@router.get(PREFIX + "/schedules")
def list_schedules(
    project: str,
    location: str,
    request: Request,
    filter: str | None = None,  # Vertex's parameter name
    orderBy: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Schedules matching an AIP-160 ``filter``, newest first unless ``orderBy`` says."""
    parent = location_of(project, location)
    page = _schedules(state_of(request)).list(
        parent,
        filter=filter,
        order_by=orderBy,
        limit=page_size(pageSize),
        page_token=pageToken or None,
    )
    out: dict[str, Any] = {"schedules": [schedule_json(parent, row) for row in page.items]}
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    return out


@router.post(PREFIX + "/schedules/{schedule_id}:pause")
def pause_schedule(
    project: str, location: str, schedule_id: str, request: Request
) -> dict[str, Any]:
    """Pause: no more runs start; runs already started carry on."""
    _schedules(state_of(request)).pause(location_of(project, location), schedule_id)
    return {}


@router.post(PREFIX + "/schedules/{schedule_id}:resume")
def resume_schedule(
    project: str, location: str, schedule_id: str, request: Request, body: ResumeIn | None = None
) -> dict[str, Any]:
    """Resume a paused schedule. Without ``catchUp`` (all the SDK's ``resume()`` sends) the
    slots missed while paused are skipped; with it they fire, oldest first."""
    state = state_of(request)
    now = to_utc(state.config.clock())
    _schedules(state).resume(
        location_of(project, location),
        schedule_id,
        catch_up=bool(body and body.catchUp),
        missed_until=lambda row: missed_until(row, now),
    )
    return {}


@router.delete(PREFIX + "/schedules/{schedule_id}")
def delete_schedule(
    project: str, location: str, schedule_id: str, request: Request
) -> dict[str, Any]:
    """Delete the schedule (the runs it started are kept); a finished operation."""
    parent = location_of(project, location)
    _schedules(state_of(request)).delete(parent, schedule_id)
    return shapes.empty_operation(parent, f"delete-{uuid.uuid4().hex}")


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
    parent = location_of(project, location)
    row = service.get(parent, schedule_id)
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
    return service.update(
        parent, schedule_id, changes, lambda updated: schedule_json(parent, updated)
    )
