"""What one attempt of a container task is given: its executor input, command line,
environment and resources, resolved from the task's inputs.

Everything a container task receives is decided here, never in an executor, so every
executor gets the same (see "How to add a DSL feature" in docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext, json_ready
from sluice.engine.inputs import ResolvedInputs
from sluice.engine.layout import AttemptLayout
from sluice.errors import InvalidPipelineError
from sluice.executors.base import Resources
from sluice.names import safe_component, under
from sluice.spec.placeholders import JobContext, expand_structured_args, resolve_placeholders
from sluice.spec.resources import parse_quantity
from sluice.store.models import TaskRow

# The IR's container spec message (kfp's protobuf modules are untyped).
ContainerSpec = Any


def resolved_resource_spec(
    ctx: RunContext, record: TaskRow, inputs: ResolvedInputs
) -> dict[str, Any]:
    """The task's recorded resources with values set from upstream outputs filled in."""
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
    files: AttemptLayout,
) -> dict[str, Any]:
    """The executor input of one attempt, with output locations (and the attempt's
    directories) created."""
    task_root = str(ctx.layout.local_task_root(path))
    params_dir = files.outputs
    made = ctx.layout.made
    files.create(made)
    out_artifacts: dict[str, Any] = {}
    for name, spec in component.output_definitions.artifacts.items():
        # Output names come from the spec; "../x" must not write beside the task's root.
        uri = under(task_root, safe_component(name))
        # The Go launcher creates the parent of every output path; container components
        # rely on it (they write straight to the path).
        made.ensure(os.path.dirname(uri))
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
    output_file = ctx.layout.executor_output(path)
    if not made.ensure(str(output_file.parent)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(output_file)  # a retry must not read the last attempt's output
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


@dataclass(frozen=True, kw_only=True)
class CommandLine:
    """The resolved command and environment of one attempt."""

    command: list[str]
    env: dict[str, str]


# Command shapes kept per run (a run has one per component and set of present inputs).
_MAX_SHAPES = 1024


@dataclass(frozen=True)
class _CommandShape:
    """A container's command and arguments with ``Concat``/``IfPresent`` expanded for one
    set of present inputs: the same for every task of that shape, so worked out once."""

    args: tuple[str, ...]
    # The indexes of the arguments that hold ``{{$...}}`` placeholders.
    templated: tuple[int, ...]
    optional: frozenset[str]


def _command_shape(
    container: ContainerSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    present: frozenset[str],
    shapes: dict[Any, Any] | None,
) -> _CommandShape:
    key = (id(container), id(component), present)
    cached = shapes.get(key) if shapes is not None else None
    if cached is not None and cached[0] is container and cached[1] is component:
        found: _CommandShape = cached[2]
        return found
    definitions = component.input_definitions
    optional = frozenset(
        {n for n, p in definitions.parameters.items() if p.is_optional}
        | {n for n, a in definitions.artifacts.items() if a.is_optional}
    )
    args = tuple(
        expand_structured_args([*container.command, *container.args], present_inputs=present)
    )
    shape = _CommandShape(
        args=args,
        templated=tuple(i for i, arg in enumerate(args) if "{{$" in arg),
        optional=optional,
    )
    if shapes is not None:  # the messages are kept: their ids stay their own
        if len(shapes) >= _MAX_SHAPES:  # a bound, should messages ever be rebuilt per call
            shapes.clear()
        shapes[key] = (container, component, shape)
    return shape


def resolve_command(
    container: ContainerSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    inputs: ResolvedInputs,
    *,
    executor_input: dict[str, Any],
    job: JobContext,
    shapes: dict[Any, Any] | None = None,
) -> CommandLine:
    """The container's command, arguments and env with every placeholder substituted.

    ``shapes`` (``RunContext.command_shapes``) keeps each container's expanded arguments
    for the run, so only the arguments with placeholders are resolved per attempt.
    """
    # Go treats an input whose value is null as absent (IfPresent takes its Else branch).
    present = frozenset(
        {k for k, v in inputs.parameters.items() if v is not None} | set(inputs.artifacts)
    )
    shape = _command_shape(container, component, present, shapes)
    optional = shape.optional
    command = list(shape.args)
    for index in shape.templated:
        command[index] = resolve_placeholders(
            command[index], executor_input=executor_input, job=job, optional_inputs=optional
        )
    env = {
        e.name: resolve_placeholders(
            e.value, executor_input=executor_input, job=job, optional_inputs=optional
        )
        for e in container.env
    }
    return CommandLine(command=command, env=env)
