"""Running one task of a DAG, whatever its kind: container, importer, loop or sub-DAG."""

from __future__ import annotations

import asyncio
import logging

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.container import run_container_task
from sluice.engine.context import RunContext, json_ready
from sluice.engine.importer import run_importer
from sluice.engine.inputs import ResolvedInputs, bind_component_inputs, resolve_task_inputs
from sluice.engine.loops import run_loop
from sluice.engine.model import Scope, TaskResult, artifact_ids
from sluice.engine.outputs import dag_outputs
from sluice.engine.states import TaskState
from sluice.errors import SluiceError
from sluice.spec.cel import evaluate_condition
from sluice.store.models import TaskRow

logger = logging.getLogger(__name__)


def task_kind(ctx: RunContext, task: pipeline_spec_pb2.PipelineTaskSpec) -> str:
    """``container``, ``importer``, ``loop``, ``condition`` or ``dag``."""
    component = ctx.spec.components[task.component_ref.name]
    if component.WhichOneof("implementation") == "dag":
        if task.HasField("parameter_iterator") or task.HasField("artifact_iterator"):
            return "loop"
        if task.trigger_policy.condition or task.component_ref.name.startswith("comp-condition-"):
            return "condition"
        return "dag"
    executor = ctx.deployment.executors.get(component.executor_label)
    if executor is not None and executor.WhichOneof("spec") == "importer":
        return "importer"
    return "container"


def _display_name(name: str, task: pipeline_spec_pb2.PipelineTaskSpec) -> str:
    return task.task_info.name or name


def get_or_create_record(
    ctx: RunContext,
    name: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    scope: Scope,
    *,
    state: TaskState = TaskState.PENDING,
    error: str | None = None,
    path: str | None = None,
    kind: str | None = None,
    iteration_index: int | None = None,
) -> TaskRow:
    """The task's row: the stored one when resuming, otherwise a new one."""
    path = path or scope.child_path(name)
    existing = ctx.existing.get(path)
    if existing is not None:
        if existing.state != state.value:
            ctx.store.transition_task(
                existing.id, state, error=error, message=error, finished=state.is_final
            )
            existing.state = state.value
        return existing
    image, resources = _image_and_resources(ctx, task)
    row = ctx.store.create_task(
        run_id=ctx.run_id,
        parent_id=scope.parent_task_id,
        name=name,
        path=path,
        display_name=_display_name(name, task),
        kind=kind or task_kind(ctx, task),
        component_name=task.component_ref.name,
        state=state,
        error=error,
        iteration_index=iteration_index,
        resources=resources,
        image=image,
        finished=state.is_final,
    )
    ctx.existing[path] = row
    return row


def _image_and_resources(
    ctx: RunContext, task: pipeline_spec_pb2.PipelineTaskSpec
) -> tuple[str | None, dict[str, object]]:
    """The container image and resource requests recorded on a container task."""
    component = ctx.spec.components[task.component_ref.name]
    executor = ctx.deployment.executors.get(component.executor_label)
    if executor is None or executor.WhichOneof("spec") != "container":
        return None, {}
    container = executor.container
    resources: dict[str, object] = json_format.MessageToDict(container.resources)
    return container.image or None, resources


def skip_task(
    ctx: RunContext, name: str, task: pipeline_spec_pb2.PipelineTaskSpec, scope: Scope, reason: str
) -> TaskResult:
    """Record a task, and every task inside it, as SKIPPED.

    A task that finished in an earlier execution of the run (a resumed or retried run)
    keeps its outputs: a finished task is never undone (the state table forbids it).
    """
    existing = ctx.existing.get(scope.child_path(name))
    if existing is not None and TaskState(existing.state).is_success:
        return ctx.stored_result(existing)
    row = get_or_create_record(ctx, name, task, scope, state=TaskState.SKIPPED, error=reason)
    component = ctx.spec.components[task.component_ref.name]
    if component.WhichOneof("implementation") == "dag" and row.kind != "loop":
        inner = Scope(parameters={}, artifacts={}, path=row.path, parent_task_id=row.id)
        for child_name, child in component.dag.tasks.items():
            skip_task(ctx, child_name, child, inner, reason)
    return TaskResult(state=TaskState.SKIPPED, task_id=row.id, error=reason)


