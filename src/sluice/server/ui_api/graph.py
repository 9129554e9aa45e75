"""A run's graph for the web UI: the pipeline's DAGs, level by level, with the run's tasks.

The UI does not parse IR. Each level (the root DAG, a sub-DAG, a loop iteration's body) is
read from the spec, so tasks that have not started yet are drawn too; a task that has a row
in the store carries its state. A loop's iterations exist only at run time: each one that
has started is a box holding the loop body's tasks, under its path (``for-loop-2[1]``).
Edges join tasks of one level only (the IR has no other), so the UI can lay out each level
on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.server.serialize import precise_ts
from sluice.server.ui_api.graph_artifacts import level_artifacts
from sluice.server.ui_api.shapes import (
    AttemptSpan,
    GraphArtifact,
    GraphEdge,
    GraphNode,
    NodeKind,
    PipelineGraph,
    RunGraph,
)
from sluice.spec.graph import dependencies
from sluice.spec.loader import LoadedPipeline
from sluice.store.models import ArtifactRow, ExecutionRow, RunRow, TaskRow

_KINDS: frozenset[str] = frozenset(
    {"container", "importer", "dag", "loop", "iteration", "condition", "exit_handler"}
)


def _static_kind(
    name: str, task: pipeline_spec_pb2.PipelineTaskSpec, loaded: LoadedPipeline
) -> NodeKind:
    """The kind of a task that has no row yet, from the IR (as the engine decides it)."""
    if task.WhichOneof("iterator"):
        return "loop"
    component = loaded.spec.components[task.component_ref.name]
    if component.WhichOneof("implementation") == "dag":
        return "condition" if name.startswith("condition-") else "dag"
    executor = loaded.deployment.executors.get(component.executor_label)
    if executor is not None and executor.WhichOneof("spec") == "importer":
        return "importer"
    return "container"


def node_kind(name: str, row: TaskRow | None, static: NodeKind) -> NodeKind:
    """How the UI draws a task: its row's kind (``static`` without a row), an exit
    handler's sub-DAG as ``exit_handler``."""
    kind: str = row.kind if row is not None and row.kind in _KINDS else static
    # The engine runs an exit handler's body as a plain sub-DAG; the UI draws it as one.
    if kind == "dag" and name.startswith("exit-handler-"):
        return "exit_handler"
    return kind  # type: ignore[return-value]


def _fed_inputs(task: pipeline_spec_pb2.PipelineTaskSpec, producer: str) -> list[str]:
    """The inputs of ``task`` that read an output of its sibling ``producer``."""
    names = [
        name
        for name, param in task.inputs.parameters.items()
        if (
            param.WhichOneof("kind") == "task_output_parameter"
            and param.task_output_parameter.producer_task == producer
        )
        or (
            param.WhichOneof("kind") == "task_final_status"
            and param.task_final_status.producer_task == producer
        )
    ]
    names += [
        name
        for name, artifact in task.inputs.artifacts.items()
        if artifact.WhichOneof("kind") == "task_output_artifact"
        and artifact.task_output_artifact.producer_task == producer
    ]
    return sorted(names)


def iteration_total(task: pipeline_spec_pb2.PipelineTaskSpec, row: TaskRow | None) -> int | None:
    """How many items a loop iterates over: its raw list's length, else the length of the
    items input its row recorded when it started; None while that is not known."""
    items = task.parameter_iterator.items
    source: Any
    if items.WhichOneof("kind") == "raw":
        source = items.raw
    elif row is not None and items.input_parameter:
        source = ((row.inputs or {}).get("parameters") or {}).get(items.input_parameter)
    else:
        return None
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError:
            return None
    return len(source) if isinstance(source, list) else None


