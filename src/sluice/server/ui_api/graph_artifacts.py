"""The run graph's artifact nodes: each task's output artifacts, at the level of the task.

The IR names a task's outputs in its component's ``outputDefinitions`` and its readers in
their sibling tasks' ``inputs.artifacts`` (``taskOutputArtifact``), so every artifact a
level passes along can be drawn between its producer and its consumers without crossing a
box. The stored artifacts (name, URI, id) come from the producer's row once it has written
them: one, or every item of a list output (a ``dsl.Collected`` fan-in); before that, and
always in a version's static graph, the node is a placeholder with the name of its output
and its type.
"""

from __future__ import annotations

from collections.abc import Mapping

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.server.ui_api.shapes import ArtifactUse, GraphArtifact, GraphArtifactItem
from sluice.service.run_views import ids_in
from sluice.spec.loader import LoadedPipeline
from sluice.store.models import ArtifactRow, TaskRow


def _readers(
    dag: pipeline_spec_pb2.DagSpec, prefix: str
) -> dict[tuple[str, str], list[ArtifactUse]]:
    """The tasks of ``dag`` that read each ``(producer, output key)`` of a sibling, in one
    pass over the level (a search per output was quadratic: 7 s for an 800-task chain)."""
    readers: dict[tuple[str, str], list[ArtifactUse]] = {}
    for name in sorted(dag.tasks):
        for input_name, spec in sorted(dag.tasks[name].inputs.artifacts.items()):
            if spec.WhichOneof("kind") != "task_output_artifact":
                continue
            source = spec.task_output_artifact
            readers.setdefault((source.producer_task, source.output_artifact_key), []).append(
                ArtifactUse(task=f"{prefix}/{name}" if prefix else name, input=input_name)
            )
    return readers


def output_ids(row: TaskRow | None, key: str) -> list[int]:
    """The ids of the artifacts a task's row recorded for output ``key``, in order: one,
    or each item of a list."""
    if row is None:
        return []
    return ids_in(((row.outputs or {}).get("artifacts") or {}).get(key))


def level_artifacts(
    loaded: LoadedPipeline,
    dag: pipeline_spec_pb2.DagSpec,
    prefix: str,
    parent: str | None,
    rows: Mapping[str, TaskRow],
    stored: Mapping[int, ArtifactRow],
) -> list[GraphArtifact]:
    """The output artifacts of the tasks of ``dag`` (under ``prefix``, in box ``parent``),
    with the stored artifact of each that ``rows`` (tasks by path) say was written."""
    out: list[GraphArtifact] = []
    readers = _readers(dag, prefix)
    for name in sorted(dag.tasks):
        task = dag.tasks[name]
        component = loaded.spec.components[task.component_ref.name]
        path = f"{prefix}/{name}" if prefix else name
        for key, definition in sorted(component.output_definitions.artifacts.items()):
            held = [stored[i] for i in output_ids(rows.get(path), key) if i in stored]
            artifact = held[0] if held else None
            out.append(
                GraphArtifact(
                    id=f"{path}.{key}",
                    producer=path,
                    output_key=key,
                    parent=parent,
                    schema_title=(
                        artifact.schema_title if artifact else definition.artifact_type.schema_title
                    ),
                    is_list=definition.is_artifact_list,
                    artifact_id=artifact.id if artifact else None,
                    name=artifact.name if artifact else None,
                    uri=artifact.uri if artifact else None,
                    items=[
                        GraphArtifactItem(artifact_id=item.id, name=item.name, uri=item.uri)
                        for item in held
                    ],
                    consumers=readers.get((name, key), []),
                )
            )
    return out
