"""Running one container task: cache lookup, then attempts with retries.

An attempt is four steps, and every state change is committed before the engine acts on
it: :func:`_build` (executor input, command line, request: no state yet); then, once a
process slot is free, :func:`_record_start` (execution RUNNING, task RUNNING, committed
before the process starts) and :func:`_execute` (the executor call; a cancel or an
executor fault is recorded before it propagates); last :func:`_record_outputs`
(artifacts, execution COMPLETE, task SUCCEEDED, or the attempt's failure).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.caching import cache_key, fingerprint
from sluice.engine.context import RunContext, json_ready
from sluice.engine.executor_input import (
    ContainerSpec,
    build_executor_input,
    request_resources,
    resolve_command,
    resolved_resource_spec,
)
from sluice.engine.failures import failure_details
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.kinds import TaskCall
from sluice.engine.layout import AttemptLayout
from sluice.engine.model import ArtifactRef, TaskResult, artifact_ids
from sluice.engine.notices import unused_image_notice
from sluice.engine.outputs import cheap_digests, collect_container_outputs, publish_outputs
from sluice.engine.staging import localize_inputs, staged_outputs
from sluice.engine.states import TaskState
from sluice.errors import ArtifactTransferError, SluiceError
from sluice.executors.base import ArtifactStaging, ExecutionRequest, ExecutionResult, Resources
from sluice.executors.gpu_pool import NO_GPUS, reserve_gpus
from sluice.executors.processes import append_log_line
from sluice.store.models import TaskRow
from sluice.store.repository import Transaction


@dataclass(frozen=True, kw_only=True)
class _Task:
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
class _Attempt:
    """One attempt, built: its number, files, executor input and request."""

    number: int
    first: bool
    files: AttemptLayout
    # The inputs this attempt sees (remote artifacts staged to local copies).
    inputs: ResolvedInputs
    executor_input: dict[str, Any]
    request: ExecutionRequest


@dataclass(frozen=True)
class _Failed:
    """How an attempt failed: the error line and, for a failed process, its details."""

    error: str
    details: dict[str, Any] | None = None


async def run_container_task(call: TaskCall) -> TaskResult:
    """The handler of ``container`` tasks: the cache, else attempts until one succeeds."""
    ctx, task, component, record = call.ctx, call.task, call.component, call.record
    inputs = call.bound_inputs()
    container = ctx.deployment.executors[component.executor_label].container
    key = cache_key(task=task, component=component, container=container, inputs=inputs)
    this = _Task(
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

    if this.cache_enabled and (hit := _reuse_cached(this)) is not None:
        return hit

    policy = task.retry_policy
    max_attempts = 1 + max(0, policy.max_retry_count)
    # A resumed task numbers its attempts after the ones it had (an abandoned or failed
    # attempt keeps its number, log and execution); the retry budget starts afresh.
    previous = record.attempts or 0
    failure = _Failed("not started")
    try:
        resources = request_resources(resource_spec, label=component.executor_label)
    except SluiceError as exc:
        # Only a value set from an upstream output can be wrong here (constants were checked
        # before the run): the task fails without an attempt, not the engine.
        resources, failure, max_attempts = Resources(), _Failed(str(exc)), 0
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
            _record_canceled(this)
            raise
        except ArtifactTransferError as exc:  # an input could not be staged: retries apply
            failure = _Failed(str(exc))
            continue
        try:
            execution_id = _record_start(this, attempt)
            outcome = await _execute(this, attempt, execution_id)
        finally:
            ctx.slots.release()
            devices.release()
        if isinstance(outcome, _Failed):
            failure = outcome
            continue
        result = await _record_outputs(this, attempt, execution_id, outcome)
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


def _reuse_cached(this: _Task) -> TaskResult | None:
    """The task's result from the cache (recorded as a CACHED execution), or None."""
    ctx, record = this.ctx, this.record
    hit = ctx.store.find_cached(
        fingerprint=this.fingerprint, pipeline_name=ctx.pipeline_name, newer_than=ctx.newer_than()
    )
    if hit is None:
        return None
    execution, source_task = hit
    outputs = source_task.outputs or {}
    # The execution, its outputs and the move to CACHED commit together. The move comes
    # first: a deferred row is then inserted already CACHED (one statement, not two).
    with ctx.store.transaction() as tx:
        tx.transition_task(
            record.id,
            TaskState.CACHED,
            outputs=outputs,
            inputs=this.recorded_inputs,
            fingerprint=this.fingerprint,
            cached_from_task_id=source_task.id,
            started=True,
            finished=True,
            message=f"cache hit: execution {execution.id}",
        )
        # The reused artifacts are this execution's outputs too, so lineage through a
        # cached run is as complete as through the run that produced them.
        tx.create_execution(
            run_id=ctx.run_id,
            task_id=record.id,
            pipeline_name=ctx.pipeline_name,
            component_name=this.task.component_ref.name,
            type_="system.ContainerExecution",
            attempt=0,
            state="CACHED",
            input_parameters=this.recorded_inputs["parameters"],
            fingerprint=this.fingerprint,
            cache_enabled=True,
            cached_execution_id=execution.id,
            input_artifacts=this.recorded_inputs["artifacts"],
            cache_key=this.key,
            outputs=(outputs.get("parameters", {}), outputs.get("artifacts", {})),
        )
    return TaskResult(
        state=TaskState.CACHED,
        task_id=record.id,
        parameters=dict(outputs.get("parameters", {})),
        artifacts=ctx.artifact_refs(outputs.get("artifacts", {})),
    )


