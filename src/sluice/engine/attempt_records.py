"""What an attempt of a container task writes to the store, and when.

The steps of :mod:`sluice.engine.container_task` that record: a cache hit
(:func:`reuse_cached`), an attempt's start before its process starts (:func:`record_start`),
the executor call, whose cancel or fault is recorded before it propagates
(:func:`execute_attempt`), and the attempt's outputs or failure (:func:`record_outputs`).
Every state change is committed before the engine acts on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext, json_ready
from sluice.engine.executor_input import ContainerSpec
from sluice.engine.failures import failure_details
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.layout import AttemptLayout
from sluice.engine.model import ArtifactRef, TaskResult, artifact_ids
from sluice.engine.notices import unused_image_notice
from sluice.engine.outputs import cheap_digests, collect_container_outputs, publish_outputs
from sluice.engine.states import TaskState
from sluice.errors import ArtifactTransferError, SluiceError
from sluice.events import TaskStateChanged
from sluice.executors.base import ExecutionRequest, ExecutionResult
from sluice.executors.processes import append_log_line
from sluice.store.models import TaskRow
from sluice.store.repository import Transaction


@dataclass(frozen=True, kw_only=True)
class ContainerTask:
    """What every attempt of one container task shares."""

    ctx: RunContext
    task: pipeline_spec_pb2.PipelineTaskSpec
    component: pipeline_spec_pb2.ComponentSpec
    container: ContainerSpec
    record: TaskRow
    # The inputs bound to the component, and as the task row records them.
    inputs: ResolvedInputs
    recorded_inputs: dict[str, Any]
    cache_enabled: bool
    key: dict[str, Any]
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One attempt, built: its number, files, executor input and request."""

    number: int
    first: bool
    files: AttemptLayout
    # The inputs this attempt sees (remote artifacts staged to local copies).
    inputs: ResolvedInputs
    executor_input: dict[str, Any]
    request: ExecutionRequest


@dataclass(frozen=True)
class AttemptFailed:
    """How an attempt failed: the error line and, for a failed process, its details."""

    error: str
    details: dict[str, Any] | None = None


def reuse_cached(this: ContainerTask) -> TaskResult | None:
    """The task's result from the cache (recorded as a CACHED execution), or None."""
    ctx, record = this.ctx, this.record
    hit = ctx.store.find_cached(
        fingerprint=this.fingerprint, pipeline_name=ctx.pipeline_name, newer_than=ctx.newer_than()
    )
    if hit is None:
        return None
    outputs = hit.outputs or {}
    # The execution, its outputs and the move to CACHED commit together, with the next
    # write: nothing acts on a hit before then (Store.hold_cache_hit), so a run of hits
    # shares a commit. The move comes first: a deferred row is then inserted already
    # CACHED (one statement, not two).
    ctx.store.hold_cache_hit(
        record.id,
        message=f"cache hit: execution {hit.execution_id}",
        fields={
            "outputs": outputs,
            "inputs": this.recorded_inputs,
            "fingerprint": this.fingerprint,
            "cached_from_task_id": hit.task_id,
        },
        # The reused artifacts are this execution's outputs too, so lineage through a
        # cached run is as complete as through the run that produced them.
        execution={
            "run_id": ctx.run_id,
            "task_id": record.id,
            "pipeline_name": ctx.pipeline_name,
            "component_name": this.task.component_ref.name,
            "type_": "system.ContainerExecution",
            "attempt": 0,
            "state": "CACHED",
            "input_parameters": this.recorded_inputs["parameters"],
            "fingerprint": this.fingerprint,
            "cache_enabled": True,
            "cached_execution_id": hit.execution_id,
            "input_artifacts": this.recorded_inputs["artifacts"],
            "cache_key": this.key,
            "outputs": (outputs.get("parameters", {}), outputs.get("artifacts", {})),
        },
    )
    ctx.flush_soon()
    return TaskResult(
        state=TaskState.CACHED,
        task_id=record.id,
        parameters=dict(outputs.get("parameters", {})),
        artifacts=ctx.artifact_refs(outputs.get("artifacts", {})),
    )


async def record_start(this: ContainerTask, attempt: Attempt) -> int:
    """Step 2: the attempt's execution and the task RUNNING, committed; the execution id.

    Committed with the other starts due in the same turn of the event loop (several
    iterations of a loop whose slots freed at once): one transaction, still before any of
    their processes starts (``RunContext.start_soon``). A cancel while it waits for that
    commit ends the task CANCELED, and its execution too if it was written.
    """
    ctx = this.ctx
    notice = unused_image_notice(ctx, this.record.path, this.container)
    pending = ctx.start_soon(lambda tx: _write_start(this, attempt, tx, notice))
    try:
        started, execution_id = await pending
    except asyncio.CancelledError:
        if not pending.done():
            pending.cancel()
        if pending.cancelled() or pending.exception() is not None:
            record_canceled(this)  # nothing of the start was written
        else:
            record_execution_canceled(this, pending.result()[1])
        raise
    if notice:
        append_log_line(attempt.files.log, f"sluice: {notice}")
        ctx.notice(started, notice)
    return execution_id


