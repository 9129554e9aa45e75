"""Tasks that are DAGs of their own: nested pipelines, conditions, exit handlers, iterations."""

from __future__ import annotations

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext, json_ready
from sluice.engine.dag import run_dag
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.kinds import Handlers, TaskCall, TaskKind
from sluice.engine.model import Scope, TaskResult, artifact_ids
from sluice.engine.outputs import dag_outputs
from sluice.engine.states import TaskState
from sluice.store.models import TaskRow


async def run_sub_dag_task(call: TaskCall) -> TaskResult:
    """The handler of ``dag`` and ``condition`` tasks: run the component's DAG."""
    return await run_child_dag(
        call.ctx, call.component, call.record, call.bound_inputs(), handlers=call.handlers
    )


async def run_child_dag(
    ctx: RunContext,
    component: pipeline_spec_pb2.ComponentSpec,
    row: TaskRow,
    inputs: ResolvedInputs,
    *,
    handlers: Handlers,
    recorded: ResolvedInputs | None = None,
) -> TaskResult:
    """Run a sub-DAG (nested pipeline, condition, exit handler, loop iteration).

    ``recorded`` is what the task row keeps as its inputs when it differs from the scope
    (a loop iteration does not store its loop's whole list again).
    """
    shown = inputs if recorded is None else recorded
    # A held-back row (a loop iteration's) moves with its first task's first write: it
    # shows RUNNING once a task in it has started (or been cached, skipped, failed).
    ctx.store.defer_transition_task(
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
    result = await run_dag(ctx, component, scope, handlers=handlers)
    if result.state == TaskState.SUCCEEDED:
        parameters, artifacts = dag_outputs(component, scope.results)
        result.parameters, result.artifacts = parameters, artifacts
        outputs = {"parameters": json_ready(parameters), "artifacts": artifact_ids(artifacts)}
        if row.kind == TaskKind.ITERATION.value:
            # Only its loop's end acts on it, in a later transaction: it is written with
            # the next write (another iteration's start), or soon (RunContext.flush_soon).
            ctx.store.hold_transition_task(
                row.id, TaskState.SUCCEEDED, finished=True, outputs=outputs
            )
            ctx.flush_soon()
        else:
            ctx.store.transition_task(row.id, TaskState.SUCCEEDED, finished=True, outputs=outputs)
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
