"""N1, N2, N4: run summaries for the run list (and the newest runs of many experiments or
recurring runs at once), a run's graph, one task's detail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.kfp_filters import offset_of, page_size_of, token_of
from sluice.server.serialize import precise_ts
from sluice.server.ui_api.graph import node_kind, run_graph
from sluice.server.ui_api.shapes import (
    Attempt,
    CacheChange,
    CacheInfo,
    CacheSource,
    RunDetail,
    RunGraph,
    RunGroupSummary,
    RunGroupSummaryPage,
    RunSpec,
    RunSummary,
    RunSummaryPage,
    StateChange,
    TaskArtifactView,
    TaskDetail,
)
from sluice.server.ui_api.task_facts import artifact_sizes, parameter_types
from sluice.service.listing import ListQuery, Predicate, metric_key, metric_predicates
from sluice.service.run_views import RunViewService
from sluice.service.runs import RunService
from sluice.states import RunState
from sluice.store.models import ExperimentRow, RunRow

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])

_STATES = {state.value for state in RunState}
# What the run list sorts on besides ``metrics.<name>`` (a "-" in front: descending).
_SORT_KEYS = ("created_at", "display_name", "finished_at", "state")
MAX_GROUPS = 200


def _views(request: Request) -> RunViewService:
    return RunViewService(state_of(request).store)


def summary_of(
    row: RunRow,
    counts: Mapping[str, Mapping[str, int]],
    experiments: Mapping[str, ExperimentRow],
    metrics: Mapping[str, Mapping[str, float]] | None = None,
) -> RunSummary:
    """A run as a row of the run list."""
    experiment = experiments.get(row.experiment_id) if row.experiment_id else None
    return RunSummary(
        run_id=row.id,
        display_name=row.display_name,
        state=row.state,
        pipeline_name=row.pipeline_name,
        experiment_id=row.experiment_id,
        experiment_name=experiment.display_name if experiment else None,
        storage_state=row.storage_state,
        created_at=precise_ts(row.created_at),
        started_at=precise_ts(row.started_at),
        finished_at=precise_ts(row.finished_at),
        error=row.error,
        task_counts=dict(counts.get(row.id, {})),
        scheduled_at=precise_ts(row.scheduled_at),
        metrics=dict((metrics or {}).get(row.id, {})),
        parameters=dict(row.arguments or {}),
    )


def _sort_of(sort: str | None) -> tuple[str, bool]:
    """``-created_at`` (the default), ``display_name``, ``-metrics.accuracy``, ... as
    (list key, descending)."""
    text = (sort or "-created_at").strip()
    descending = text.startswith("-")
    key = text.removeprefix("-").strip()
    if key.startswith("metrics.") and len(key) > len("metrics."):
        return metric_key(key.removeprefix("metrics.")), descending
    if key not in _SORT_KEYS:
        raise bad_request(
            f"sort: cannot sort on {key!r}; use one of {', '.join(_SORT_KEYS)} or "
            "metrics.<name>, with a leading '-' for descending"
        )
    return key, descending


def _instant(name: str, text: str) -> str:
    """An RFC 3339 time (or a date: its midnight, UTC) as the store's filters read it."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(
            f"{name}: {text!r} is not a time; use RFC 3339, e.g. 2026-01-31T00:00:00Z"
        ) from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).isoformat()


def _summaries(request: Request, rows: list[RunRow]) -> list[RunSummary]:
    """Rows as run-list rows: task counts, experiment names and metrics in one query each."""
    views = _views(request)
    counts = views.task_counts(row.id for row in rows)
    experiments = views.experiments(row.experiment_id for row in rows if row.experiment_id)
    metrics = views.scalar_metrics(row.id for row in rows)
    return [summary_of(row, counts, experiments, metrics) for row in rows]


