"""``/v1/projects/{p}/locations/{l}/pipelineJobs``: create, get, list, cancel, delete.

A PipelineJob is a Sluice run (``sluice.service.pipeline_jobs``): the job id is the run's
name, and ``kfp.Client().list_runs()`` and ``sluice runs list`` show it like any run.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.config import ServerState, state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.service.pipeline_jobs import PipelineJobService
from sluice.store.models import RunRow

router = APIRouter(route_class=VertexRoute)
PREFIX = "/v1/projects/{project}/locations/{location}"
# PipelineJobSchedule.list_jobs() sends schedule_name=projects/.../schedules/ID unquoted,
# which AIP-160 reads as a bare word; the value is quoted before the filter is parsed.
_BARE_SCHEDULE_NAME = re.compile(r'\b(schedule_name\s*=\s*)([^\s"()]+)')


class RuntimeConfigIn(BaseModel):
    """``runtimeConfig`` of a PipelineJob."""

    model_config = ConfigDict(extra="ignore")

    gcsOutputDirectory: Text | None = None
    parameterValues: dict[str, Any] | None = None
    parameters: dict[str, dict[str, Any]] | None = None  # schema 2.0.0 and older
    failurePolicy: int | str | None = None


class PipelineJobIn(BaseModel):
    """The body of ``pipelineJobs.create``."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    labels: dict[str, Name] = Field(default_factory=dict)
    pipelineSpec: dict[str, Any] | None = None
    templateUri: Text | None = None
    runtimeConfig: RuntimeConfigIn | None = None
    serviceAccount: Name | None = None


def location_of(project: str, location: str) -> str:
    """The parent every resource of a request lives in."""
    return f"projects/{project}/locations/{location}"


def jobs(state: ServerState) -> PipelineJobService:
    """The pipeline jobs of the server's store; its run manager executes them."""
    return PipelineJobService(state.store, state.config.settings, executor=state.manager)


def _old_style_values(parameters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    # Schema 2.0.0's runtimeConfig.parameters: {"n": {"intValue": "5"}, ...}.
    out: dict[str, Any] = {}
    for name, value in parameters.items():
        try:
            if "intValue" in value:
                out[name] = int(value["intValue"])
            elif "doubleValue" in value:
                out[name] = float(value["doubleValue"])
            elif "stringValue" in value:
                out[name] = str(value["stringValue"])
            else:
                raise ValueError("no value")
        except (TypeError, ValueError, OverflowError) as exc:
            raise bad_request(
                f"runtimeConfig.parameters.{name}: give one intValue, doubleValue or "
                f"stringValue ({exc})"
            ) from None
    return out


def failure_policy_of(raw: int | str | None) -> str | None:
    """``runtimeConfig.failurePolicy`` (an enum name or number) as a run stores it."""
    if raw in (None, 0, "PIPELINE_FAILURE_POLICY_UNSPECIFIED"):
        return None
    policy = shapes.FAILURE_POLICIES.get(raw)
    if policy is None:
        raise bad_request(
            f"runtimeConfig.failurePolicy {raw!r} is invalid; use "
            "PIPELINE_FAILURE_POLICY_FAIL_FAST (2) or PIPELINE_FAILURE_POLICY_FAIL_SLOW (1)"
        )
    return policy


def job_detail(service: PipelineJobService, location: str, row: RunRow) -> dict[str, Any]:
    """``jobDetail``: the pipeline and run contexts and the task details."""
    pipeline, run = service.contexts(row)
    detail: dict[str, Any] = {}
    parents = []
    if pipeline is not None:
        detail["pipelineContext"] = shapes.context_json(location, pipeline)
        parents.append(detail["pipelineContext"]["name"])
    if run is not None:
        detail["pipelineRunContext"] = shapes.context_json(
            location, run, resource_id=row.name, parents=parents
        )
    details = service.details(row)
    artifacts = service.artifacts(shapes.artifact_ids(details.tasks))
    detail["taskDetails"] = shapes.task_details_json(
        location, row, details.tasks, details.executions, artifacts
    )
    return detail


def full_job(service: PipelineJobService, location: str, row: RunRow) -> dict[str, Any]:
    """A PipelineJob with its ``jobDetail``."""
    return shapes.pipeline_job_json(location, row, job_detail=job_detail(service, location, row))


@router.post(PREFIX + "/pipelineJobs")
def create_pipeline_job(
    project: str,
    location: str,
    body: PipelineJobIn,
    request: Request,
    pipelineJobId: str | None = None,
) -> dict[str, Any]:
    """Validate and queue a run of ``pipelineSpec``; it executes in the background."""
    if not body.pipelineSpec:
        where = f" (templateUri {body.templateUri!r} is not fetched)" if body.templateUri else ""
        raise bad_request(f"a pipeline job needs pipelineSpec, the compiled pipeline{where}")
    config = body.runtimeConfig or RuntimeConfigIn()
    parameters = dict(config.parameterValues or {})
    if config.parameters:
        parameters.update(_old_style_values(config.parameters))
    parent = location_of(project, location)
    service = jobs(state_of(request))
    # Vertex names a job without an id after its pipeline and the time, as the SDK does.
    row = service.create(
        location=parent,
        pipeline_spec=body.pipelineSpec,
        parameters=parameters,
        job_id=pipelineJobId or None,
        display_name=body.displayName,
        pipeline_root=config.gcsOutputDirectory,
        labels=body.labels,
        failure_policy=failure_policy_of(config.failurePolicy),
        service_account=body.serviceAccount,
    )
    return full_job(service, parent, row)


@router.get(PREFIX + "/pipelineJobs/{job_id}")
def get_pipeline_job(project: str, location: str, job_id: str, request: Request) -> dict[str, Any]:
    """One job with its task details; 404 when this location has none of that id."""
    parent = location_of(project, location)
    service = jobs(state_of(request))
    return full_job(service, parent, service.get(parent, job_id))


@router.get(PREFIX + "/pipelineJobs")
def list_pipeline_jobs(
    project: str,
    location: str,
    request: Request,
    filter: str | None = None,  # Vertex's parameter name
    orderBy: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """Jobs (without task details) matching an AIP-160 ``filter``, newest first."""
    parent = location_of(project, location)
    if filter:
        filter = _BARE_SCHEDULE_NAME.sub(r'\1"\2"', filter)
    page = jobs(state_of(request)).list(
        parent,
        filter=filter,
        order_by=orderBy,
        limit=page_size(pageSize),
        page_token=pageToken or None,
    )
    out: dict[str, Any] = {
        "pipelineJobs": [shapes.pipeline_job_json(parent, r) for r in page.items]
    }
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    return out


@router.post(PREFIX + "/pipelineJobs/{job_id}:cancel")
async def cancel_pipeline_job(
    project: str, location: str, job_id: str, request: Request
) -> dict[str, Any]:
    """Stop the job: CANCELLING, then CANCELLED once its tasks are stopped."""
    await jobs(state_of(request)).cancel(location_of(project, location), job_id)
    return {}


@router.delete(PREFIX + "/pipelineJobs/{job_id}")
def delete_pipeline_job(
    project: str, location: str, job_id: str, request: Request
) -> dict[str, Any]:
    """Delete a job that is not executing; the answer is an operation that is already done."""
    parent = location_of(project, location)
    jobs(state_of(request)).delete(parent, job_id)
    return shapes.empty_operation(parent, f"delete-{secrets.token_hex(8)}")
