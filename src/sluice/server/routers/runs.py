"""``/runs``: create, get, list, terminate, retry, archive, unarchive, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from sluice.engine.states import RunState
from sluice.server.auth import require_token
from sluice.server.config import ServerState, state_of
from sluice.server.errors import bad_request, not_found, precondition
from sluice.server.kfp_filters import list_response
from sluice.server.limits import Description, LimitedRoute, Name, Text
from sluice.server.packages import load_spec
from sluice.server.routers.pipelines import get_version_row, latest_version
from sluice.server.serialize import artifact_ids_of, run_json
from sluice.server.submission import submit_run
from sluice.store.models import ExecutionRow, RunRow, StateTransitionRow
from sluice.store.repository import Store

router = APIRouter(tags=["runs"], dependencies=[Depends(require_token)], route_class=LimitedRoute)

COLUMNS = {
    "run_id": RunRow.id,
    "display_name": RunRow.display_name,
    "created_at": RunRow.created_at,
    "finished_at": RunRow.finished_at,
    "scheduled_at": RunRow.scheduled_at,
    "description": RunRow.description,
    "storage_state": RunRow.storage_state,
    "namespace": RunRow.namespace,
    "experiment_id": RunRow.experiment_id,
    "state": RunRow.state,
    "recurring_run_id": RunRow.recurring_run_id,
    # the v1 API's names
    "id": RunRow.id,
    "name": RunRow.display_name,
    "status": RunRow.state,
}


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
        return load_spec(pipeline_spec), None, None
    pipeline_id = reference.pipeline_id if reference else None
    version_id = (reference.pipeline_version_id if reference else None) or version_id
    if version_id:
        version = get_version_row(state, pipeline_id or "", version_id)
    elif pipeline_id:
        version = latest_version(state, pipeline_id)
    else:
        raise bad_request("a run needs pipeline_spec or pipeline_version_reference")
    return version.pipeline_spec, version.pipeline_id, version.id


@router.post("/runs")
def create_run(body: RunIn, request: Request) -> dict[str, Any]:
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
    return run_json(row, tasks=[], history=state.store.state_history(row.id))


def get_run_row(state: ServerState, run_id: str) -> RunRow:
    """The run with exactly this id, or 404."""
    with state.store.session() as session:
        row = session.get(RunRow, run_id)
    if row is None:
        raise not_found(f"no run '{run_id}'")
    return row


def run_details(state: ServerState, row: RunRow) -> dict[str, Any]:
    """A run with its task details and state history."""
    tasks = state.store.tasks_of_run(row.id)
    with state.store.session() as session:
        executions: dict[str, list[ExecutionRow]] = {}
        for execution in session.scalars(
            select(ExecutionRow).where(ExecutionRow.run_id == row.id).order_by(ExecutionRow.id)
        ):
            executions.setdefault(execution.task_id, []).append(execution)
        transitions = list(
            session.scalars(
                select(StateTransitionRow)
                .where(StateTransitionRow.run_id == row.id)
                .order_by(StateTransitionRow.id)
            )
        )
    own = [t for t in transitions if t.task_id is None]
    per_task: dict[str, list[StateTransitionRow]] = {}
    for transition in transitions:
        if transition.task_id is not None:
            per_task.setdefault(transition.task_id, []).append(transition)
    artifacts = state.store.get_artifacts(artifact_ids_of(row, tasks))
    return run_json(
        row,
        tasks=tasks,
        executions=executions,
        history=own,
        task_history=per_task,
        artifacts=artifacts,
    )


@router.get("/runs:resolve")
def resolve_run(reference: str, request: Request) -> dict[str, Any]:
    """The run a reference names, without its details (a Sluice extension).

    A reference is what ``sluice runs show`` takes: a full id, a unique id prefix (4+ hex
    digits), the run's name, or a display name only one run has. 404 if none matches,
    400 listing the candidates if several do. ``sluice ... --host`` resolves with this,
    so prefixes work past the first page of a listing.
    """
    return _run_summary(state_of(request).store.resolve_run(reference))


@router.get("/runs/{run_id}")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    """One run, with ``run_details.task_details``."""
    state = state_of(request)
    return run_details(state, get_run_row(state, run_id))


def _run_summary(row: RunRow, store: Store | None = None) -> dict[str, Any]:
    # Lists leave out the spec and task details; GET /runs/{id} has them. The run's output
    # artifacts (a query only for runs that have some) fill Sluice's extension field.
    artifacts = store.get_artifacts(artifact_ids_of(row, [])) if store is not None else None
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
    store = state_of(request).store
    query = select(RunRow)
    if experiment_id:
        query = query.where(RunRow.experiment_id == experiment_id)
    if namespace:
        query = query.where(RunRow.namespace == namespace)
    return list_response(
        store,
        query,
        key="runs",
        columns=COLUMNS,
        tiebreak=RunRow.id,
        to_json=lambda row: _run_summary(row, store),
        filter=filter,
        sort_by=sort_by,
        page_token=page_token,
        page_size=page_size,
    )


@router.post("/runs/{run_id}:terminate")
async def terminate_run(run_id: str, request: Request) -> dict[str, Any]:
    """Stop a run: CANCELING, then CANCELED once its tasks are stopped."""
    state = state_of(request)
    row = get_run_row(state, run_id)
    if not RunState(row.state).is_active:
        return {}
    if state.manager is not None:
        await state.manager.terminate(run_id)
    elif row.state == RunState.PENDING:
        # Nothing executes runs in this server, so nothing else would ever cancel it.
        state.store.transition_run(run_id, RunState.CANCELED, finished=True)
    return {}


@router.post("/runs/{run_id}:retry")
async def retry_run(run_id: str, request: Request) -> dict[str, Any]:
    """Run a FAILED or CANCELED run again; finished tasks keep their outputs."""
    state = state_of(request)
    row = get_run_row(state, run_id)
    if row.state not in (RunState.FAILED, RunState.CANCELED):
        raise precondition(f"run '{run_id}' is {row.state}; only FAILED or CANCELED runs retry")
    if state.manager is None:
        raise precondition("this server does not execute runs (background execution is off)")
    await state.manager.retry(run_id)
    return {}


def _set_storage(request: Request, run_id: str, storage: str) -> dict[str, Any]:
    state = state_of(request)
    get_run_row(state, run_id)
    with state.store.session() as session:
        session.execute(update(RunRow).where(RunRow.id == run_id).values(storage_state=storage))
    return {}


@router.post("/runs/{run_id}:archive")
def archive_run(run_id: str, request: Request) -> dict[str, Any]:
    """Archive a run (listing still shows it, as in KFP)."""
    return _set_storage(request, run_id, "ARCHIVED")


@router.post("/runs/{run_id}:unarchive")
def unarchive_run(run_id: str, request: Request) -> dict[str, Any]:
    """Restore an archived run."""
    return _set_storage(request, run_id, "AVAILABLE")


@router.delete("/runs/{run_id}")
def delete_run(run_id: str, request: Request) -> dict[str, Any]:
    """Delete a run that is not executing (its artifacts stay)."""
    state = state_of(request)
    row = get_run_row(state, run_id)
    if RunState(row.state).is_active and state.manager is not None:
        raise precondition(
            f"run '{run_id}' is {row.state}; terminate it and wait until it is CANCELED"
        )
    state.store.delete_run(run_id)
    return {}
