"""Turning the service's run records into the public :class:`Run` and :class:`TaskRun` views."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sluice.client.models import Run, TaskFailure, TaskRun
from sluice.store.models import ArtifactRow, TaskRow, as_utc

if TYPE_CHECKING:
    from sluice.service.local_runs import RunRecord


def to_dsl_artifact(row: ArtifactRow) -> Any:
    """A stored artifact as the ``kfp.dsl`` artifact class of its schema title."""
    return dsl_artifact(row.name, row.uri, row.schema_title, dict(row.metadata_ or {}))


def dsl_artifact(name: str, uri: str, schema_title: str, metadata: dict[str, Any]) -> Any:
    """An artifact as the ``kfp.dsl`` artifact class of its schema title."""
    from kfp.dsl.types import artifact_types

    classes = {
        cls.schema_title: cls
        for cls in (
            artifact_types.Artifact,
            artifact_types.Dataset,
            artifact_types.Model,
            artifact_types.Metrics,
            artifact_types.ClassificationMetrics,
            artifact_types.SlicedClassificationMetrics,
            artifact_types.HTML,
            artifact_types.Markdown,
        )
    }
    cls = classes.get(schema_title, artifact_types.Artifact)
    artifact = cls(name=name, uri=uri, metadata=metadata)
    if cls is artifact_types.Artifact and schema_title != cls.schema_title:
        artifact.schema_title = schema_title
    return artifact


def _values(data: dict[str, Any], artifacts: dict[int, ArtifactRow]) -> dict[str, Any]:
    values: dict[str, Any] = dict(data.get("parameters", {}))
    for name, ids in (data.get("artifacts") or {}).items():
        items = [to_dsl_artifact(artifacts[i]) for i in ids if i in artifacts]
        values[name] = items[0] if len(items) == 1 else items
    return values


def task_from_row(row: TaskRow, artifacts: dict[int, ArtifactRow]) -> TaskRun:
    """A task row as a :class:`TaskRun`."""
    return TaskRun(
        id=row.id,
        name=row.name,
        path=row.path,
        display_name=row.display_name,
        kind=row.kind,
        state=row.state,
        attempts=row.attempts,
        inputs=_values(row.inputs or {}, artifacts),
        outputs=_values(row.outputs or {}, artifacts),
        log_path=Path(row.log_path) if row.log_path else None,
        error=row.error,
        image=row.image,
        resources=dict(row.resources or {}),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
        cached_from=row.cached_from_task_id,
        failure=TaskFailure.from_record(row.error_details),
        notices=[str(n) for n in row.notices or []],
    )


def run_from_record(record: RunRecord) -> Run:
    """A run with its tasks and their artifacts (from the service) as a :class:`Run`."""
    row, artifacts = record.run, record.artifacts
    return Run(
        id=row.id,
        name=row.name,
        pipeline_name=row.pipeline_name,
        state=row.state,
        error=row.error,
        arguments=dict(row.arguments or {}),
        outputs=_values(row.outputs or {}, artifacts),
        tasks=[task_from_row(t, artifacts) for t in record.tasks],
        pipeline_root=row.pipeline_root,
        created_at=as_utc(row.created_at),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
    )


# -- a server's JSON (``GET /runs/{id}``) as the same views -------------------------------


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _wire_values(section: object) -> dict[str, Any]:
    # Sluice's extension format (sluice.server.serialize._values).
    if not isinstance(section, Mapping):
        return {}
    values: dict[str, Any] = dict(section.get("parameters") or {})
    for name, items in (section.get("artifacts") or {}).items():
        made = [
            dsl_artifact(
                str(a.get("name") or ""),
                str(a.get("uri") or ""),
                str(a.get("schema_title") or "system.Artifact"),
                dict(a.get("metadata") or {}),
            )
            for a in items
            if isinstance(a, Mapping) and "uri" in a
        ]
        values[name] = made[0] if len(made) == 1 else made
    return values


def _status_message(value: object) -> str | None:
    if isinstance(value, Mapping) and value.get("message"):
        return str(value["message"])
    return None


def task_from_json(detail: Mapping[str, Any]) -> TaskRun:
    """A server's task detail as a :class:`TaskRun` (fields a non-Sluice server lacks are blank)."""
    extra: Mapping[str, Any] = detail.get("sluice_task") or {}
    display = str(detail.get("display_name") or "")
    failure = detail.get("sluice_failure")
    log_path = extra.get("log_path")
    return TaskRun(
        id=str(detail.get("task_id") or ""),
        name=str(extra.get("name") or display),
        path=str(extra.get("path") or display),
        display_name=display,
        kind=str(extra.get("kind") or "container"),
        state=str(detail.get("sluice_state") or detail.get("state")),
        attempts=int(extra.get("attempts") or 0),
        inputs=_wire_values(extra.get("inputs")),
        outputs=_wire_values(extra.get("outputs")),
        log_path=Path(log_path) if log_path else None,
        error=_status_message(detail.get("error")),
        image=extra.get("image") or None,
        resources=dict(extra.get("resources") or {}),
        started_at=_time(extra.get("started_at") or detail.get("start_time")),
        finished_at=_time(extra.get("finished_at") or detail.get("end_time")),
        cached_from=extra.get("cached_from_task_id") or None,
        failure=TaskFailure.from_record(failure if isinstance(failure, dict) else None),
        notices=[str(n) for n in extra.get("notices") or []],
    )


def run_from_json(data: Mapping[str, Any]) -> Run:
    """A server's run (KFP v2beta1 JSON with Sluice's extension fields) as a :class:`Run`."""
    extra: Mapping[str, Any] = data.get("sluice_run") or {}
    config: Mapping[str, Any] = data.get("runtime_config") or {}
    details = (data.get("run_details") or {}).get("task_details") or []
    return Run(
        id=str(data.get("run_id") or ""),
        name=str(extra.get("name") or data.get("display_name") or data.get("run_id")),
        pipeline_name=str(extra.get("pipeline_name") or ""),
        state=str(extra.get("state") or data.get("state")),
        error=_status_message(data.get("error")),
        arguments=dict(config.get("parameters") or {}),
        outputs=_wire_values(extra.get("outputs")),
        tasks=[task_from_json(d) for d in details if isinstance(d, Mapping)],
        pipeline_root=str(config.get("pipeline_root") or ""),
        created_at=_time(extra.get("created_at") or data.get("created_at")),
        started_at=_time(extra.get("started_at")),
        finished_at=_time(extra.get("finished_at") or data.get("finished_at")),
    )
