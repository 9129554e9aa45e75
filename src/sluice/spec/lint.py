"""``sluice validate``'s checks: everything we can find wrong with a pipeline without running it.

:func:`lint_pipeline` returns every finding rather than stopping at the first, each naming a
task, the problem and its fix. It reuses the checks a run makes before it starts
(:func:`sluice.spec.validate.check_pipeline`, :func:`sluice.spec.resources.check_resources`)
and adds the ones that only show at run time otherwise: constant arguments of the wrong type,
required inputs given no value, placeholders naming inputs or outputs that do not exist, and
mistakes in a lightweight component's function (:mod:`sluice.spec.lint_source`). Pure: reads
nothing but the loaded pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import PlaceholderError, UserInputError
from sluice.spec.graph import iter_components, task_users, walk_dags
from sluice.spec.lint_source import embedded_function, source_problems
from sluice.spec.loader import LoadedPipeline
from sluice.spec.placeholders import JobContext, resolve_placeholders
from sluice.spec.resources import MachineResources, check_resources
from sluice.spec.validate import check_pipeline

__all__ = ["Finding", "lint_pipeline"]

_PIPELINE = "(pipeline)"
_Type = pipeline_spec_pb2.ParameterType.ParameterTypeEnum
_TYPE_NAMES = {
    _Type.NUMBER_INTEGER: "an integer",
    _Type.NUMBER_DOUBLE: "a number",
    _Type.STRING: "a string",
    _Type.BOOLEAN: "a boolean",
    _Type.LIST: "a list",
    _Type.STRUCT: "a dict",
}


@dataclass(frozen=True)
class Finding:
    """One problem: the task it is in (``(pipeline)`` for the whole), what is wrong, the fix."""

    task: str
    problem: str
    fix: str

    def line(self, source: str) -> str:
        """``source: task: problem — fix``, the line ``sluice validate`` prints."""
        return f"{source}: {self.task}: {self.problem} — {self.fix}"


def lint_pipeline(
    loaded: LoadedPipeline, *, machine: MachineResources | None = None
) -> list[Finding]:
    """Every finding in ``loaded``, in a stable order; empty when the pipeline is clean.

    Args:
        loaded: the strictly parsed pipeline.
        machine: the resources of the target that will run it; this machine's if omitted.
    """
    findings: list[Finding] = []
    try:
        check_pipeline(loaded)
    except UserInputError as exc:
        # The structure is broken: the later checks would trip over the same break.
        text = str(exc).removeprefix(f"{loaded.source}: ")
        return [Finding(_PIPELINE, text, "fix the pipeline definition and recompile")]
    findings.extend(_constant_arguments(loaded.spec))
    findings.extend(_placeholders(loaded))
    findings.extend(_function_sources(loaded))
    try:
        problems = check_resources(loaded, allow_unsatisfiable=True, machine=machine)
    except UserInputError as exc:
        problems = [str(exc)]
    for problem in problems:
        task, _, rest = problem.partition(" asks for ")
        # "task 'a', 'b'" (the tasks sharing the executor) -> "a, b"
        name = task.removeprefix("task ").replace("'", "") if rest else _PIPELINE
        findings.append(
            Finding(
                name,
                f"asks for {rest}" if rest else problem,
                "lower the request, or run it where the resources exist "
                "(--allow-unsatisfiable-resources to run anyway)",
            )
        )
    return findings


# --- constant arguments ----------------------------------------------------------------------


def _matches(value: object, wanted: int) -> bool:
    if wanted == _Type.NUMBER_INTEGER:
        # The IR has one number type: an integer constant is a double with no fraction.
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value)
        )
    if wanted == _Type.NUMBER_DOUBLE:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if wanted == _Type.STRING:
        return isinstance(value, str)
    if wanted == _Type.BOOLEAN:
        return isinstance(value, bool)
    if wanted == _Type.LIST:
        return isinstance(value, list)
    if wanted == _Type.STRUCT:
        return isinstance(value, dict)
    return True


def _constant_arguments(spec: pipeline_spec_pb2.PipelineSpec) -> Iterator[Finding]:
    for _, dag in walk_dags(spec):
        for task_name in sorted(dag.tasks):
            task = dag.tasks[task_name]
            inputs = spec.components[task.component_ref.name].input_definitions
            for key in sorted(task.inputs.parameters):
                given = task.inputs.parameters[key]
                declared = inputs.parameters.get(key)
                # kfp passes a task inputs its component does not declare (pipeline channels,
                # resource quantities set from a parameter); the backends ignore them.
                if declared is None:
                    continue
                if given.WhichOneof("kind") != "runtime_value":
                    continue
                value = json_format.MessageToDict(given.runtime_value.constant)
                if isinstance(value, str) and "{{$" in value:
                    continue  # filled in at run time
                if not _matches(value, declared.parameter_type):
                    yield Finding(
                        task_name,
                        f"input '{key}' is given {value!r} but the component declares "
                        f"{_TYPE_NAMES.get(declared.parameter_type, 'another type')}",
                        "pass a value of the declared type",
                    )
            yield from _missing_inputs(task_name, task, spec.components[task.component_ref.name])


def _missing_inputs(
    task_name: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    component: pipeline_spec_pb2.ComponentSpec,
) -> Iterator[Finding]:
    declared = component.input_definitions
    # A loop's item is given by its iterator, not by an argument.
    iterated = {task.parameter_iterator.item_input, task.artifact_iterator.item_input} - {""}
    for key in sorted(declared.parameters):
        spec = declared.parameters[key]
        given = key in task.inputs.parameters or key in iterated
        if spec.is_optional or spec.HasField("default_value") or given:
            continue
        yield Finding(task_name, f"input '{key}' has no value and no default", "pass it a value")
    for key in sorted(declared.artifacts):
        if declared.artifacts[key].is_optional or key in task.inputs.artifacts or key in iterated:
            continue
        yield Finding(
            task_name, f"input artifact '{key}' has no value", "pass it an upstream output"
        )


# --- placeholders ----------------------------------------------------------------------------


def _dummy_executor_input(component: pipeline_spec_pb2.ComponentSpec) -> dict[str, object]:
    """An executor input with a value for everything the component declares."""

    def artifacts(names: Iterator[str], folder: str) -> dict[str, object]:
        return {
            name: {"artifacts": [{"uri": f"file:///lint/{folder}/{name}", "metadata": {}}]}
            for name in names
        }

    inputs, outputs = component.input_definitions, component.output_definitions
    return {
        "inputs": {
            "parameterValues": {name: "" for name in inputs.parameters},
            "artifacts": artifacts(iter(inputs.artifacts), "in"),
        },
        "outputs": {
            "parameters": {
                name: {"outputFile": f"/lint/out/{name}"} for name in outputs.parameters
            },
            "artifacts": artifacts(iter(outputs.artifacts), "out"),
            "outputFile": "/lint/executor_output.json",
        },
    }


_JOB = JobContext(
    job_name="lint",
    job_resource_name="lint",
    job_uuid="lint",
    task_name="lint",
    task_uuid="lint",
    pipeline_root="/lint/root",
    create_time_utc="1970-01-01T00:00:00Z",
    schedule_time_utc="1970-01-01T00:00:00Z",
    workspace_path="/lint/workspace",
)


def _executors_by_component(
    loaded: LoadedPipeline,
) -> Iterator[tuple[str, pipeline_spec_pb2.ComponentSpec, list[str], list[str]]]:
    """(task names, component, command, args) of every container component that tasks use."""
    users = task_users(loaded.spec)
    executors = loaded.deployment.executors
    for comp_name, comp in iter_components(loaded.spec):
        if comp.WhichOneof("implementation") != "executor_label":
            continue
        executor = executors[comp.executor_label]
        if executor.WhichOneof("spec") != "container" or not users.get(comp_name):
            continue
        tasks = ", ".join(sorted(users[comp_name]))
        yield tasks, comp, list(executor.container.command), list(executor.container.args)


def _placeholders(loaded: LoadedPipeline) -> Iterator[Finding]:
    for tasks, comp, command, args in _executors_by_component(loaded):
        executor_input = _dummy_executor_input(comp)
        for text in [*command, *args]:
            try:
                resolve_placeholders(text, executor_input=executor_input, job=_JOB)
            except PlaceholderError as exc:
                yield Finding(tasks, str(exc), "name an input or output the component declares")
            except UserInputError:
                continue  # a path for a remote URI: only decidable at run time


def _function_sources(loaded: LoadedPipeline) -> Iterator[Finding]:
    for tasks, comp, command, args in _executors_by_component(loaded):
        embedded = embedded_function(command, args)
        if embedded is None:
            continue
        outputs = comp.output_definitions
        for problem in source_problems(
            embedded,
            output_parameters=sorted(outputs.parameters),
            output_artifacts=sorted(outputs.artifacts),
        ):
            yield Finding(tasks, f"{embedded.function.name}() {problem.problem}", problem.fix)
