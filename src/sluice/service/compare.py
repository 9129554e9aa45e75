"""Runs side by side: what ``sluice compare`` prints and the web UI's Compare page shows.

Parameters, scalar metrics and outputs, each value per run with a ``differs`` flag, and the
runs' visual artifacts (classification metrics, HTML, Markdown, metrics) for the viewers.
The CLI feeds it :class:`sluice.client.models.Run` views (local or from a server), the
server feeds it store records; both go through :class:`ComparedRun`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sluice.service.local_runs import RunRecord
from sluice.store.models import ArtifactRow

# The sections of a comparison, in the order they are shown.
SECTIONS = ("parameters", "metrics", "outputs")
METRICS = "system.Metrics"
CLASSIFICATION = "system.ClassificationMetrics"
# Vertex's evaluation artifacts (Google Cloud Pipeline Components): the same confusion
# matrix and ``confidenceMetrics`` list, with precision too (so a PR curve as well as ROC).
VERTEX_CLASSIFICATION = "google.ClassificationMetrics"
CLASSIFICATIONS = (CLASSIFICATION, VERTEX_CLASSIFICATION)
# Artifacts the Compare page shows side by side.
VISUAL = (METRICS, *CLASSIFICATIONS, "system.HTML", "system.Markdown")
# Far more than KFP's 10; the page stays usable and the query bounded.
MAX_RUNS = 50


@dataclass(frozen=True)
class ComparedArtifact:
    """An artifact as compared: by uri (``id`` is None when the caller has no store ids)."""

    uri: str
    schema_title: str
    metadata: dict[str, Any]
    name: str = ""
    id: int | None = None


@dataclass(frozen=True)
class ComparedTask:
    """A task's path and its outputs (parameter values, or lists of artifacts)."""

    path: str
    outputs: dict[str, Any]


@dataclass(frozen=True)
class ComparedRun:
    """What a comparison needs of one run."""

    id: str
    name: str
    pipeline_name: str
    state: str
    arguments: dict[str, Any]
    outputs: dict[str, Any]
    tasks: list[ComparedTask] = field(default_factory=list)


@dataclass(frozen=True)
class VisualArtifact:
    """An artifact of a run that a viewer shows (``key`` is ``<task path>.<output>``)."""

    run_id: str
    task_path: str
    output: str
    artifact: ComparedArtifact

    @property
    def key(self) -> str:
        """Where in the runs the artifact is: the same key across runs lines them up."""
        return f"{self.task_path}.{self.output}"


def artifacts_in(value: Any) -> list[ComparedArtifact]:
    """The artifacts a value holds: one, a list of them (a Collected output), or none."""
    if isinstance(value, ComparedArtifact):
        return [value]
    if isinstance(value, list | tuple):
        return [item for each in value for item in artifacts_in(each)]
    return []


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def run_metrics(run: ComparedRun) -> dict[str, Any]:
    """Every metric the run's tasks logged, keyed ``<task path>.<metric>``.

    The metadata values of ``system.Metrics`` artifacts, and the scalar values of
    ``system.ClassificationMetrics`` and ``google.ClassificationMetrics`` ones (``auRoc``,
    ``logLoss``...; their matrices and curves are not compared, the viewers draw them).
    A task with several metrics outputs keys them ``<task path>.<output>.<metric>``.
    """
    metrics: dict[str, Any] = {}
    for task in run.tasks:
        found = [
            (output, artifact)
            for output, value in sorted(task.outputs.items())
            for artifact in artifacts_in(value)
            if artifact.schema_title in (METRICS, *CLASSIFICATIONS)
        ]
        outputs = {output for output, _ in found}
        for output, artifact in found:
            prefix = task.path if len(outputs) == 1 else f"{task.path}.{output}"
            for name, value in (artifact.metadata or {}).items():
                if artifact.schema_title in CLASSIFICATIONS and not _scalar(value):
                    continue
                metrics[f"{prefix}.{name}"] = value
    return metrics