@router.get("/runs", summary="Run summaries for the run list")
def list_run_summaries(
    request: Request,
    state: str | None = Query(
        None, description="Only runs in these states (comma-separated, e.g. RUNNING,FAILED)."
    ),
    q: str | None = Query(None, max_length=256, description="Display name substring."),
    experiment_id: str | None = Query(None, max_length=64),
    recurring_run_id: str | None = Query(
        None, max_length=64, description="Only the runs this recurring run started."
    ),
    pipeline_id: str | None = Query(None, max_length=64, description="Runs of this pipeline."),
    pipeline_version_id: str | None = Query(
        None, max_length=64, description="Runs of this pipeline version."
    ),
    created_after: str | None = Query(
        None, max_length=64, description="Only runs created at or after this time (RFC 3339)."
    ),
    created_before: str | None = Query(
        None, max_length=64, description="Only runs created before this time (RFC 3339)."
    ),
    metric: str | None = Query(
        None,
        max_length=1024,
        description="Scalar-metric predicate: `accuracy > 0.5 AND loss <= 0.2` "
        "(> >= < <= = !=); a run without the metric does not match.",
    ),
    sort: str | None = Query(
        None,
        max_length=300,
        description="created_at, display_name, finished_at, state or metrics.<name>; "
        "a leading '-' sorts descending (default -created_at). Runs without the "
        "metric come last.",
    ),
    archived: bool = Query(False, description="Archived runs instead of available ones."),
    page_size: int | None = Query(None, description="Runs per page (20 if unset, at most 200)."),
    page_token: str | None = Query(None, max_length=256),
) -> RunSummaryPage:
    """One page of runs (newest first unless ``sort`` says), each with its task counts by
    state, its experiment's name, its scalar metrics and its parameters: everything a
    row shows, in one call. Every filter applies in the database, before paging."""
    predicates: list[Predicate] = [
        Predicate("storage_state", "EQUALS", "ARCHIVED" if archived else "AVAILABLE")
    ]
    if state:
        wanted = [part.strip().upper() for part in state.split(",") if part.strip()]
        unknown = sorted(set(wanted) - _STATES)
        if unknown:
            raise bad_request(
                f"state: unknown run state {unknown[0]!r}; use one of {', '.join(sorted(_STATES))}"
            )
        predicates.append(Predicate("state", "IN", wanted, is_list=True))
    if q:
        predicates.append(Predicate("display_name", "IS_SUBSTRING", q))
    if experiment_id:
        predicates.append(Predicate("experiment_id", "EQUALS", experiment_id))
    if recurring_run_id:
        predicates.append(Predicate("recurring_run_id", "EQUALS", recurring_run_id))
    if pipeline_id:
        predicates.append(Predicate("pipeline_id", "EQUALS", pipeline_id))
    if pipeline_version_id:
        predicates.append(Predicate("pipeline_version_id", "EQUALS", pipeline_version_id))
    if created_after:
        predicates.append(
            Predicate("created_at", "GREATER_THAN_EQUALS", _instant("created_after", created_after))
        )
    if created_before:
        predicates.append(
            Predicate("created_at", "LESS_THAN", _instant("created_before", created_before))
        )
    if metric and metric.strip():
        predicates.extend(metric_predicates(metric))
    sort_key, descending = _sort_of(sort)
    query = ListQuery(
        predicates=predicates,
        sort_key=sort_key,
        descending=descending,
        offset=offset_of(page_token),
        limit=page_size_of(page_size),
    )
    server = state_of(request)
    event_id = _views(request).last_event_id()
    page = RunService(server.store, server.config.settings).list(query)
    runs = _summaries(request, page.rows)
    token = token_of(page.next_offset) if page.next_offset is not None else None
    return RunSummaryPage(
        runs=runs, total_size=page.total_size, next_page_token=token, event_id=event_id
    )


@router.get("/runs:latest", summary="The newest runs of many experiments or recurring runs")
def list_latest_runs(
    request: Request,
    group_by: Literal["experiment", "recurring_run"] = Query(
        ..., description="Group the runs by experiment or by the recurring run that started them."
    ),
    ids: str = Query(
        ...,
        max_length=20_000,
        description=f"The experiments' or recurring runs' ids, comma-separated (at most "
        f"{MAX_GROUPS}).",
    ),
    per_group: int = Query(5, ge=1, le=50, description="Runs per group, newest first."),
    archived: bool = Query(False, description="Count and list archived runs instead."),
) -> RunGroupSummaryPage:
    """For each id, its run count and newest runs (run-list rows), in one call and one
    grouped query: the experiments list's last 5 runs and the recurring-runs list's last
    run, without one request per row."""
    keys = list(dict.fromkeys(part.strip() for part in ids.split(",") if part.strip()))
    if len(keys) > MAX_GROUPS:
        raise bad_request(f"ids: at most {MAX_GROUPS} ids per call (got {len(keys)})")
    column: Literal["experiment_id", "recurring_run_id"] = (
        "experiment_id" if group_by == "experiment" else "recurring_run_id"
    )
    groups = _views(request).latest_runs(column, keys, per_group=per_group, archived=archived)
    rows = [row for group in groups for row in group.runs]
    by_id = {summary.run_id: summary for summary in _summaries(request, rows)}
    return RunGroupSummaryPage(
        groups=[
            RunGroupSummary(
                id=group.key,
                total_size=group.total_size,
                runs=[by_id[row.id] for row in group.runs],
            )
            for group in groups
        ]
    )


@router.get("/runs/{run_id}", summary="One run, for its page")
def get_run_detail(run_id: str, request: Request) -> RunDetail:
    """What the run page's header and Parameters tab show: the run list's row of this run,
    with its arguments and outputs."""
    views = _views(request)
    # The row alone: a 500-task run's tasks and attempts are the graph call's to read.
    row = views.run(run_id)
    experiments = views.experiments([row.experiment_id] if row.experiment_id else [])
    summary = summary_of(
        row, views.task_counts([row.id]), experiments, views.scalar_metrics([row.id])
    )
    outputs = (row.outputs or {}).get("parameters") or {}
    return RunDetail(
        **summary.model_dump(),
        description=row.description,
        outputs=dict(outputs) if isinstance(outputs, dict) else {},
        pipeline_root=row.pipeline_root,
        recurring_run_id=row.recurring_run_id,
    )


