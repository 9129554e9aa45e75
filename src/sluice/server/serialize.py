"""Store rows as KFP v2beta1 JSON: snake_case keys, RFC3339 ``Z`` times, unset times left out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sluice.store.models import (
    ArtifactRow,
    ExecutionRow,
    ExperimentRow,
    PipelineRow,
    PipelineVersionRow,
    RunRow,
    StateTransitionRow,
    TaskRow,
)

# Sluice's task states as KFP's RuntimeState: KFP reports a cache hit as SKIPPED.
_TASK_STATES = {"CACHED": "SKIPPED"}
_RUN_STATES = {"PENDING", "RUNNING", "SUCCEEDED", "SKIPPED", "FAILED", "CANCELING", "CANCELED"}


def ts(value: datetime | None) -> str | None:
    """RFC3339 UTC with a ``Z`` (SQLite hands back naive datetimes, which are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def precise_ts(value: datetime | None) -> str | None:
    """ISO 8601 UTC with microseconds, for Sluice's extension fields (KFP's keep seconds)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _put_time(out: dict[str, Any], key: str, value: datetime | None) -> None:
    # An empty string makes kfp's dateutil parsing raise, so unset times are left out.
    text = ts(value)
    if text is not None:
        out[key] = text


def run_state(state: str) -> str:
    """A run state under KFP's canonical name."""
    return state if state in _RUN_STATES else "RUNTIME_STATE_UNSPECIFIED"


def task_state(state: str) -> str:
    """A task state under KFP's canonical name."""
    return _TASK_STATES.get(state, state if state in _RUN_STATES else "RUNTIME_STATE_UNSPECIFIED")


def experiment_json(row: ExperimentRow) -> dict[str, Any]:
    """An Experiment."""
    out: dict[str, Any] = {
        "experiment_id": row.id,
        "display_name": row.display_name,
        "namespace": row.namespace,
        "storage_state": row.storage_state,
    }
    if row.description:
        out["description"] = row.description
    _put_time(out, "created_at", row.created_at)
    _put_time(out, "last_run_created_at", row.last_run_created_at)
    return out


def pipeline_json(row: PipelineRow) -> dict[str, Any]:
    """A Pipeline."""
    out: dict[str, Any] = {
        "pipeline_id": row.id,
        "name": row.name,
        "display_name": row.display_name,
        "namespace": row.namespace,
    }
    if row.description:
        out["description"] = row.description
    if row.tags:
        out["tags"] = row.tags
    _put_time(out, "created_at", row.created_at)
    return out


def spec_for_output(stored: dict[str, Any]) -> dict[str, Any]:
    """The spec as KFP shows it: the plain PipelineSpec, or both documents with a platform."""
    if stored.get("platform_spec"):
        return {"pipeline_spec": stored["pipeline_spec"], "platform_spec": stored["platform_spec"]}
    return dict(stored.get("pipeline_spec") or {})


def version_json(row: PipelineVersionRow, *, with_spec: bool = True) -> dict[str, Any]:
    """A PipelineVersion."""
    out: dict[str, Any] = {
        "pipeline_id": row.pipeline_id,
        "pipeline_version_id": row.id,
        "name": row.name,
        "display_name": row.display_name,
    }
    if row.description:
        out["description"] = row.description
    if row.code_source_url:
        out["code_source_url"] = row.code_source_url
    if row.tags:
        out["tags"] = row.tags
    if with_spec:
        out["pipeline_spec"] = spec_for_output(row.pipeline_spec)
    _put_time(out, "created_at", row.created_at)
    return out


def _history(rows: list[StateTransitionRow], mapper: Any) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item: dict[str, Any] = {"state": mapper(row.state)}
        _put_time(item, "update_time", row.at)
        if row.message:
            item["error"] = {"code": 2, "message": row.message}
        out.append(item)
    return out


def run_json(
    row: RunRow,
    *,
    tasks: list[TaskRow] | None = None,
    executions: dict[str, list[ExecutionRow]] | None = None,
    history: list[StateTransitionRow] | None = None,
    task_history: dict[str, list[StateTransitionRow]] | None = None,
    with_spec: bool = True,
    artifacts: Mapping[int, ArtifactRow] | None = None,
) -> dict[str, Any]:
    """A Run; ``tasks`` (with their ``executions``) fill ``run_details.task_details``.

    ``artifacts`` (the rows :func:`artifact_ids_of` names) fill the artifacts of the Sluice
    extension fields, from which ``sluice.Client(host=...)`` rebuilds a ``Run``.
    """
    out: dict[str, Any] = {
        "run_id": row.id,
        "display_name": row.display_name,
        "storage_state": row.storage_state,
        "state": run_state(row.state),
        "runtime_config": {"parameters": row.arguments, "pipeline_root": row.pipeline_root},
    }
    if row.experiment_id:
        out["experiment_id"] = row.experiment_id
    if row.description:
        out["description"] = row.description
    if row.service_account:
        out["service_account"] = row.service_account
    if row.recurring_run_id:
        out["recurring_run_id"] = row.recurring_run_id
    if row.pipeline_version_id:
        out["pipeline_version_reference"] = {
            "pipeline_id": row.pipeline_id or "",
            "pipeline_version_id": row.pipeline_version_id,
        }
    elif with_spec:
        out["pipeline_spec"] = spec_for_output(row.pipeline_spec)
    _put_time(out, "created_at", row.created_at)
    _put_time(out, "scheduled_at", row.scheduled_at or row.created_at)
    _put_time(out, "finished_at", row.finished_at)
    if row.error:
        out["error"] = {"code": 2, "message": row.error, "details": []}
    if history is not None:
        out["state_history"] = _history(history, run_state)
    # A Sluice extension (ignored by kfp.Client): what a Sluice Run has that a KFP run lacks.
    out["sluice_run"] = {
        "name": row.name,
        "pipeline_name": row.pipeline_name,
        "state": row.state,
        "created_at": precise_ts(row.created_at),
        "started_at": precise_ts(row.started_at),
        "finished_at": precise_ts(row.finished_at),
        "outputs": _values(row.outputs, artifacts),
    }
    if tasks is not None:
        details: dict[str, Any] = {
            "task_details": [
                task_json(
                    t,
                    tasks,
                    (executions or {}).get(t.id, []),
                    (task_history or {}).get(t.id),
                    artifacts=artifacts,
                )
                for t in tasks
            ]
        }
        if row.pipeline_context_id is not None:
            details["pipeline_context_id"] = str(row.pipeline_context_id)
        if row.run_context_id is not None:
            details["pipeline_run_context_id"] = str(row.run_context_id)
        out["run_details"] = details
    return out


def _artifact_map(section: dict[str, Any] | None) -> dict[str, Any]:
    artifacts = (section or {}).get("artifacts") or {}
    out: dict[str, Any] = {}
    for name, ids in artifacts.items():
        items = ids if isinstance(ids, list) else [ids]
        out[name] = {"artifact_ids": [str(i) for i in items if isinstance(i, int)]}
    return out


def artifact_ids_of(row: RunRow, tasks: list[TaskRow]) -> list[int]:
    """The ids of the artifacts a run's outputs and its tasks' inputs and outputs name."""
    ids: set[int] = set()
    for section in [row.outputs] + [s for t in tasks for s in (t.inputs, t.outputs)]:
        for items in ((section or {}).get("artifacts") or {}).values():
            listed = items if isinstance(items, list) else [items]
            ids.update(i for i in listed if isinstance(i, int))
    return sorted(ids)


def artifact_json(row: ArtifactRow) -> dict[str, Any]:
    """An artifact as Sluice's extension fields show it."""
    return {
        "artifact_id": str(row.id),
        "name": row.name,
        "uri": row.uri,
        "schema_title": row.schema_title,
        "schema_version": row.schema_version,
        "metadata": dict(row.metadata_ or {}),
    }


def _values(
    section: dict[str, Any] | None, artifacts: Mapping[int, ArtifactRow] | None
) -> dict[str, Any]:
    # Parameters as their values; artifacts as full records when the rows were given.
    found = artifacts or {}
    out: dict[str, Any] = {"parameters": dict((section or {}).get("parameters") or {})}
    listed: dict[str, Any] = {}
    for name, ids in ((section or {}).get("artifacts") or {}).items():
        items = ids if isinstance(ids, list) else [ids]
        listed[name] = [
            artifact_json(found[i]) if i in found else {"artifact_id": str(i)}
            for i in items
            if isinstance(i, int)
        ]
    out["artifacts"] = listed
    return out


def task_json(
    task: TaskRow,
    all_tasks: list[TaskRow],
    executions: list[ExecutionRow],
    history: list[StateTransitionRow] | None = None,
    *,
    artifacts: Mapping[int, ArtifactRow] | None = None,
) -> dict[str, Any]:
    """A PipelineTaskDetail, with Sluice's extension fields.

    ``error`` is KFP's ``google.rpc.Status`` with the one-line reason; a failed component's
    full record (exception type, message, its own traceback, exit code) is in the
    ``sluice_failure`` extension, and ``sluice_task`` holds the rest of a ``TaskRun``.
    """
    out: dict[str, Any] = {
        "run_id": task.run_id,
        "task_id": task.id,
        "display_name": task.display_name,
        "state": task_state(task.state),
        # A Sluice extension: the state under Sluice's own name, where KFP's wire format
        # says SKIPPED for a cache hit; `sluice ... --host` shows CACHED from it.
        "sluice_state": task.state,
        "child_tasks": [{"task_id": t.id} for t in all_tasks if t.parent_id == task.id],
    }
    if task.parent_id:
        out["parent_task_id"] = task.parent_id
    _put_time(out, "create_time", task.created_at)
    _put_time(out, "start_time", task.started_at)
    _put_time(out, "end_time", task.finished_at)
    if executions:
        out["execution_id"] = str(executions[-1].id)
    inputs = _artifact_map(task.inputs)
    outputs = _artifact_map(task.outputs)
    if inputs:
        out["inputs"] = inputs
    if outputs:
        out["outputs"] = outputs
    if task.error:
        out["error"] = {"code": 2, "message": task.error, "details": []}
    if task.error_details:
        # A Sluice extension, as sluice_state: kfp.Client ignores keys it does not know.
        out["sluice_failure"] = dict(task.error_details)
    out["sluice_task"] = {
        "name": task.name,
        "path": task.path,
        "kind": task.kind,
        "attempts": task.attempts,
        "image": task.image,
        "resources": dict(task.resources or {}),
        "log_path": task.log_path,
        "cached_from_task_id": task.cached_from_task_id,
        "notices": [str(n) for n in task.notices or []],
        "started_at": precise_ts(task.started_at),
        "finished_at": precise_ts(task.finished_at),
        "inputs": _values(task.inputs, artifacts),
        "outputs": _values(task.outputs, artifacts),
    }
    if history is not None:
        out["state_history"] = _history(history, task_state)
    return out
