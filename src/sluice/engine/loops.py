"""ParallelFor: one sub-DAG run per item, started as process slots free up, outputs collected.

Like the Go backend: the items come from a raw JSON list or an input parameter (a list
or a JSON string of one); each iteration sees all the loop's inputs (the list included)
with the item bound to ``itemInput``; ``dsl.Collected`` outputs gather, in index order,
the values of the iterations whose producer ran (a conditional producer may not have).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import json_ready
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.kinds import TaskCall, TaskKind
from sluice.engine.model import ArtifactRef, Scope, TaskResult, artifact_ids
from sluice.engine.records import get_or_create_record
from sluice.engine.states import TaskState
from sluice.engine.subdag import run_child_dag
from sluice.errors import InvalidArgumentError
from sluice.spec.values import normalize_numbers

# Iterations started ahead of the free process slots, per slot. A loop starts an iteration
# (creates its row, then its tasks') only when fewer than this many per slot have started
# and not ended: enough that a slot that frees up finds a task ready, few enough that no
# task waits long recorded as started (a 1000-wide loop once wrote every iteration's rows
# before its first task ended; see docs/architecture.md "How a run executes").
ITERATIONS_PER_SLOT = 2


def loop_items(task: pipeline_spec_pb2.PipelineTaskSpec, inputs: ResolvedInputs) -> list[Any]:
    """The list a ParallelFor iterates over."""
    items_spec = task.parameter_iterator.items
    source: Any
    if items_spec.WhichOneof("kind") == "raw":
        source = items_spec.raw
    else:
        name = items_spec.input_parameter
        if name not in inputs.parameters:
            raise InvalidArgumentError(
                f"loop '{task.task_info.name}': its items input '{name}' has no value"
            )
        source = inputs.parameters[name]
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(
                f"loop '{task.task_info.name}': items are not a JSON list: {source!r}"
            ) from exc
    if not isinstance(source, list):
        raise InvalidArgumentError(
            f"loop '{task.task_info.name}': items must be a list, got {type(source).__name__}"
        )
    return [normalize_numbers(item) for item in source]


async def run_loop(call: TaskCall) -> TaskResult:
    """The handler of ``loop`` tasks: run every iteration and collect the outputs.

    A loop's inputs are not bound to its component: each iteration binds the item too.
    """
    ctx, task, component, record, inputs = (
        call.ctx,
        call.task,
        call.component,
        call.record,
        call.inputs,
    )
    items = loop_items(task, inputs)
    ctx.store.transition_task(
        record.id,
        TaskState.RUNNING,
        started=True,
        inputs={
            "parameters": json_ready(inputs.parameters),
            "artifacts": artifact_ids(inputs.artifacts),
        },
        message=f"{len(items)} iterations",
    )
    item_input = task.parameter_iterator.item_input
    items_input = task.parameter_iterator.items.input_parameter
    failed: list[TaskResult] = []

    async def iteration(index: int, item: Any) -> TaskResult:
        path = f"{record.path}[{index}]"
        # The items list stays visible: the compiler forwards it, by the same name, into a
        # nested loop over the same list and into body tasks that read the whole list
        # (Go resolves them from the loop task's inputs, which keep it).
        scope_inputs = ResolvedInputs(
            parameters=dict(inputs.parameters), artifacts=dict(inputs.artifacts)
        )
        scope_inputs.parameters[item_input] = item
        # ...but it is recorded once, on the loop, not again on each of its iterations.
        recorded = ResolvedInputs(
            parameters={k: v for k, v in scope_inputs.parameters.items() if k != items_input},
            artifacts=scope_inputs.artifacts,
        )
        parent = Scope(parameters={}, artifacts={}, path=record.path, parent_task_id=record.id)
        row = get_or_create_record(
            ctx,
            f"{record.name}[{index}]",
            task,
            parent,
            path=path,
            kind=TaskKind.ITERATION,
            iteration_index=index,
        )
        if TaskState(row.state).is_success:
            return ctx.stored_result(row)
        if failed and ctx.fail_fast:  # fail slow: every iteration runs (docs/semantics.md)
            reason = f"not started: task '{failed[0].failed_task}' failed"
            ctx.store.transition_task(
                row.id, TaskState.SKIPPED, error=reason, finished=True, message=reason
            )
            return TaskResult(state=TaskState.SKIPPED, task_id=row.id, error=reason)
        result = await run_child_dag(
            ctx, component, row, scope_inputs, handlers=call.handlers, recorded=recorded
        )
        if result.state == TaskState.FAILED:
            failed.append(result)
        return result

    window = iteration_window(ctx.max_parallel_tasks, task.iterator_policy.parallelism_limit)
    results: list[TaskResult | None] = [None] * len(items)
    running: dict[asyncio.Future[TaskResult], int] = {}
    # Iterations that ended, told by a done callback: each end costs one callback, not an
    # asyncio.wait over the whole window (callbacks added to and removed from every one).
    ended: list[asyncio.Future[TaskResult]] = []
    wake = asyncio.Event()

    def job_ended(job: asyncio.Future[TaskResult]) -> None:
        ended.append(job)
        wake.set()

    async def reap() -> None:
        """Wait until at least one running iteration ends, and keep the ended ones' results."""
        while not ended:
            await wake.wait()
            wake.clear()
        while ended:
            job = ended.pop(0)
            results[running.pop(job)] = job.result()  # an engine error in it propagates

    try:
        for index, item in enumerate(items):
            stored = ctx.existing.get(f"{record.path}[{index}]")
            if stored is not None and TaskState(stored.state).is_success:
                results[index] = ctx.stored_result(stored)  # resumed: never run twice
                continue
            while len(running) >= window:
                await reap()
            started = asyncio.ensure_future(iteration(index, item))
            started.add_done_callback(job_ended)
            running[started] = index
        while running:
            await reap()
    except BaseException:  # cancelled, or the engine failed: stop the iterations it started
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise

    if failed:
        first = failed[0]
        ctx.store.transition_task(
            record.id,
            TaskState.FAILED,
            finished=True,
            error=first.error,
            message=first.error,
        )
        return TaskResult(
            state=TaskState.FAILED,
            task_id=record.id,
            error=first.error,
            failed_task=first.failed_task,
        )
    parameters, artifacts = collect(component, [r for r in results if r is not None])
    ctx.store.transition_task(
        record.id,
        TaskState.SUCCEEDED,
        finished=True,
        outputs={"parameters": json_ready(parameters), "artifacts": artifact_ids(artifacts)},
    )
    return TaskResult(
        state=TaskState.SUCCEEDED, task_id=record.id, parameters=parameters, artifacts=artifacts
    )


def iteration_window(max_parallel_tasks: int, parallelism_limit: int) -> int:
    """How many of a loop's iterations may have started and not ended at one time.

    ``parallelism_limit`` (``dsl.ParallelFor(parallelism=...)``) when it is set and
    smaller; else ``ITERATIONS_PER_SLOT`` per process slot of the run.
    """
    window = ITERATIONS_PER_SLOT * max(1, max_parallel_tasks)
    return min(window, parallelism_limit) if parallelism_limit > 0 else window


def collect(
    component: pipeline_spec_pb2.ComponentSpec, results: list[TaskResult]
) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]]:
    """``dsl.Collected`` outputs: per output, the iterations' values in index order."""
    parameters: dict[str, Any] = {
        name: [r.parameters[name] for r in results if r.ok and name in r.parameters]
        for name in component.dag.outputs.parameters
    }
    artifacts: dict[str, list[ArtifactRef]] = {
        name: [a for r in results if r.ok for a in r.artifacts.get(name, [])]
        for name in component.dag.outputs.artifacts
    }
    return parameters, artifacts