def visual_artifacts(run: ComparedRun) -> list[VisualArtifact]:
    """The run's artifacts that viewers show, in task path and output order."""
    return [
        VisualArtifact(run.id, task.path, output, artifact)
        for task in sorted(run.tasks, key=lambda t: t.path)
        for output, value in sorted(task.outputs.items())
        for artifact in artifacts_in(value)
        if artifact.schema_title in VISUAL
    ]


def value_json(value: Any) -> Any:
    """A value ready for ``json.dumps``: artifacts become ``{uri, schema_title, metadata}``."""
    if isinstance(value, ComparedArtifact):
        return {
            "uri": value.uri,
            "schema_title": value.schema_title,
            "metadata": dict(value.metadata),
        }
    if isinstance(value, list | tuple):
        return [value_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): value_json(v) for k, v in value.items()}
    return value


def value_text(value: Any) -> str:
    """A value as people read it: artifacts as their uri, parameters as JSON."""
    if isinstance(value, ComparedArtifact):
        return value.uri
    if (
        isinstance(value, list | tuple)
        and value
        and all(isinstance(v, ComparedArtifact) for v in value)
    ):
        return ", ".join(v.uri for v in value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def section_values(run: ComparedRun, section: str) -> dict[str, Any]:
    """One section's values of a run, by name."""
    if section == "parameters":
        return dict(run.arguments)
    if section == "metrics":
        return run_metrics(run)
    return dict(run.outputs)


def compare_runs(runs: list[ComparedRun]) -> dict[str, Any]:
    """The comparison as JSON-ready data.

    ``{"runs": [{id, name, pipeline_name, state}], "<section>": {name: {"values": [...],
    "differs": bool}}}`` for each of ``parameters``, ``metrics`` and ``outputs``; a value a
    run does not have is ``null``, and counts as a difference. Artifacts are compared by uri.
    """
    data: dict[str, Any] = {
        "runs": [
            {"id": r.id, "name": r.name, "pipeline_name": r.pipeline_name, "state": r.state}
            for r in runs
        ]
    }
    for section in SECTIONS:
        per_run = [section_values(run, section) for run in runs]
        names = sorted({name for values in per_run for name in values})
        rows: dict[str, Any] = {}
        for name in names:
            present = [name in values for values in per_run]
            # Two runs agree on a value when they print the same.
            texts = {value_text(values[name]) for values in per_run if name in values}
            rows[name] = {
                "values": [value_json(values.get(name)) for values in per_run],
                "differs": not all(present) or len(texts) > 1,
            }
        data[section] = rows
    return data


# -- from the store ---------------------------------------------------------------------------


def _artifact(row: ArtifactRow) -> ComparedArtifact:
    return ComparedArtifact(
        uri=row.uri,
        schema_title=row.schema_title,
        metadata=dict(row.metadata_ or {}),
        name=row.name,
        id=row.id,
    )


def _values(section: dict[str, Any] | None, artifacts: dict[int, ArtifactRow]) -> dict[str, Any]:
    values: dict[str, Any] = dict((section or {}).get("parameters") or {})
    for name, ids in ((section or {}).get("artifacts") or {}).items():
        listed = ids if isinstance(ids, list) else [ids]
        items = [_artifact(artifacts[int(i)]) for i in listed if int(i) in artifacts]
        values[name] = items[0] if len(items) == 1 else items
    return values


def compared_run(record: RunRecord) -> ComparedRun:
    """A stored run (with its tasks and artifacts) as a comparison needs it."""
    row = record.run
    return ComparedRun(
        id=row.id,
        name=row.display_name or row.name,
        pipeline_name=row.pipeline_name,
        state=row.state,
        arguments=dict(row.arguments or {}),
        outputs=_values(row.outputs, record.artifacts),
        tasks=[
            ComparedTask(task.path, _values(task.outputs, record.artifacts))
            for task in record.tasks
        ],
    )


def unique_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` stripped, without blanks and repeats, in their first order."""
    seen: dict[str, None] = {}
    for item in ids:
        if item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)
