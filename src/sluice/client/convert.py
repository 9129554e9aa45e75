"""Turning store rows into the public :class:`Run` and :class:`TaskRun` views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sluice.client.models import Run, TaskFailure, TaskRun
from sluice.store.models import ArtifactRow, RunRow, TaskRow
from sluice.store.repository import Store, as_utc


def to_dsl_artifact(row: ArtifactRow) -> Any:
    """A stored artifact as the ``kfp.dsl`` artifact class of its schema title."""
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
    cls = classes.get(row.schema_title, artifact_types.Artifact)
    artifact = cls(name=row.name, uri=row.uri, metadata=dict(row.metadata_ or {}))
    if cls is artifact_types.Artifact and row.schema_title != cls.schema_title:
        artifact.schema_title = row.schema_title
    return artifact


def _values(data: dict[str, Any], artifacts: dict[int, ArtifactRow]) -> dict[str, Any]:
    values: dict[str, Any] = dict(data.get("parameters", {}))
    for name, ids in (data.get("artifacts") or {}).items():
        items = [to_dsl_artifact(artifacts[i]) for i in ids if i in artifacts]
        values[name] = items[0] if len(items) == 1 else items
    return values


def _artifact_ids(*groups: dict[str, Any]) -> list[int]:
    return [i for g in groups for ids in (g.get("artifacts") or {}).values() for i in ids]


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


def run_from_rows(row: RunRow, tasks: list[TaskRow], store: Store) -> Run:
    """A run row and its task rows as a :class:`Run`."""
    ids = _artifact_ids(row.outputs or {})
    for task in tasks:
        ids += _artifact_ids(task.inputs or {}, task.outputs or {})
    artifacts = store.get_artifacts(sorted(set(ids)))
    return Run(
        id=row.id,
        name=row.name,
        pipeline_name=row.pipeline_name,
        state=row.state,
        error=row.error,
        arguments=dict(row.arguments or {}),
        outputs=_values(row.outputs or {}, artifacts),
        tasks=[task_from_row(t, artifacts) for t in tasks],
        pipeline_root=row.pipeline_root,
        created_at=as_utc(row.created_at),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at),
    )
