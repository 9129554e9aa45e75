"""Running one container task: cache lookup, attempts with retries, outputs."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.caching import cache_key, fingerprint
from sluice.engine.context import RunContext, json_ready
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.model import ArtifactRef, TaskResult, artifact_ids
from sluice.engine.outputs import ProducedArtifact, collect_container_outputs
from sluice.engine.staging import is_remote, localize_inputs, upload
from sluice.engine.states import TaskState
from sluice.errors import InvalidPipelineError, SluiceError
from sluice.executors.base import ComponentException, ExecutionRequest, Resources
from sluice.executors.processes import append_log_line
from sluice.logfiles import tail_lines
from sluice.names import safe_component, under
from sluice.spec.placeholders import expand_structured_args, resolve_placeholders
from sluice.spec.resources import parse_quantity
from sluice.store.digest import cheap_digest
from sluice.store.models import TaskRow

# The IR's container spec message (kfp's protobuf modules are untyped).
ContainerSpec = Any


async def run_container_task(
    ctx: RunContext,
    *,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    container: ContainerSpec,
    record: TaskRow,
    inputs: ResolvedInputs,
) -> TaskResult:
    """Run (or fetch from the cache) one container task whose inputs are bound."""
    cache_enabled = ctx.caching_enabled_for(task)
    key = cache_key(task=task, component=component, container=container, inputs=inputs)
    fp = fingerprint(key)
    input_params = json_ready(inputs.parameters)
    input_ids = artifact_ids(inputs.artifacts)
    recorded_inputs = {"parameters": input_params, "artifacts": input_ids}
    resource_spec = dict(record.resources or {})
    if "{{$" in str(resource_spec):
        # Resources set from an upstream output (`set_cpu_limit(t.output)`) are known
        # only now; record the values the task really asked for, as the Go driver does.
        resource_spec = _resolved_resources(ctx, record, inputs)
        ctx.store.update_task(record.id, resources=resource_spec)

    if cache_enabled:
        hit = ctx.store.find_cached(
            fingerprint=fp, pipeline_name=ctx.pipeline_name, newer_than=ctx.newer_than()
        )
        if hit is not None:
            execution, source_task = hit
            outputs = source_task.outputs or {}
            # The execution, its outputs and the move to CACHED commit together.
            with ctx.store.transaction() as tx:
                cached_id = tx.create_execution(
                    run_id=ctx.run_id,
                    task_id=record.id,
                    pipeline_name=ctx.pipeline_name,
                    component_name=task.component_ref.name,
                    type_="system.ContainerExecution",
                    attempt=0,
                    state="CACHED",
                    input_parameters=input_params,
                    fingerprint=fp,
                    cache_enabled=True,
                    cached_execution_id=execution.id,
                    input_artifacts=input_ids,
                    cache_key=key,
                )
                # The reused artifacts are this execution's outputs too, so lineage through a
                # cached run is as complete as through the run that produced them.
                tx.finish_execution(
                    cached_id,
                    state="CACHED",
                    output_parameters=outputs.get("parameters", {}),
                    output_artifacts=outputs.get("artifacts", {}),
                )
                tx.transition_task(
                    record.id,
                    TaskState.CACHED,
                    outputs=outputs,
                    inputs=recorded_inputs,
                    fingerprint=fp,
                    cached_from_task_id=source_task.id,
                    started=True,
                    finished=True,
                    message=f"cache hit: execution {execution.id}",
                )
            return TaskResult(
                state=TaskState.CACHED,
                task_id=record.id,
                parameters=dict(outputs.get("parameters", {})),
                artifacts=ctx.artifact_refs(outputs.get("artifacts", {})),
            )

    policy = task.retry_policy
    max_attempts = 1 + max(0, policy.max_retry_count)
    # A resumed task numbers its attempts after the ones it had (an abandoned or failed
    # attempt keeps its number, log and execution); the retry budget starts afresh.
    previous = record.attempts or 0
    error = "not started"
    details: dict[str, Any] | None = None
    try:
        resources = request_resources(resource_spec, label=component.executor_label)
    except SluiceError as exc:
        # Only a value set from an upstream output can be wrong here (constants were checked
        # before the run): the task fails without an attempt, not the engine.
        resources, error, max_attempts = Resources(), str(exc), 0
    for number in range(1, max_attempts + 1):
        if number > 1:
            await asyncio.sleep(_backoff_seconds(policy, number - 1))
        result, error, details = await _attempt(
            ctx,
            task=task,
            component=component,
            container=container,
            record=record,
            inputs=inputs,
            attempt=previous + number,
            first=number == 1,
            fp=fp,
            cache_enabled=cache_enabled,
            recorded_inputs=recorded_inputs,
            key=key,
            resources=resources,
        )
        if result is not None:
            return result
    ctx.store.transition_task(
        record.id,
        TaskState.FAILED,
        error=error,
        error_details=details,
        finished=True,
        message=error,
    )
    return TaskResult(
        state=TaskState.FAILED, task_id=record.id, error=error, failed_task=record.path
    )


async def _attempt(
    ctx: RunContext,
    *,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    container: ContainerSpec,
    record: TaskRow,
    inputs: ResolvedInputs,
    attempt: int,
    first: bool,
    fp: str,
    cache_enabled: bool,
    recorded_inputs: dict[str, Any],
    key: dict[str, Any],
    resources: Resources,
) -> tuple[TaskResult | None, str, dict[str, Any] | None]:
    """One attempt; the result on success, else None, the error line and failure details."""
    attempt_dir = ctx.attempt_dir(record.path, attempt)
    work_dir = attempt_dir / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = attempt_dir / "log.txt"
    if ctx.remote_root:
        inputs = replace(inputs, artifacts=await localize_inputs(inputs.artifacts, ctx.staging_dir))
    executor_input = build_executor_input(ctx, component, inputs, record.path, attempt_dir)
    job = ctx.job_context(task_name=record.name, task_id=record.id)
    # Go treats an input whose value is null as absent (IfPresent takes its Else branch).
    present = {k for k, v in inputs.parameters.items() if v is not None} | set(inputs.artifacts)
    definitions = component.input_definitions
    optional = {n for n, p in definitions.parameters.items() if p.is_optional} | {
        n for n, a in definitions.artifacts.items() if a.is_optional
    }
    command = [
        resolve_placeholders(arg, executor_input=executor_input, job=job, optional_inputs=optional)
        for arg in expand_structured_args(
            [*container.command, *container.args], present_inputs=present
        )
    ]
    env = {
        e.name: resolve_placeholders(
            e.value, executor_input=executor_input, job=job, optional_inputs=optional
        )
        for e in container.env
    }

    notice = _unused_image_notice(ctx, record.path, container)
    notices: dict[str, Any] = {"notices": [notice]} if notice else {}
    # The execution and the move to RUNNING commit together, before the process starts.
    with ctx.store.transaction() as tx:
        execution_id = tx.create_execution(
            run_id=ctx.run_id,
            task_id=record.id,
            pipeline_name=ctx.pipeline_name,
            component_name=task.component_ref.name,
            type_="system.ContainerExecution",
            attempt=attempt,
            state="RUNNING",
            input_parameters=json_ready(inputs.parameters),
            fingerprint=fp,
            cache_enabled=cache_enabled,
            log_path=str(log_path),
            input_artifacts=artifact_ids(inputs.artifacts),
            cache_key=key,
        )
        started = tx.transition_task(
            record.id,
            TaskState.RUNNING,
            attempts=attempt,
            log_path=str(log_path),
            started=first,
            message=f"attempt {attempt}",
            inputs=recorded_inputs,
            fingerprint=fp,
            **notices,
        )
    if notice:
        append_log_line(log_path, f"sluice: {notice}")
        ctx.notice(started, notice)
    request = ExecutionRequest(
        task_name=record.path,
        image=container.image,
        command=command,
        env=env,
        log_path=log_path,
        work_dir=work_dir,
        executor_input=executor_input,
        resources=resources,
        mounts=(ctx.local_task_root("").parent, attempt_dir),
        exception_path=attempt_dir / "exception.json",
    )
    try:
        async with ctx.slots:
            outcome = await ctx.executor.execute(request)
    except asyncio.CancelledError:
        with ctx.store.transaction() as tx:
            tx.finish_execution(execution_id, state="CANCELED", error="canceled")
            tx.transition_task(
                record.id,
                TaskState.CANCELED,
                finished=True,
                error="canceled",
                message="canceled",
            )
        raise
    except SluiceError as exc:
        ctx.store.finish_execution(execution_id, state="FAILED", error=str(exc))
        return None, str(exc), None

    if outcome.exit_code != 0:
        details = failure_details(log_path, outcome.exit_code, outcome.exception)
        error = details["message"]
        if details["exception_type"]:
            line = next(iter(details["message"].splitlines()), "")
            error = f"{details['exception_type']}: {line}" if line else details["exception_type"]
        ctx.store.finish_execution(
            execution_id, state="FAILED", exit_code=outcome.exit_code, how=outcome.how, error=error
        )
        return None, error, details
    try:
        # The outputs as the executor returned them: the engine reads no file the
        # component wrote (the task may have run on another machine).
        parameters, produced = collect_container_outputs(
            component, executor_input, outcome.output, task_path=record.path
        )
    except SluiceError as exc:
        ctx.store.finish_execution(
            execution_id, state="FAILED", exit_code=0, how=outcome.how, error=str(exc)
        )
        return None, str(exc), None

    artifacts: dict[str, list[ArtifactRef]] = {}
    # Hashing files belongs off the event loop; with nothing to hash, the thread hop would
    # only add latency (about 0.2 ms a task, far more in a busy fan-out).
    digests = await asyncio.to_thread(_cheap_digests, produced) if produced else {}
    if ctx.remote_root:
        produced = await _publish(ctx, record.path, produced)
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
    return (
        TaskResult(
            state=TaskState.SUCCEEDED, task_id=record.id, parameters=parameters, artifacts=artifacts
        ),
        "",
        None,
    )


# The official Python images (kfp's default base image is one): `python`, `python:3.11-slim`,
# `docker.io/library/python:3.11@sha256:...`.
_PYTHON_IMAGE = re.compile(r"(?:docker\.io/)?(?:library/)?python(?::[\w.-]+)?(?:@[\w:]+)?")


def _unused_image_notice(ctx: RunContext, path: str, container: ContainerSpec) -> str | None:
    """The notice that a task's image is not used (running on the host), once per image per run.

    A lightweight Python component whose image is an official ``python`` image gets none: on
    the host it runs on this Python with its ``packages_to_install``, which is all such an image
    would give it. Any other image (a container component's, or a lightweight component's
    custom ``base_image``) may hold programs, packages or files the host lacks.
    """
    image = str(container.image)
    # An executor that does not say is taken to use images (no notice rather than a wrong one).
    if getattr(ctx.executor, "uses_images", True) or not image or image in ctx.noticed_images:
        return None
    # kfp's launcher passes the function's name to its executor; a container component that
    # happens to run kfp's executor is a lightweight component in all but name.
    lightweight = "--function_to_execute" in [*container.command, *container.args]
    if lightweight and _PYTHON_IMAGE.fullmatch(image):
        return None
    ctx.noticed_images.add(image)
    where = "on the host's Python" if lightweight else "on the host"
    return (
        f"task {path}: image {image} is not used; running {where} — --use-container runs it "
        f"in Docker/Podman"
    )


def _cheap_digests(produced: list[ProducedArtifact]) -> dict[str, str | None]:
    """Digests of the small local outputs (see store/digest.py)."""
    digests: dict[str, str | None] = {}
    for item in produced:
        if not is_remote(item.uri):
            digests[item.output_name] = cheap_digest(item.uri.removeprefix("file://"))
    return digests


async def _publish(
    ctx: RunContext, path: str, produced: list[ProducedArtifact]
) -> list[ProducedArtifact]:
    """Upload staged outputs to the remote pipeline root; returns them with remote URIs."""
    published = []
    for item in produced:
        remote = under(ctx.task_root(path), safe_component(item.output_name))
        await asyncio.to_thread(upload, Path(item.uri), remote)
        published.append(replace(item, uri=remote))
    return published


def _resolved_resources(ctx: RunContext, record: TaskRow, inputs: ResolvedInputs) -> dict[str, Any]:
    partial = {"inputs": {"parameterValues": json_ready(inputs.parameters)}}
    job = ctx.job_context(task_name=record.name, task_id=record.id)

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and "{{$" in value:
            return resolve_placeholders(value, executor_input=partial, job=job)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    resolved: dict[str, Any] = resolve(dict(record.resources or {}))
    return resolved


def request_resources(spec: dict[str, Any], *, label: str) -> Resources:
    """The resources of a task's container spec (``MessageToDict`` form, placeholders resolved).

    The string fields (``resourceCpuLimit: 500m``) win over the legacy numbers (``cpuLimit``,
    memory in GB), as in :mod:`sluice.spec.resources`.

    Raises:
        InvalidPipelineError: a quantity that is not one (set from an upstream output).
    """

    def quantity(kind: str, which: str) -> float | None:
        memory = kind == "Memory"
        text = spec.get(f"resource{kind}{which}")
        if text:
            field = f"resource{kind}{which}"
            return parse_quantity(str(text), memory=memory, label=label, field=field)
        legacy = float(spec.get(f"{kind.lower()}{which}") or 0)
        return legacy * (1e9 if memory else 1.0) if legacy > 0 else None

    def whole(value: float | None) -> int | None:
        return None if value is None else round(value)

    accelerator = spec.get("accelerator") or {}
    kind = str(accelerator.get("resourceType") or accelerator.get("type") or "") or None
    count_text = str(accelerator.get("resourceCount") or accelerator.get("count") or "")
    try:
        count = int(float(count_text)) if count_text else 1
    except ValueError as exc:
        raise InvalidPipelineError(
            f"executor '{label}': accelerator count '{count_text}' is not a number"
        ) from exc
    return Resources(
        cpu_request=quantity("Cpu", "Request"),
        cpu_limit=quantity("Cpu", "Limit"),
        memory_request=whole(quantity("Memory", "Request")),
        memory_limit=whole(quantity("Memory", "Limit")),
        accelerator_type=kind,
        # Without a type there is nothing to allocate (Kubernetes ignores a bare count too).
        accelerator_count=count if kind else 0,
    )


def build_executor_input(
    ctx: RunContext,
    component: pipeline_spec_pb2.ComponentSpec,
    inputs: ResolvedInputs,
    path: str,
    attempt_dir: Path,
) -> dict[str, Any]:
    """The executor input of one attempt, with output locations created."""
    task_root = str(ctx.local_task_root(path))
    params_dir = attempt_dir / "outputs"
    params_dir.mkdir(parents=True, exist_ok=True)
    out_artifacts: dict[str, Any] = {}
    for name, spec in component.output_definitions.artifacts.items():
        # Output names come from the spec; "../x" must not write beside the task's root.
        uri = under(task_root, safe_component(name))
        # The Go launcher creates the parent of every output path; container components
        # rely on it (they write straight to the path).
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        out_artifacts[name] = {
            "artifacts": [
                {
                    "name": name,
                    "type": {
                        "schemaTitle": spec.artifact_type.schema_title,
                        "schemaVersion": spec.artifact_type.schema_version or "0.0.1",
                    },
                    "uri": uri,
                    "metadata": {},
                }
            ]
        }
    output_file = Path(task_root) / "executor_output.json"
    output_file.parent.mkdir(parents=True, exist_ok=True)
    output_file.unlink(missing_ok=True)  # a retry must not read the last attempt's output
    return {
        "inputs": {
            "parameterValues": json_ready(inputs.parameters),
            "artifacts": {
                name: {"artifacts": [a.to_executor_json() for a in refs]}
                for name, refs in inputs.artifacts.items()
            },
        },
        "outputs": {
            "parameters": {
                name: {"outputFile": under(str(params_dir), safe_component(name))}
                for name in component.output_definitions.parameters
            },
            "artifacts": out_artifacts,
            "outputFile": str(output_file),
        },
    }


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


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")

# How many lines of a log stand in for the traceback of a component that raised none.
FAILURE_TAIL_LINES = 20
# How many lines of what a component printed before it raised are kept with its traceback.
FAILURE_OUTPUT_LINES = 10


def _log_lines(log_path: Path) -> list[str]:
    """The lines at the end of a log (its last 256 KiB): it may hold gigabytes before them."""
    return [ln.rstrip() for line in tail_lines(log_path, None) for ln in line.splitlines()]


def failure_summary(log_path: Path, exit_code: int) -> str:
    """One line saying why an attempt failed: the component's exception, or its exit code.

    Only the end of the log is read: a task may have printed gigabytes before failing.
    """
    lines = _log_lines(log_path)
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    tail = next((ln for ln in reversed(lines) if ln.strip()), "")
    reason = f"exit code {exit_code}"
    return f"{reason}: {tail}" if tail else reason


def failure_details(
    log_path: Path, exit_code: int, exception: ComponentException | None
) -> dict[str, Any]:
    """What is recorded on a task about a failed attempt (``TaskRow.error_details``).

    ``exception_type``, ``message`` and ``traceback`` come from the exception the component's
    process recorded (its own frames only), and ``output`` holds the last lines its function
    printed before it raised; without an exception (a shell command, a container, a component
    killed by a signal) ``message`` is the one-line reason and ``traceback`` the last lines of
    the log.
    """
    if exception is not None:
        return {
            "exit_code": exit_code,
            "exception_type": exception.type,
            "message": exception.message,
            "traceback": exception.traceback,
            "output": _output_tail(log_path, exception.output),
        }
    tail = "\n".join(_log_lines(log_path)[-FAILURE_TAIL_LINES:]).strip("\n")
    return {
        "exit_code": exit_code,
        "exception_type": None,
        "message": failure_summary(log_path, exit_code),
        "traceback": tail or None,
        "output": None,
    }


# The most of a log read to find the last lines a component printed before it raised.
_OUTPUT_READ_BYTES = 64 * 1024


def _output_tail(log_path: Path, span: tuple[int, int] | None) -> str | None:
    """The last lines the component's function printed before it raised (None: none known)."""
    if span is None:
        return None
    start, end = span
    start = max(start, end - _OUTPUT_READ_BYTES)
    if end <= start:
        return None
    try:
        with log_path.open("rb") as f:
            f.seek(start)
            data = f.read(end - start)
    except OSError:
        return None
    lines = data.decode("utf-8", "replace").splitlines()
    if start > span[0] and lines:
        lines = lines[1:]  # cut mid-line
    text = "\n".join(lines[-FAILURE_OUTPUT_LINES:]).strip("\n")
    return text or None
