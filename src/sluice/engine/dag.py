"""Scheduling a DAG: start each task when its upstream tasks have ended.

Semantics follow the KFP Go backend (Argo DAGs with ``failFast``):

- a task starts when every upstream task (``dependentTasks`` plus every producer it
  reads from) has ended; independent tasks run concurrently;
- when an upstream task did not succeed, the task is SKIPPED, unless its trigger
  strategy is ``ALL_UPSTREAM_TASKS_COMPLETED`` (exit handlers,
  ``ignore_upstream_failure``): then it runs anyway;
- once a task has failed, no new task starts in that DAG (running ones finish),
  except those ``ALL_UPSTREAM_TASKS_COMPLETED`` tasks; the DAG fails. That is the run's
  fail-fast policy (the default, and KFP's only one); under Vertex's fail-slow policy
  (``RunContext.fail_fast`` False) every task whose upstream tasks succeeded still starts
  and runs to its end, and the DAG fails once they have all ended;
- a task whose ``triggerPolicy.condition`` is false is SKIPPED with everything inside it.

Each task is handed to the handler that ``handlers`` gives for its kind
(:mod:`sluice.engine.kinds`); this module knows no kind of task.
"""

from __future__ import annotations

import asyncio
import logging

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext
from sluice.engine.inputs import resolve_task_inputs
from sluice.engine.kinds import Handlers, TaskCall, TaskKind
from sluice.engine.model import Scope, TaskResult
from sluice.engine.records import get_or_create_record, skip_task
from sluice.engine.states import TaskState
from sluice.errors import SluiceError
from sluice.spec.cel import evaluate_condition
from sluice.spec.graph import dependencies

logger = logging.getLogger(__name__)

_ALL_COMPLETED = pipeline_spec_pb2.PipelineTaskSpec.TriggerPolicy.TriggerStrategy.Value(
    "ALL_UPSTREAM_TASKS_COMPLETED"
)


async def run_dag(
    ctx: RunContext,
    component: pipeline_spec_pb2.ComponentSpec,
    scope: Scope,
    *,
    handlers: Handlers,
) -> TaskResult:
    """Run every task of a DAG component; results land in ``scope.results``.

    Returns the DAG's own result (its outputs are resolved by the caller).
    """
    tasks = component.dag.tasks
    deps = dependencies(component.dag)
    waiting = set(tasks)
    running: dict[asyncio.Task[TaskResult], str] = {}
    first_failure: TaskResult | None = None

    try:
        while waiting or running:
            for name in sorted(waiting):
                upstream = deps.get(name, set())
                if not all(u in scope.results for u in upstream):
                    continue
                spec = tasks[name]
                runs_anyway = spec.trigger_policy.strategy == _ALL_COMPLETED
                not_ok = [u for u in sorted(upstream) if not scope.results[u].ok]
                reason = None
                if not_ok and not runs_anyway:
                    reason = f"upstream task '{not_ok[0]}' did not succeed"
                elif first_failure is not None and ctx.fail_fast and not runs_anyway:
                    reason = f"not started: task '{first_failure.failed_task}' failed"
                waiting.discard(name)
                if reason is not None:
                    scope.results[name] = skip_task(ctx, name, spec, scope, reason)
                    continue
                job = asyncio.ensure_future(run_task(ctx, name, spec, scope, handlers=handlers))
                running[job] = name
            if not running:
                if waiting:  # only unreachable tasks remain (cannot happen in a valid DAG)
                    for name in sorted(waiting):
                        scope.results[name] = skip_task(
                            ctx, name, tasks[name], scope, "unreachable"
                        )
                    waiting.clear()
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for job in done:
                name = running.pop(job)
                result = job.result()
                scope.results[name] = result
                if result.state in (TaskState.FAILED, TaskState.CANCELED) and (
                    first_failure is None
                ):
                    first_failure = result
    except asyncio.CancelledError:
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise

    if first_failure is not None:
        return TaskResult(
            state=TaskState.FAILED, error=first_failure.error, failed_task=first_failure.failed_task
        )
    return TaskResult(state=TaskState.SUCCEEDED)


async def run_task(
    ctx: RunContext,
    name: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    scope: Scope,
    *,
    handlers: Handlers,
) -> TaskResult:
    """Run one task of a DAG to its end, by its kind's handler, and return its result."""
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
        handler = handlers[TaskKind(row.kind)]
        call = TaskCall(
            ctx=ctx,
            task=task,
            component=ctx.spec.components[task.component_ref.name],
            record=row,
            inputs=resolved,
            handlers=handlers,
        )
        return await handler(call)
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