def _write_start(
    this: ContainerTask, attempt: Attempt, tx: Transaction, notice: str | None
) -> tuple[TaskStateChanged, int]:
    """The writes of an attempt's start, in ``tx``: the move to RUNNING and its execution."""
    ctx, record = this.ctx, this.record
    log_path = str(attempt.files.log)
    notices: dict[str, Any] = {"notices": [notice]} if notice else {}
    # The move comes first: a deferred row is then inserted already RUNNING.
    started = tx.transition_task(
        record.id,
        TaskState.RUNNING,
        attempts=attempt.number,
        log_path=log_path,
        started=attempt.first,
        message=f"attempt {attempt.number}",
        inputs=this.recorded_inputs,
        fingerprint=this.fingerprint,
        **notices,
    )
    execution_id = tx.create_execution(
        run_id=ctx.run_id,
        task_id=record.id,
        pipeline_name=ctx.pipeline_name,
        component_name=this.task.component_ref.name,
        type_="system.ContainerExecution",
        attempt=attempt.number,
        state="RUNNING",
        input_parameters=json_ready(attempt.inputs.parameters),
        fingerprint=this.fingerprint,
        cache_enabled=this.cache_enabled,
        log_path=log_path,
        input_artifacts=artifact_ids(attempt.inputs.artifacts),
        cache_key=this.key,
    )
    return started, execution_id


def record_execution_canceled(this: ContainerTask, execution_id: int) -> None:
    """The started attempt's execution and its task CANCELED, in one transaction."""
    with this.ctx.store.transaction() as tx:
        tx.finish_execution(execution_id, state="CANCELED", error="canceled")
        record_canceled(this, tx)


async def execute_attempt(
    this: ContainerTask, attempt: Attempt, execution_id: int
) -> ExecutionResult | AttemptFailed:
    """Step 3: the executor runs the attempt (its process slot is held).

    A cancel is recorded (execution and task CANCELED) before it propagates; an executor
    that could not start or supervise the attempt fails the attempt, not the engine.
    """
    ctx = this.ctx
    try:
        return await ctx.executor.execute(attempt.request)
    except asyncio.CancelledError:
        record_execution_canceled(this, execution_id)
        raise
    except SluiceError as exc:
        ctx.store.finish_execution(execution_id, state="FAILED", error=str(exc))
        return AttemptFailed(str(exc))


def record_canceled(this: ContainerTask, tx: Transaction | None = None) -> None:
    """The task CANCELED: its run was cancelled while it ran or waited for a slot."""
    (tx or this.ctx.store).transition_task(
        this.record.id, TaskState.CANCELED, finished=True, error="canceled", message="canceled"
    )


async def record_outputs(
    this: ContainerTask, attempt: Attempt, execution_id: int, outcome: ExecutionResult
) -> TaskResult | AttemptFailed:
    """Step 4: the attempt's outputs (artifacts, execution COMPLETE, task SUCCEEDED), or
    its failure (execution FAILED; the task's state waits for the retries)."""
    ctx, record = this.ctx, this.record
    if outcome.exit_code != 0:
        details = failure_details(attempt.files.log, outcome.exit_code, outcome.exception)
        error = details["message"]
        if details["exception_type"]:
            line = next(iter(details["message"].splitlines()), "")
            error = f"{details['exception_type']}: {line}" if line else details["exception_type"]
        ctx.store.finish_execution(
            execution_id, state="FAILED", exit_code=outcome.exit_code, how=outcome.how, error=error
        )
        return AttemptFailed(error, details)
    try:
        # The outputs as the executor returned them: the engine reads no file the
        # component wrote (the task may have run on another machine).
        parameters, produced = collect_container_outputs(
            this.component, attempt.executor_input, outcome.output, task_path=record.path
        )
    except SluiceError as exc:
        ctx.store.finish_execution(
            execution_id, state="FAILED", exit_code=0, how=outcome.how, error=str(exc)
        )
        return AttemptFailed(str(exc))

    artifacts: dict[str, list[ArtifactRef]] = {}
    # Hashing files belongs off the event loop; with nothing to hash, the thread hop would
    # only add latency (about 0.2 ms a task, far more in a busy fan-out).
    # Outputs an executor staged where the attempt ran are not on this machine.
    staged_there = ctx.layout.remote_root and getattr(ctx.executor, "stages_artifacts", False)
    digests = (
        await asyncio.to_thread(cheap_digests, produced) if produced and not staged_there else {}
    )
    if ctx.layout.remote_root:
        try:
            produced = await publish_outputs(
                produced, task_root=ctx.layout.task_root(record.path), uploaded=staged_there
            )
        except ArtifactTransferError as exc:
            error = str(exc)
            ctx.store.finish_execution(
                execution_id, state="FAILED", exit_code=0, how=outcome.how, error=error
            )
            return AttemptFailed(error)
    for item in produced:
        artifact_id = ctx.store.create_artifact(
            uri=item.uri,
            name=item.output_name,
            schema_title=item.schema_title,
            schema_version=item.schema_version,
            metadata=item.metadata,
            run_id=ctx.run_id,
            producer_task_id=record.id,
            digest=digests.get(item.output_name),
        )
        artifacts[item.output_name] = [
            ArtifactRef(
                id=artifact_id,
                name=item.output_name,
                uri=item.uri,
                schema_title=item.schema_title,
                schema_version=item.schema_version,
                metadata=item.metadata,
            )
        ]
    out_params = json_ready(parameters)
    # The execution's end and the move to SUCCEEDED commit together, with the next write:
    # usually the next task's start, before its process starts (the first thing that acts
    # on them), or the run's end, or within HELD_MOVES_SECONDS (RunContext.flush_soon).
    # So a task of a chain costs one commit, not two.
    ctx.store.hold_finish_execution(
        execution_id,
        fingerprint=this.fingerprint,
        state="COMPLETE",
        exit_code=0,
        how=outcome.how,
        output_parameters=out_params,
        output_artifacts=artifact_ids(artifacts),
    )
    ctx.store.hold_transition_task(
        record.id,
        TaskState.SUCCEEDED,
        finished=True,
        error=None,
        error_details=None,
        outputs={"parameters": out_params, "artifacts": artifact_ids(artifacts)},
    )
    ctx.flush_soon()
    return TaskResult(
        state=TaskState.SUCCEEDED, task_id=record.id, parameters=parameters, artifacts=artifacts
    )
