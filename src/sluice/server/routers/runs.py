"""``/runs``: create, get, list, terminate, retry, archive, unarchive, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from sluice.server import services
from sluice.server.auth import require_token
from sluice.server.config import ServerState, state_of
from sluice.server.errors import bad_request
from sluice.server.kfp_filters import list_json, list_query
from sluice.server.limits import Description, LimitedRoute, Name, Text
from sluice.server.serialize import artifact_ids_of, run_json
from sluice.server.submission import submit_run
from sluice.service.runs import LIST_KEYS, RunService, creation_history
from sluice.store.models import RunRow

router = APIRouter(tags=["runs"], dependencies=[Depends(require_token)], route_class=LimitedRoute)


class VersionReference(BaseModel):
    """Which pipeline version a run runs (the latest when the version id is empty)."""

    model_config = ConfigDict(extra="ignore")

    pipeline_id: str | None = None
    pipeline_version_id: str | None = None


class RuntimeConfig(BaseModel):
    """Parameters and pipeline root of a run."""

    model_config = ConfigDict(extra="ignore")

    parameters: dict[str, Any] | None = None
    pipeline_root: Text | None = None


class RunIn(BaseModel):
    """The body of CreateRun."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name | None = None
    description: Description | None = None
    experiment_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: VersionReference | None = None
    pipeline_version_id: str | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: Name | None = None


def resolve_source(
    state: ServerState,
    pipeline_spec: dict[str, Any] | None,
    reference: VersionReference | None,
    version_id: str | None = None,
) -> tuple[object, str | None, str | None]:
    """The pipeline to run, with its pipeline and version ids when it comes from a version."""
    if pipeline_spec:
        # Loaded and checked once, by the service, as it records the run.
        return pipeline_spec, None, None
    pipeline_id = reference.pipeline_id if reference else None
    version_id = (reference.pipeline_version_id if reference else None) or version_id
    source = services.pipelines(state).run_source(pipeline_id, version_id)
    if source is None:
        raise bad_request("a run needs pipeline_spec or pipeline_version_reference")
    return source.pipeline, source.pipeline_id, source.version_id


@router.post("/runs", response_model=None)
def create_run(body: RunIn, request: Request) -> JSONResponse:
    """Validate and queue a run; it executes in the background."""
    state = state_of(request)
    pipeline, pipeline_id, version_id = resolve_source(
        state, body.pipeline_spec, body.pipeline_version_reference, body.pipeline_version_id
    )
    config = body.runtime_config or RuntimeConfig()
    row = submit_run(
        state,
        pipeline=pipeline,
        parameters=dict(config.parameters or {}),
        pipeline_root=config.pipeline_root,
        display_name=body.display_name or "",
        description=body.description,
        experiment_id=body.experiment_id,
        pipeline_id=pipeline_id,
        pipeline_version_id=version_id,
        service_account=body.service_account,
    )
    # Rendered here, in the request's worker thread: a dict answer would be validated
    # against its annotation in a second trip to the thread pool, then encoded on the
    # event loop, where it holds up every other request (healthz too).
    return JSONResponse(run_json(row, tasks=[], history=creation_history(row)))


def run_details(state: ServerState, run_id: str) -> dict[str, Any]:
    """A run with its task details and state history."""
    runs = services.runs(state)
    details = runs.details(run_id)
    return run_json(
        details.run,
        tasks=details.tasks,
        executions=details.executions,
        history=details.history,
        task_history=details.task_history,
        artifacts=runs.artifacts(artifact_ids_of(details.run, details.tasks)),
    )


@router.get("/runs:resolve")
def resolve_run(reference: str, request: Request) -> dict[str, Any]:
    """The run a reference names, without its details (a Sluice extension).

    A reference is what ``sluice runs show`` takes: a full id, a unique id prefix (4+ hex
    digits), the run's name, or a display name only one run has. 404 if none matches,
    400 listing the candidates if several do. ``sluice ... --host`` resolves with this,
    so prefixes work past the first page of a listing.
    """
    return _run_summary(services.runs(state_of(request)).resolve(reference))


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """One run, with ``run_details.task_details``."""
    return run_details(state_of(request), run_id)


def _run_summary(row: RunRow, runs: RunService | None = None) -> dict[str, Any]:
    # Lists leave out the spec and task details; GET /runs/{id} has them. The run's output
    # artifacts (a query only for runs that have some) fill Sluice's extension field.
    artifacts = runs.artifacts(artifact_ids_of(row, [])) if runs is not None else None
    return run_json(row, with_spec=False, artifacts=artifacts)


@router.get("/runs")
def list_runs(
    request: Request,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,  # KFP's parameter name
    namespace: str | None = None,
    experiment_id: str | None = None,
) -> dict[str, Any]:
    """Runs (without task details), filtered, sorted and paged."""
    query = list_query(
        LIST_KEYS, filter=filter, sort_by=sort_by, page_token=page_token, page_size=page_size
    )
    runs = services.runs(state_of(request))
    page = runs.list(query, namespace=namespace, experiment_id=experiment_id)
    return list_json(page, key="runs", to_json=lambda row: _run_summary(row, runs))


@router.post("/runs/{run_id}:terminate")
async def terminate_run(run_id: str, request: Request) -> dict[str, Any]:
    """Stop a run: CANCELING, then CANCELED once its tasks are stopped."""
    await services.runs(state_of(request)).cancel(run_id)
    return {}


@router.post("/runs/{run_id}:retry")
async def retry_run(run_id: str, request: Request) -> dict[str, Any]:
    """Run a FAILED or CANCELED run again; finished tasks keep their outputs."""
    await services.runs(state_of(request)).retry(run_id)
    return {}


@router.post("/runs/{run_id}:archive")
def archive_run(run_id: str, request: Request) -> dict[str, Any]:
    """Archive a run (listing still shows it, as in KFP)."""
    services.runs(state_of(request)).archive(run_id)
    return {}


@router.post("/runs/{run_id}:unarchive")
def unarchive_run(run_id: str, request: Request) -> dict[str, Any]:
    """Restore an archived run."""
    services.runs(state_of(request)).unarchive(run_id)
    return {}


@router.delete("/runs/{run_id}")
def delete_run(run_id: str, request: Request) -> dict[str, Any]:
    """Delete a run that is not executing (its artifacts stay)."""
    services.runs(state_of(request)).delete(run_id)
    return {}
