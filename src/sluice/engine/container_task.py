"""Running one container task: cache lookup, then attempts with retries.

An attempt is four steps, and every state change is committed before the engine acts on
it: :func:`_build` (executor input, command line, request: no state yet); then, once a
process slot is free, :func:`~sluice.engine.attempt_records.record_start` (execution
RUNNING, task RUNNING, committed before the process starts) and
:func:`~sluice.engine.attempt_records.execute_attempt` (the executor call; a cancel or an
executor fault is recorded before it propagates); last
:func:`~sluice.engine.attempt_records.record_outputs` (artifacts, execution COMPLETE, task
SUCCEEDED, or the attempt's failure). The recording steps live in
:mod:`sluice.engine.attempt_records`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.attempt_records import (
    Attempt,
    AttemptFailed,
    ContainerTask,
    execute_attempt,
    record_canceled,
    record_outputs,
    record_start,
    reuse_cached,
)
from sluice.engine.caching import cache_key, fingerprint
from sluice.engine.context import json_ready
from sluice.engine.executor_input import (
    build_executor_input,
    request_resources,
    resolve_command,
    resolved_resource_spec,
)
from sluice.engine.kinds import TaskCall
from sluice.engine.model import TaskResult, artifact_ids
from sluice.engine.staging import localize_inputs, staged_outputs
from sluice.engine.states import TaskState
from sluice.errors import ArtifactTransferError, SluiceError
from sluice.executors.base import ArtifactStaging, ExecutionRequest, Resources
from sluice.executors.gpu_pool import NO_GPUS, reserve_gpus


async def run_container_task(call: TaskCall) -> TaskResult:
    """The handler of ``container`` tasks: the cache, else attempts until one succeeds."""
    ctx, task, component, record = call.ctx, call.task, call.component, call.record
    inputs = call.bound_inputs()
    container = ctx.deployment.executors[component.executor_label].container
    key = cache_key(task=task, component=component, container=container, inputs=inputs)
    this = ContainerTask(
        ctx=ctx,
        task=task,
        component=component,
        container=container,
        record=record,
        inputs=inputs,
        recorded_inputs={
            "parameters": json_ready(inputs.parameters),
            "artifacts": artifact_ids(inputs.artifacts),
        },
        cache_enabled=ctx.caching_enabled_for(task),
        key=key,
        fingerprint=fingerprint(key),
    )
    resource_spec = dict(record.resources or {})
    if "{{$" in str(resource_spec):
        # Resources set from an upstream output (`set_cpu_limit(t.output)`) are known
        # only now; record the values the task really asked for, as the Go driver does.
        resource_spec = resolved_resource_spec(ctx, record, inputs)
        ctx.store.update_task(record.id, resources=resource_spec)

    if this.cache_enabled and (hit := reuse_cached(this)) is not None:
        return hit

    policy = task.retry_policy
    max_attempts = 1 + max(0, policy.max_retry_count)
    # A resumed task numbers its attempts after the ones it had (an abandoned or failed
    # attempt keeps its number, log and execution); the retry budget starts afresh.
    previous = record.attempts or 0
    failure = AttemptFailed("not started")
    try:
        resources = request_resources(resource_spec, label=component.executor_label)
    except SluiceError as exc:
        # Only a value set from an upstream output can be wrong here (constants were checked
        # before the run): the task fails without an attempt, not the engine.
        resources, failure, max_attempts = Resources(), AttemptFailed(str(exc)), 0
    for number in range(1, max_attempts + 1):
        devices = NO_GPUS
        # The task is RUNNING only once a process slot is its: a task waiting for one
        # stays as it was (PENDING, or RUNNING between retries) and shows no attempt. A
        # cancel while it waits (for its backoff, its inputs or a slot) ends it CANCELED.
        try:
            if number > 1:
                await asyncio.sleep(_backoff_seconds(policy, number - 1))
            attempt = await _build(this, previous + number, first=number == 1, resources=resources)
            # GPUs first, then a slot: a task waiting for devices holds no process slot.
            devices = await reserve_gpus(
                ctx.executor, resources, waiting=lambda: ctx.store.write_deferred_task(record.id)
            )
            attempt = replace(attempt, request=devices.confine(attempt.request))
            if ctx.slots.locked():
                ctx.show_waiting(record)  # it waits for a slot: it shows PENDING meanwhile
            await ctx.slots.acquire()
        except asyncio.CancelledError:
            devices.release()
            record_canceled(this)
            raise
        except ArtifactTransferError as exc:  # an input could not be staged: retries apply
            failure = AttemptFailed(str(exc))
            continue
        try:
            execution_id = await record_start(this, attempt)
            outcome = await execute_attempt(this, attempt, execution_id)
        finally:
            ctx.slots.release()
            devices.release()
        if isinstance(outcome, AttemptFailed):
            failure = outcome
            continue
        result = await record_outputs(this, attempt, execution_id, outcome)
        if isinstance(result, TaskResult):
            return result
        failure = result
    ctx.store.transition_task(
        record.id,
        TaskState.FAILED,
        error=failure.error,
        error_details=failure.details,
        finished=True,
        message=failure.error,
    )
    return TaskResult(
        state=TaskState.FAILED, task_id=record.id, error=failure.error, failed_task=record.path
    )


async def _build(this: ContainerTask, number: int, *, first: bool, resources: Resources) -> Attempt:
    """Step 1: the attempt's directory, executor input, command line and request.

    Nothing is recorded yet: what fails here fails the task before any attempt starts.
    """
    ctx, record = this.ctx, this.record
    files = ctx.layout.attempt(record.path, number)  # build_executor_input creates it
    inputs = this.inputs
    staged_in: tuple[tuple[str, Path], ...] = ()
    if ctx.layout.remote_root:
        ctx.store.write_deferred_task(record.id)  # staging can take a while: show PENDING
        # An executor that runs attempts elsewhere downloads them there (Ray): not here too.
        fetch = not getattr(ctx.executor, "stages_artifacts", False)
        artifacts, staged_in = await localize_inputs(
            inputs.artifacts, ctx.layout.staging_dir, fetch=fetch
        )
        inputs = replace(inputs, artifacts=artifacts)
    executor_input = build_executor_input(ctx, this.component, inputs, record.path, files)
    staging = None
    if ctx.layout.remote_root:
        staging = ArtifactStaging(
            staging_dir=ctx.layout.staging_dir,
            inputs=staged_in,
            outputs=staged_outputs(executor_input, ctx.layout.task_root(record.path)),
        )
    job = ctx.job_context(task_name=record.name, task_id=record.id)
    line = resolve_command(
        this.container,
        this.component,
        inputs,
        executor_input=executor_input,
        job=job,
        shapes=ctx.command_shapes,
    )
    request = ExecutionRequest(
        task_name=record.path,
        image=this.container.image,
        command=line.command,
        env=line.env,
        log_path=files.log,
        work_dir=files.work,
        executor_input=executor_input,
        resources=resources,
        mounts=(ctx.layout.local_pipeline_root, files.directory),
        exception_path=files.exception,
        staging=staging,
    )
    return Attempt(
        number=number,
        first=first,
        files=files,
        inputs=inputs,
        executor_input=executor_input,
        request=request,
    )


def _backoff_seconds(policy: pipeline_spec_pb2.PipelineTaskSpec.RetryPolicy, retry: int) -> float:
    """Delay before retry number ``retry`` (1-based): duration * factor^(retry-1), capped."""
    base = policy.backoff_duration.ToTimedelta().total_seconds()
    factor = policy.backoff_factor or 2.0
    cap = (
        policy.backoff_max_duration.ToTimedelta().total_seconds()
        if policy.HasField("backoff_max_duration")
        else 3600.0
    )
    return float(min(cap, base * factor ** (retry - 1)))
