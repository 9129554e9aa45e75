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
import heapq
import logging
from dataclasses import dataclass

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


@dataclass(frozen=True)
class DagPlan:
    """The graph of one DAG component, worked out once per run (every iteration of a loop
    runs the same DAG): what each task waits for, and who waits for each task."""

    # Task names in the order ready tasks are started (by name, as before).
    names: tuple[str, ...]
    upstream: dict[str, frozenset[str]]
    downstream: dict[str, tuple[str, ...]]


def dag_plan(ctx: RunContext, dag: pipeline_spec_pb2.DagSpec) -> DagPlan:
    """The plan of ``dag``, cached in ``ctx`` (the spec's messages live as long as the run)."""
    key = id(dag)
    cached = ctx.dag_plans.get(key)
    if cached is not None and cached[0] is dag:
        found: DagPlan = cached[1]
        return found
    deps = dependencies(dag)
    downstream: dict[str, list[str]] = {name: [] for name in deps}
    for name in sorted(deps):
        for producer in deps[name]:
            downstream[producer].append(name)
    plan = DagPlan(
        names=tuple(sorted(deps)),
        upstream={name: frozenset(wants) for name, wants in deps.items()},
        downstream={name: tuple(users) for name, users in downstream.items()},
    )
    ctx.dag_plans[key] = (dag, plan)  # the DAG is kept: its id stays its own
    return plan


async def run_dag(
    ctx: RunContext,
    component: pipeline_spec_pb2.ComponentSpec,
    scope: Scope,
    *,
    handlers: Handlers,
) -> TaskResult:
    """Run every task of a DAG component; results land in ``scope.results``.

    Returns the DAG's own result (its outputs are resolved by the caller).

    Readiness is counted, not rescanned: each task keeps how many of its upstream tasks
    have not ended, and a task's end visits only the tasks waiting for it, so a DAG of
    N tasks costs O(N + edges) to schedule rather than O(N) per task that ends.
    """
    tasks = component.dag.tasks
    plan = dag_plan(ctx, component.dag)
    unmet = {name: len(plan.upstream[name]) for name in plan.names}
    ready = [name for name in plan.names if unmet[name] == 0]
    heapq.heapify(ready)
    running: dict[asyncio.Future[TaskResult], str] = {}
    ended: list[asyncio.Future[TaskResult]] = []
    wake = asyncio.Event()
    first_failure: TaskResult | None = None

    def job_ended(job: asyncio.Future[TaskResult]) -> None:
        ended.append(job)
        wake.set()

    def settle(name: str, result: TaskResult) -> None:
        nonlocal first_failure
        scope.results[name] = result
        if result.state in (TaskState.FAILED, TaskState.CANCELED) and first_failure is None:
            first_failure = result
        for user in plan.downstream[name]:
            unmet[user] -= 1
            if unmet[user] == 0:
                heapq.heappush(ready, user)

    try:
        while ready or running:
            while ready:
                name = heapq.heappop(ready)
                spec = tasks[name]
                runs_anyway = spec.trigger_policy.strategy == _ALL_COMPLETED
                not_ok = sorted(u for u in plan.upstream[name] if not scope.results[u].ok)
                reason = None
                if not_ok and not runs_anyway:
                    reason = f"upstream task '{not_ok[0]}' did not succeed"
                elif first_failure is not None and ctx.fail_fast and not runs_anyway:
                    reason = f"not started: task '{first_failure.failed_task}' failed"
                if reason is not None:
                    settle(name, skip_task(ctx, name, spec, scope, reason))
                    continue
                call = run_task(ctx, name, spec, scope, handlers=handlers)
                if not running and not ready:
                    # The only task that can run now (a loop iteration's body, a chain):
                    # awaited here, without a task and a wait of its own.
                    settle(name, await call)
                    continue
                job = asyncio.ensure_future(call)
                job.add_done_callback(job_ended)
                running[job] = name
            if not running:
                break
            await wake.wait()
            wake.clear()
            while ended:
                finished = ended.pop(0)
                settle(running.pop(finished), finished.result())
    except asyncio.CancelledError:
        for pending in running:
            pending.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise

    unreachable = [name for name in plan.names if name not in scope.results]
    for name in unreachable:  # only in a graph with a cycle (validation refuses those)
        scope.results[name] = skip_task(ctx, name, tasks[name], scope, "unreachable")
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