class _Builder:
    def __init__(
        self,
        loaded: LoadedPipeline,
        tasks: list[TaskRow],
        executions: Mapping[str, Sequence[ExecutionRow]] | None = None,
        artifacts: Mapping[int, ArtifactRow] | None = None,
    ) -> None:
        self.loaded = loaded
        self.executions = executions or {}
        # None: the caller did not ask for artifact nodes (they are off by default).
        self.stored_artifacts = artifacts
        self.by_path = {task.path: task for task in tasks}
        self.iterations: dict[str, list[TaskRow]] = {}
        for task in tasks:
            if task.kind == "iteration" and task.parent_id is not None:
                self.iterations.setdefault(task.parent_id, []).append(task)
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        self.artifacts: list[GraphArtifact] = []

    def node(
        self,
        path: str,
        name: str,
        kind: NodeKind,
        parent: str | None,
        row: TaskRow | None,
        component: str,
        iterations: int | None = None,
        total: int | None = None,
    ) -> None:
        attempts = self.executions.get(row.id, ()) if row is not None else ()
        self.nodes.append(
            GraphNode(
                id=path,
                task_id=row.id if row else None,
                name=name,
                display_name=row.display_name if row else name,
                kind=kind,
                parent=parent,
                iteration_index=row.iteration_index if row else None,
                state=row.state if row else None,
                attempts=row.attempts if row else 0,
                cached_from_task_id=row.cached_from_task_id if row else None,
                component=component,
                started_at=precise_ts(row.started_at) if row else None,
                finished_at=precise_ts(row.finished_at) if row else None,
                error=row.error if row else None,
                iterations=iterations,
                iteration_total=total,
                created_at=precise_ts(row.created_at) if row else None,
                attempt_spans=[
                    AttemptSpan(
                        attempt=execution.attempt,
                        state=execution.state,
                        started_at=precise_ts(execution.started_at),
                        finished_at=precise_ts(execution.finished_at),
                        exit_code=execution.exit_code,
                    )
                    for execution in attempts
                ],
            )
        )

    def level(self, dag: pipeline_spec_pb2.DagSpec, prefix: str, parent: str | None) -> None:
        """Add the tasks of ``dag`` (under ``prefix``), their sub-DAGs and their edges."""
        for name in sorted(dag.tasks):
            task = dag.tasks[name]
            path = f"{prefix}/{name}" if prefix else name
            row = self.by_path.get(path)
            component_name = task.component_ref.name
            component = self.loaded.spec.components[component_name]
            kind = node_kind(name, row, _static_kind(name, task, self.loaded))
            if kind == "loop":
                started = sorted(
                    self.iterations.get(row.id, []) if row else [],
                    key=lambda it: it.iteration_index or 0,
                )
                total = iteration_total(task, row)
                self.node(path, name, kind, parent, row, component_name, len(started), total)
                for iteration in started:
                    self.node(iteration.path, name, "iteration", path, iteration, component_name)
                    self.level(component.dag, iteration.path, iteration.path)
            else:
                self.node(path, name, kind, parent, row, component_name)
                if component.WhichOneof("implementation") == "dag":
                    self.level(component.dag, path, path)
        if self.stored_artifacts is not None:
            self.artifacts += level_artifacts(
                self.loaded, dag, prefix, parent, self.by_path, self.stored_artifacts
            )
        for target, sources in sorted(dependencies(dag).items()):
            for source in sorted(sources):
                fed = _fed_inputs(dag.tasks[target], source)
                self.edges.append(
                    GraphEdge(
                        source=f"{prefix}/{source}" if prefix else source,
                        target=f"{prefix}/{target}" if prefix else target,
                        kind="data" if fed else "control",
                        names=fed,
                    )
                )


def run_graph(
    run: RunRow,
    tasks: list[TaskRow],
    event_id: int,
    executions: Mapping[str, Sequence[ExecutionRow]] | None = None,
    artifacts: Mapping[int, ArtifactRow] | None = None,
) -> RunGraph:
    """The graph of ``run`` with the state of each of its ``tasks`` and their attempts
    (``executions`` by task id); ``event_id`` is the last event read before them. With
    ``artifacts`` (the stored artifacts the tasks' outputs name, by id) it also lists each
    task's output artifacts."""
    builder = _Builder(LoadedPipeline.from_dict(run.pipeline_spec), tasks, executions, artifacts)
    builder.level(builder.loaded.spec.root.dag, "", None)
    return RunGraph(
        run_id=run.id,
        state=run.state,
        nodes=builder.nodes,
        edges=builder.edges,
        event_id=event_id,
        artifacts=builder.artifacts,
    )


def pipeline_graph(
    loaded: LoadedPipeline, pipeline_id: str, version_id: str, *, artifacts: bool = False
) -> PipelineGraph:
    """The static graph of a pipeline version: the nodes a run of it would draw, under the
    same ids, with no state (a loop has no iterations until it runs); with ``artifacts``,
    each task's output artifacts by name and type."""
    builder = _Builder(loaded, [], artifacts={} if artifacts else None)
    builder.level(loaded.spec.root.dag, "", None)
    return PipelineGraph(
        pipeline_id=pipeline_id,
        version_id=version_id,
        nodes=builder.nodes,
        edges=builder.edges,
        artifacts=builder.artifacts,
    )