@router.get("/runs/{run_id}/spec", summary="The compiled pipeline a run runs")
def get_run_spec(run_id: str, request: Request) -> RunSpec:
    """The run's pipeline spec (and platform spec, if any), as the Spec tab shows it."""
    stored = _views(request).run(run_id).pipeline_spec or {}
    platform = stored.get("platform_spec")
    return RunSpec(
        pipeline_spec=dict(stored.get("pipeline_spec") or {}),
        platform_spec=dict(platform) if isinstance(platform, dict) else None,
    )


@router.get("/runs/{run_id}/graph", summary="A run's graph with its tasks' states")
def get_run_graph(
    run_id: str,
    request: Request,
    artifacts: bool = Query(
        False,
        description="Also list each task's output artifacts and their readers (the "
        "graph's artifact nodes): one more query.",
    ),
) -> RunGraph:
    """Every task of the run, sub-DAGs and started loop iterations included, with edges
    between the tasks of each level (see the UI's Graph tab)."""
    views = _views(request)
    event_id = views.last_event_id(run_id)
    details = views.details(run_id)
    stored = views.output_artifacts(details.tasks) if artifacts else None
    return run_graph(details.run, details.tasks, event_id, details.executions, stored)


@router.get("/runs/{run_id}/tasks/{task:path}", summary="One task with its attempts")
def get_task_detail(run_id: str, task: str, request: Request) -> TaskDetail:
    """A task (by id, path or unique name) with its parameters, artifacts, attempts and
    state history: what the task side panel shows."""
    view = _views(request).task(run_id, task)
    row = view.task
    server = state_of(request)
    sizes = artifact_sizes(
        server.store.get_run, list(view.artifacts.values()), server.config.settings.home
    )
    inputs_types, outputs_types = parameter_types(view.run, row.component_name)
    artifacts: list[TaskArtifactView] = []
    for direction, side in (("input", row.inputs or {}), ("output", row.outputs or {})):
        for key, value in sorted((side.get("artifacts") or {}).items()):
            for item in value if isinstance(value, list) else [value]:
                artifact = view.artifacts.get(int(item)) if str(item).isdigit() else None
                if artifact is None:
                    continue
                artifacts.append(
                    TaskArtifactView(
                        id=artifact.id,
                        name=artifact.name,
                        direction=direction,  # type: ignore[arg-type]
                        output_key=key,
                        schema_title=artifact.schema_title,
                        uri=artifact.uri,
                        metadata=dict(artifact.metadata_ or {}),
                        size=sizes.get(artifact.id),
                    )
                )
    params: dict[str, Any] = (row.inputs or {}).get("parameters") or {}
    outputs: dict[str, Any] = (row.outputs or {}).get("parameters") or {}
    return TaskDetail(
        run_id=row.run_id,
        task_id=row.id,
        path=row.path,
        name=row.name,
        display_name=row.display_name,
        kind=node_kind(row.name, row, "container"),
        component=row.component_name,
        state=row.state,
        attempt_count=row.attempts,
        input_parameters=dict(params),
        output_parameters=dict(outputs),
        parameter_types={"inputs": inputs_types, "outputs": outputs_types},
        artifacts=artifacts,
        fingerprint=row.fingerprint,
        cached_from_task_id=row.cached_from_task_id,
        image=row.image,
        resources=dict(row.resources or {}),
        error=row.error,
        error_details=row.error_details,
        notices=list(row.notices or []),
        created_at=precise_ts(row.created_at),
        started_at=precise_ts(row.started_at),
        finished_at=precise_ts(row.finished_at),
        attempts=[
            Attempt(
                attempt=execution.attempt,
                state=execution.state,
                started_at=precise_ts(execution.started_at),
                finished_at=precise_ts(execution.finished_at),
                exit_code=execution.exit_code,
                error=execution.error,
                how=execution.how,
            )
            for execution in view.attempts
        ],
        history=[
            StateChange(state=change.state, message=change.message, at=precise_ts(change.at))
            for change in view.history
        ],
    )


@router.get("/runs/{run_id}/cache", summary="Why a task was or was not a cache hit")
def get_task_cache(
    run_id: str,
    request: Request,
    task: str = Query(..., max_length=1024, description="The task's id, path or unique name."),
) -> CacheInfo:
    """A hit names the execution (run and task) it reused; a miss the nearest earlier
    execution of the component and what differs from its cache key."""
    explained, source, source_path, source_run = _views(request).cache(run_id, task)
    return CacheInfo(
        hit=explained.hit,
        reason=explained.reason,
        fingerprint=explained.fingerprint,
        differences=list(explained.differences),
        changes=[
            CacheChange(
                part=change.part,  # type: ignore[arg-type]
                name=change.name,
                old=change.old,
                new=change.new,
                origin=change.origin,
                origin_task=change.origin_task,
                diff=list(change.diff),
            )
            for change in explained.changes
        ],
        source=(
            CacheSource(
                execution_id=source.id,
                run_id=source.run_id,
                run_name=source_run.display_name if source_run else explained.source_run_name,
                task_path=source_path,
            )
            if source is not None
            else None
        ),
    )
