"""Store rows as Vertex AI v1 JSON: camelCase keys, full resource names, RFC 3339 ``Z`` times.

Enums go out as their names (the SDK parses names and numbers alike); ids that are
int64 in Vertex's protos (``taskId``) go out as strings, as Google's JSON mapping does.
Every name is full (``projects/{p}/locations/{l}/...``): the SDK parses returned names
and fails on short ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sluice.service.metadata_resources import etag_of
from sluice.store.models import ArtifactRow, ContextRow, ExecutionRow, RunRow, TaskRow

# Sluice run states as Vertex's PipelineState.
PIPELINE_STATES = {
    "PENDING": "PIPELINE_STATE_PENDING",
    "RUNNING": "PIPELINE_STATE_RUNNING",
    "SUCCEEDED": "PIPELINE_STATE_SUCCEEDED",
    "FAILED": "PIPELINE_STATE_FAILED",
    "CANCELING": "PIPELINE_STATE_CANCELLING",
    "CANCELED": "PIPELINE_STATE_CANCELLED",
}
# Sluice task states as PipelineTaskDetail.State: Vertex calls a cache hit SKIPPED and a
# task whose condition or upstream kept it from running NOT_TRIGGERED.
_TASK_STATES = {
    "PENDING": "PENDING",
    "RUNNING": "RUNNING",
    "SUCCEEDED": "SUCCEEDED",
    "CACHED": "SKIPPED",
    "FAILED": "FAILED",
    "SKIPPED": "NOT_TRIGGERED",
    "CANCELED": "CANCELLED",
}
# MLMD execution states as Vertex's Execution.State.
_EXECUTION_STATES = {"CANCELED": "CANCELLED"}
# Vertex's PipelineFailurePolicy enum, by number and by name.
FAILURE_POLICIES = {
    1: "FAIL_SLOW",
    2: "FAIL_FAST",
    "PIPELINE_FAILURE_POLICY_FAIL_SLOW": "FAIL_SLOW",
    "PIPELINE_FAILURE_POLICY_FAIL_FAST": "FAIL_FAST",
}
FAILED_PRECONDITION = 9
CANCELLED = 1
METADATA_STORE = "metadataStores/default"


def ts(value: datetime | None) -> str | None:
    """RFC 3339 UTC with a ``Z`` (SQLite hands back naive datetimes, which are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _times(out: dict[str, Any], **times: datetime | None) -> None:
    # An unset time is left out: an empty string does not parse as a Timestamp.
    for key, value in times.items():
        text = ts(value)
        if text is not None:
            out[key] = text


def job_name(location: str, row: RunRow) -> str:
    """The PipelineJob resource name of a run: its name is the job id."""
    return f"{location}/pipelineJobs/{row.name}"


def context_id(context: ContextRow, row: RunRow | None = None) -> str:
    """A context's resource id: its name, or the run's name for a run's own context."""
    return row.name if row is not None and context.id == row.run_context_id else context.name


def context_json(
    location: str,
    context: ContextRow,
    *,
    resource_id: str | None = None,
    parents: list[str] | None = None,
) -> dict[str, Any]:
    """A metadata Context."""
    rid = resource_id or context.name
    updated = context.updated_at or context.created_at
    out: dict[str, Any] = {
        "name": f"{location}/{METADATA_STORE}/contexts/{rid}",
        "displayName": context.display_name or rid,
        "schemaTitle": context.type,
        "schemaVersion": context.schema_version or "0.0.1",
        "metadata": dict(context.properties or {}),
        "labels": dict(context.labels or {}),
        # Digits (the SDK's etag-mismatch retry reads them as numbers) that change with
        # every update: the update time in microseconds.
        "etag": str(_micros(updated)),
        "parentContexts": list(parents or []),
    }
    if context.description:
        out["description"] = context.description
    _times(out, createTime=context.created_at, updateTime=updated)
    return out


def _micros(value: datetime | None) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp() * 1_000_000)


def artifact_json(location: str, row: ArtifactRow) -> dict[str, Any]:
    """A metadata Artifact (``metadata`` always present: the SDK reads it unguarded)."""
    out: dict[str, Any] = {
        "name": f"{location}/{METADATA_STORE}/artifacts/{row.resource_id or row.id}",
        "displayName": row.display_name or row.name,
        "uri": row.uri,
        "schemaTitle": row.schema_title,
        "schemaVersion": row.schema_version,
        "metadata": dict(row.metadata_ or {}),
        "state": row.state or "LIVE",
        "etag": etag_of(row.updated_at),
    }
    _times(out, createTime=row.created_at, updateTime=row.updated_at)
    return out


def _execution_json(
    location: str, task: TaskRow, execution: ExecutionRow | None
) -> dict[str, Any] | None:
    if execution is None:
        return None
    # Vertex puts a task's parameters in its execution's metadata as input:/output: keys.
    metadata = {f"input:{k}": v for k, v in (execution.input_parameters or {}).items()}
    metadata.update({f"output:{k}": v for k, v in (execution.output_parameters or {}).items()})
    out: dict[str, Any] = {
        "name": f"{location}/{METADATA_STORE}/executions/{execution.id}",
        "displayName": task.name,
        "state": _EXECUTION_STATES.get(execution.state, execution.state),
        "schemaTitle": execution.type,
        "schemaVersion": "0.0.1",
        "metadata": metadata,
    }
    _times(out, createTime=execution.started_at, updateTime=execution.finished_at)
    return out