async def run_task(
    ctx: RunContext, name: str, task: pipeline_spec_pb2.PipelineTaskSpec, scope: Scope
) -> TaskResult:
    """Run one task of a DAG to its end and return its result."""
    path = scope.child_path(name)
    existing = ctx.existing.get(path)
    if existing is not None and TaskState(existing.state).is_success:
        # A resumed or retried run: this task finished before; never run it twice.
        return ctx.stored_result(existing)
    row = get_or_create_record(ctx, name, task, scope)
    try:
        resolved = resolve_task_inputs(ctx, task, scope, task_name=name, task_id=row.id)
        if task.trigger_policy.condition and not evaluate_condition(
            task.trigger_policy.condition, resolved.parameters
        ):
            return skip_task(ctx, name, task, scope, "condition was false")
        return await _dispatch(ctx, name, task, scope, row, resolved)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if isinstance(exc, SluiceError):
            error = str(exc)
        else:
            logger.exception("internal error in task %s", row.path)
            error = f"sluice internal error: {exc.__class__.__name__}: {exc}"
        ctx.store.transition_task(
            row.id, TaskState.FAILED, error=error, message=error, finished=True
        )
        return TaskResult(state=TaskState.FAILED, task_id=row.id, error=error, failed_task=row.path)


async def _dispatch(
    ctx: RunContext,
    name: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    scope: Scope,
    row: TaskRow,
    resolved: ResolvedInputs,
) -> TaskResult:
    component = ctx.spec.components[task.component_ref.name]
    kind = row.kind
    if kind == "loop":
        return await run_loop(
            ctx, task=task, component=component, record=row, inputs=resolved, run_dag=_run_child_dag
        )
    bound = bind_component_inputs(component, resolved, task_path=row.path)
    if kind == "importer":
        return await run_importer(ctx, task=task, component=component, record=row, inputs=bound)
    if kind == "container":
        container = ctx.deployment.executors[component.executor_label].container
        return await run_container_task(
            ctx, task=task, component=component, container=container, record=row, inputs=bound
        )
    return await _run_child_dag(ctx, component, row, bound)


async def _run_child_dag(
    ctx: RunContext,
    component: pipeline_spec_pb2.ComponentSpec,
    row: TaskRow,
    inputs: ResolvedInputs,
    *,
    recorded: ResolvedInputs | None = None,
) -> TaskResult:
    """Run a sub-DAG (nested pipeline, condition, exit handler, loop iteration).

    ``recorded`` is what the task row keeps as its inputs when it differs from the scope
    (a loop iteration does not store its loop's whole list again).
    """
    from sluice.engine.dag import run_dag  # dag.py imports this module

    shown = inputs if recorded is None else recorded
    ctx.store.transition_task(
        row.id,
        TaskState.RUNNING,
        started=True,
        inputs={
            "parameters": json_ready(shown.parameters),
            "artifacts": artifact_ids(shown.artifacts),
        },
    )
    scope = Scope(
        parameters=inputs.parameters,
        artifacts=inputs.artifacts,
        path=row.path,
        parent_task_id=row.id,
    )
    result = await run_dag(ctx, component, scope)
    if result.state == TaskState.SUCCEEDED:
        parameters, artifacts = dag_outputs(component, scope.results)
        result.parameters, result.artifacts = parameters, artifacts
        ctx.store.transition_task(
            row.id,
            TaskState.SUCCEEDED,
            finished=True,
            outputs={"parameters": json_ready(parameters), "artifacts": artifact_ids(artifacts)},
        )
    else:
        ctx.store.transition_task(
            row.id,
            result.state,
            finished=True,
            error=result.error,
            message=result.error,
        )
    result.task_id = row.id
    return result
