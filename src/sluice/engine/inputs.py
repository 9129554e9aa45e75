"""Resolving a task's inputs from its DAG's scope, and binding them to a component."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import RunContext
from sluice.engine.model import ArtifactRef, Scope, TaskResult
from sluice.engine.states import TaskState
from sluice.errors import InvalidArgumentError
from sluice.spec.cel import apply_selector
from sluice.spec.placeholders import resolve_placeholders
from sluice.spec.proto_values import value_from_proto
from sluice.spec.values import cast_parameter

# MLMD execution state names, which the Go backend reports in PipelineTaskFinalStatus.
_FINAL_STATUS_NAMES = {
    TaskState.SUCCEEDED: "COMPLETE",
    TaskState.CACHED: "COMPLETE",
    TaskState.FAILED: "FAILED",
    TaskState.CANCELED: "CANCELED",
    TaskState.SKIPPED: "SKIPPED",
}


@dataclass(kw_only=True)
class ResolvedInputs:
    """A task's inputs after resolution; ``missing`` lists inputs nobody produced."""

    parameters: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, list[ArtifactRef]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)


def resolve_task_inputs(
    ctx: RunContext,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    scope: Scope,
    *,
    task_name: str,
    task_id: str,
) -> ResolvedInputs:
    """Values of ``task.inputs`` read from the scope of the DAG the task lives in."""
    resolved = ResolvedInputs()
    constants: list[str] = []
    for name, spec in task.inputs.parameters.items():
        kind = spec.WhichOneof("kind")
        value: Any
        if kind == "component_input_parameter":
            source = spec.component_input_parameter
            if source not in scope.parameters:
                resolved.missing.add(name)
                continue
            value = scope.parameters[source]
        elif kind == "task_output_parameter":
            ref = spec.task_output_parameter
            result = scope.results.get(ref.producer_task)
            if result is None or ref.output_parameter_key not in result.parameters:
                resolved.missing.add(name)
                continue
            value = result.parameters[ref.output_parameter_key]
        elif kind == "runtime_value":
            value = value_from_proto(spec.runtime_value.constant)
            if isinstance(value, str) and "{{$" in value:
                constants.append(name)
        elif kind == "task_final_status":
            producer = spec.task_final_status.producer_task
            value = final_status(ctx, producer, scope.results.get(producer))
        else:
            resolved.missing.add(name)
            continue
        if spec.parameter_expression_selector:
            value = apply_selector(spec.parameter_expression_selector, value)
        resolved.parameters[name] = value

    for name, art_spec in task.inputs.artifacts.items():
        kind = art_spec.WhichOneof("kind")
        refs: list[ArtifactRef] | None = None
        if kind == "task_output_artifact":
            out = art_spec.task_output_artifact
            result = scope.results.get(out.producer_task)
            if result is not None:
                refs = result.artifacts.get(out.output_artifact_key)
        elif kind == "component_input_artifact":
            refs = scope.artifacts.get(art_spec.component_input_artifact)
        if refs is None:
            resolved.missing.add(name)
        else:
            resolved.artifacts[name] = refs

    # f-strings compile to constants that reference the task's own other inputs, and
    # constants may name job placeholders: resolve them once every other input is known.
    if constants:
        partial = {
            "inputs": {
                "parameterValues": resolved.parameters,
                "artifacts": {
                    n: {"artifacts": [a.to_executor_json() for a in refs]}
                    for n, refs in resolved.artifacts.items()
                },
            }
        }
        job = ctx.job_context(task_name=task_name, task_id=task_id)
        for name in constants:
            resolved.parameters[name] = resolve_placeholders(
                resolved.parameters[name], executor_input=partial, job=job
            )
    return resolved


def final_status(ctx: RunContext, producer: str, result: TaskResult | None) -> dict[str, Any]:
    """The ``PipelineTaskFinalStatus`` value of an upstream task, with Go's state names."""
    state = "FAILED" if result is None else _FINAL_STATUS_NAMES.get(result.state, "FAILED")
    status: dict[str, Any] = {
        "state": state,
        # Go: the run's object name, as {{$.pipeline_job_resource_name}} resolves it.
        "pipelineJobResourceName": ctx.run_name,
        "pipelineTaskName": producer,
        "error": {},
    }
    if result is not None and result.error:
        status["error"] = {"code": 2, "message": result.error}
    return status


def bind_component_inputs(
    component: pipeline_spec_pb2.ComponentSpec, resolved: ResolvedInputs, *, task_path: str
) -> ResolvedInputs:
    """Cast resolved inputs by the component's declared types and fill defaults.

    Inputs the component does not declare (the ``pipelinechannel--`` inputs f-strings
    add) are kept as they are. A required input with no value raises
    :class:`InvalidArgumentError`; the caller fails the task with it.
    """
    bound = ResolvedInputs(
        parameters=dict(resolved.parameters),
        artifacts=dict(resolved.artifacts),
        missing=set(resolved.missing),
    )
    definitions = component.input_definitions
    for name, spec in definitions.parameters.items():
        type_name = pipeline_spec_pb2.ParameterType.ParameterTypeEnum.Name(spec.parameter_type)
        if name in bound.parameters and bound.parameters[name] is not None:
            bound.parameters[name] = cast_parameter(bound.parameters[name], type_name, name=name)
            bound.missing.discard(name)
        elif spec.HasField("default_value"):
            default = value_from_proto(spec.default_value)
            bound.parameters[name] = (
                None if default is None else cast_parameter(default, type_name, name=name)
            )
            bound.missing.discard(name)
        elif spec.is_optional or type_name in ("TASK_FINAL_STATUS", "TASK_CONFIG"):
            bound.parameters.pop(name, None)
            bound.missing.discard(name)
        else:
            raise InvalidArgumentError(
                f"task '{task_path}': input parameter '{name}' has no value "
                "(its producer did not produce it)"
            )
    for name, art in definitions.artifacts.items():
        if name not in bound.artifacts and not art.is_optional:
            raise InvalidArgumentError(
                f"task '{task_path}': input artifact '{name}' has no value "
                "(its producer did not produce it)"
            )
        bound.missing.discard(name)
    return bound