def _artifact_map(
    location: str, ids_by_name: Mapping[str, Any], artifacts: Mapping[int, ArtifactRow]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, ids in ids_by_name.items():
        found = [artifacts.get(int(i)) for i in (ids if isinstance(ids, list) else [ids])]
        out[name] = {"artifacts": [artifact_json(location, a) for a in found if a is not None]}
    return out


def _artifacts_of(side: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return (side or {}).get("artifacts") or {}


def artifact_ids(tasks: list[TaskRow]) -> set[int]:
    """The ids of every input and output artifact of these tasks."""
    found: set[int] = set()
    for task in tasks:
        for side in (task.inputs or {}, task.outputs or {}):
            for ids in (side.get("artifacts") or {}).values():
                found.update(int(i) for i in (ids if isinstance(ids, list) else [ids]))
    return found


def task_details_json(
    location: str,
    row: RunRow,
    tasks: list[TaskRow],
    executions: Mapping[str, list[ExecutionRow]],
    artifacts: Mapping[int, ArtifactRow],
) -> list[dict[str, Any]]:
    """``jobDetail.taskDetails``: the root DAG as task 1, then every task of the run."""
    root: dict[str, Any] = {
        "taskId": "1",
        "taskName": row.name,
        "state": _TASK_STATES.get(row.state, "RUNNING" if row.state == "CANCELING" else "PENDING"),
    }
    _times(root, createTime=row.created_at, startTime=row.started_at, endTime=row.finished_at)
    numbers = {task.id: str(i + 2) for i, task in enumerate(tasks)}
    out = [root]
    for task in tasks:
        item: dict[str, Any] = {
            "taskId": numbers[task.id],
            "parentTaskId": numbers.get(task.parent_id or "", "1"),
            "taskName": task.name,
            "state": _TASK_STATES.get(task.state, "STATE_UNSPECIFIED"),
            "inputs": _artifact_map(
                location, (task.inputs or {}).get("artifacts") or {}, artifacts
            ),
            "outputs": _artifact_map(
                location, (task.outputs or {}).get("artifacts") or {}, artifacts
            ),
        }
        attempts = executions.get(task.id) or []
        execution = _execution_json(location, task, attempts[-1] if attempts else None)
        if execution is not None:
            item["execution"] = execution
        if task.error:
            item["error"] = {"code": FAILED_PRECONDITION, "message": task.error}
        _times(
            item, createTime=task.created_at, startTime=task.started_at, endTime=task.finished_at
        )
        out.append(item)
    return out


def _parameter_values(row: RunRow) -> dict[str, Any]:
    # The run's arguments hold input artifacts too; parameterValues holds parameters only.
    spec = (row.pipeline_spec or {}).get("pipeline_spec") or row.pipeline_spec or {}
    declared = ((spec.get("root") or {}).get("inputDefinitions") or {}).get("parameters") or {}
    return {k: v for k, v in (row.arguments or {}).items() if k in declared}


def pipeline_spec_of(row: RunRow) -> dict[str, Any]:
    """The run's PipelineSpec (without a platform spec)."""
    stored = row.pipeline_spec or {}
    spec = stored.get("pipeline_spec") if "pipeline_spec" in stored else stored
    return dict(spec or {})


def pipeline_job_json(
    location: str,
    row: RunRow,
    *,
    job_detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A PipelineJob; ``job_detail`` (contexts and task details) when the caller built it."""
    runtime: dict[str, Any] = {
        "gcsOutputDirectory": row.pipeline_root,
        "parameterValues": _parameter_values(row),
    }
    if row.failure_policy:
        runtime["failurePolicy"] = f"PIPELINE_FAILURE_POLICY_{row.failure_policy}"
    out: dict[str, Any] = {
        "name": job_name(location, row),
        "displayName": row.display_name,
        "state": PIPELINE_STATES.get(row.state, "PIPELINE_STATE_UNSPECIFIED"),
        "labels": dict(row.labels or {}),
        "pipelineSpec": pipeline_spec_of(row),
        "runtimeConfig": runtime,
    }
    _times(
        out,
        createTime=row.created_at,
        startTime=row.started_at,
        endTime=row.finished_at,
        updateTime=row.updated_at,
    )
    if row.service_account:
        out["serviceAccount"] = row.service_account
    if row.recurring_run_id:
        out["scheduleName"] = f"{location}/schedules/{row.recurring_run_id}"
    if row.error and row.state in ("FAILED", "CANCELED"):
        code = FAILED_PRECONDITION if row.state == "FAILED" else CANCELLED
        out["error"] = {"code": code, "message": row.error}
    elif row.state == "FAILED":
        out["error"] = {"code": FAILED_PRECONDITION, "message": "the pipeline run failed"}
    if job_detail is not None:
        out["jobDetail"] = job_detail
    return out


def empty_operation(location: str, operation_id: str) -> dict[str, Any]:
    """A finished long-running operation whose result is ``google.protobuf.Empty``.

    Only ``name``, ``done`` and ``response`` (the SDK parses operations strictly), and no
    ``metadata`` (its type would have to be one the SDK knows).
    """
    return {
        "name": f"{location}/operations/{operation_id}",
        "done": True,
        "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
    }