async def _build(this: _Task, number: int, *, first: bool, resources: Resources) -> _Attempt:
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
    return _Attempt(
        number=number,
        first=first,
        files=files,
        inputs=inputs,
        executor_input=executor_input,
        request=request,
    )


def _record_start(this: _Task, attempt: _Attempt) -> int:
    """Step 2: the attempt's execution and the task RUNNING, committed; the execution id."""
    ctx, record = this.ctx, this.record
    log_path = str(attempt.files.log)
    notice = unused_image_notice(ctx, record.path, this.container)
    notices: dict[str, Any] = {"notices": [notice]} if notice else {}
    # The execution and the move to RUNNING commit together, before the process starts.
    # The move comes first: a deferred row is then inserted already RUNNING.
    with ctx.store.transaction() as tx:
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
    if notice:
        append_log_line(attempt.files.log, f"sluice: {notice}")
        ctx.notice(started, notice)
    return execution_id


async def _execute(this: _Task, attempt: _Attempt, execution_id: int) -> ExecutionResult | _Failed:
    """Step 3: the executor runs the attempt (its process slot is held).

    A cancel is recorded (execution and task CANCELED) before it propagates; an executor
    that could not start or supervise the attempt fails the attempt, not the engine.
    """
    ctx = this.ctx
    try:
        return await ctx.executor.execute(attempt.request)
    except asyncio.CancelledError:
        with ctx.store.transaction() as tx:
            tx.finish_execution(execution_id, state="CANCELED", error="canceled")
            _record_canceled(this, tx)
        raise
    except SluiceError as exc:
        ctx.store.finish_execution(execution_id, state="FAILED", error=str(exc))
        return _Failed(str(exc))


def _record_canceled(this: _Task, tx: Transaction | None = None) -> None:
    """The task CANCELED: its run was cancelled while it ran or waited for a slot."""
    (tx or this.ctx.store).transition_task(
        this.record.id, TaskState.CANCELED, finished=True, error="canceled", message="canceled"
    )


async def _record_outputs(
    this: _Task, attempt: _Attempt, execution_id: int, outcome: ExecutionResult
) -> TaskResult | _Failed:
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
        return _Failed(error, details)
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
        return _Failed(str(exc))

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
            return _Failed(error)
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
    # The execution's end and the move to SUCCEEDED commit together.
    with ctx.store.transaction() as tx:
        tx.finish_execution(
            execution_id,
            state="COMPLETE",
            exit_code=0,
            how=outcome.how,
            output_parameters=out_params,
            output_artifacts=artifact_ids(artifacts),
        )
        tx.transition_task(
            record.id,
            TaskState.SUCCEEDED,
            finished=True,
            error=None,
            error_details=None,
            outputs={"parameters": out_params, "artifacts": artifact_ids(artifacts)},
        )
    return TaskResult(
        state=TaskState.SUCCEEDED, task_id=record.id, parameters=parameters, artifacts=artifacts
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
