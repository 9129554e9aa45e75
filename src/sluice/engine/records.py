"""A task's row in the store: found again on resume, else created; and skipping tasks."""

from __future__ import annotations

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext
from sluice.engine.kinds import TaskKind, task_kind
from sluice.engine.model import Scope, TaskResult
from sluice.engine.states import TaskState
from sluice.store.models import TaskRow

# Kinds whose new rows wait for their first state change (see get_or_create_record).
_DEFERRED_KINDS = frozenset({TaskKind.CONTAINER, TaskKind.ITERATION})


def get_or_create_record(
    ctx: RunContext,
    name: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    scope: Scope,
    *,
    state: TaskState = TaskState.PENDING,
    error: str | None = None,
    path: str | None = None,
    kind: TaskKind | None = None,
    iteration_index: int | None = None,
) -> TaskRow:
    """The task's row: the stored one when resuming, otherwise a new one.

    The task's kind is decided here, once, from the IR (unless ``kind`` is given); a
    resumed run reads it back from the row. A new PENDING container task's or loop
    iteration's row is created deferred: the store writes it with the task's first state
    change (a cache hit, an attempt's start, an iteration's move to RUNNING, a skip or a
    failure), in that change's transaction, so creating a task costs no commit of its
    own. Nothing acts on a task before that change: resolving its inputs and looking it up
    in the cache only read, and an iteration moves to RUNNING at once.
    """
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
    kind = kind or task_kind(ctx.spec, ctx.deployment, task)
    row = ctx.store.create_task(
        run_id=ctx.run_id,
        parent_id=scope.parent_task_id,
        name=name,
        path=path,
        display_name=task.task_info.name or name,
        kind=kind.value,
        component_name=task.component_ref.name,
        state=state,
        error=error,
        iteration_index=iteration_index,
        resources=resources,
        image=image,
        finished=state.is_final,
        deferred=kind in _DEFERRED_KINDS and state is TaskState.PENDING,
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
    # A loop's iterations do not exist until it runs: a skipped loop has no rows inside.
    if component.WhichOneof("implementation") == "dag" and row.kind != TaskKind.LOOP.value:
        inner = Scope(parameters={}, artifacts={}, path=row.path, parent_task_id=row.id)
        for child_name, child in component.dag.tasks.items():
            skip_task(ctx, child_name, child, inner, reason)
    return TaskResult(state=TaskState.SKIPPED, task_id=row.id, error=reason)
