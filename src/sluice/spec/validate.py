"""Checks made before a run starts: nothing is written to the store if they fail.

* :func:`check_pipeline` — the IR is internally consistent and uses only features
  we can run.
* :func:`platform_warnings` — platform-spec settings that are ignored locally.
* :func:`resolve_arguments` / :func:`parse_cli_arguments` — run arguments, typed (from
  :mod:`sluice.spec.arguments`, re-exported here).
* :func:`task_resources` / :func:`check_resources` (from :mod:`sluice.spec.resources`,
  re-exported here) — can this machine satisfy the CPU, memory and accelerator requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidPipelineError, UnsupportedFeatureError
from sluice.spec.arguments import parameter_type_name, parse_cli_arguments, resolve_arguments
from sluice.spec.graph import (
    dependencies,
    executor_users,
    iter_components,
    producer_tasks,
    topological_order,
    walk_dags,
)
from sluice.spec.loader import LoadedPipeline
from sluice.spec.resources import (
    MachineResources,
    ResourceRequest,
    check_resources,
    machine_resources,
    task_resources,
)

__all__ = [
    "MachineResources",
    "ResourceRequest",
    "check_pipeline",
    "check_resources",
    "machine_resources",
    "parameter_type_name",
    "parse_cli_arguments",
    "platform_warnings",
    "resolve_arguments",
    "task_resources",
]


# --- structure -------------------------------------------------------------------------------


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{n}'" for n in names) if names else "no task"


def check_pipeline(loaded: LoadedPipeline) -> None:
    """Check that the pipeline is consistent and uses only features Sluice runs.

    Raises:
        InvalidPipelineError: a dangling reference or a cycle (named in the message).
        UnsupportedFeatureError: a feature Sluice cannot run (named in the message).
    """
    spec, src = loaded.spec, loaded.source
    executors = loaded.deployment.executors
    if spec.root.WhichOneof("implementation") != "dag":
        raise InvalidPipelineError(f"{src}: the root component is not a DAG; recompile with kfp v2")
    for comp_name, comp in iter_components(spec):
        kind = comp.WhichOneof("implementation")
        if kind is None:
            raise InvalidPipelineError(
                f"{src}: component '{comp_name}' has neither a dag nor an executorLabel"
            )
        if kind == "executor_label" and comp.executor_label not in executors:
            raise InvalidPipelineError(
                f"{src}: component '{comp_name}' names executor '{comp.executor_label}', "
                "which is not in deploymentSpec.executors"
            )
    for dag_name, dag in walk_dags(spec):
        _check_dag(loaded, dag_name, dag)
    _check_component_recursion(spec, src)
    exec_users = executor_users(spec)
    for label in sorted(exec_users):
        executor, tasks = executors[label], _quoted(exec_users[label])
        kind = executor.WhichOneof("spec")
        if kind == "custom_job":
            raise UnsupportedFeatureError(
                f"unsupported: Vertex AI custom job executor (customJob) '{label}' used by task "
                f"{tasks}; it only runs on Vertex AI Pipelines"
            )
        if kind == "resolver":
            raise UnsupportedFeatureError(
                f"unsupported: resolver executor '{label}' used by task {tasks}; "
                "neither kfp.local nor the Go backend runs it"
            )
        if kind is None:
            raise InvalidPipelineError(
                f"{src}: executor '{label}' (task {tasks}) has no container or importer"
            )


def _check_dag(loaded: LoadedPipeline, dag_name: str, dag: pipeline_spec_pb2.DagSpec) -> None:
    spec, src = loaded.spec, loaded.source
    where = f"in DAG '{dag_name}'"
    parent = spec.root if dag_name == "root" else spec.components[dag_name]
    for task_name in sorted(dag.tasks):
        task = dag.tasks[task_name]
        ref = task.component_ref.name
        if ref not in spec.components:
            raise InvalidPipelineError(
                f"{src}: task '{task_name}' {where} refers to unknown component '{ref}'"
            )
        unknown = sorted((producer_tasks(task) | set(task.dependent_tasks)) - set(dag.tasks))
        if unknown:
            raise InvalidPipelineError(
                f"{src}: task '{task_name}' {where} depends on {_quoted(unknown)}, "
                "which is not a task of that DAG"
            )
        _check_task_inputs(f"{src}: task '{task_name}' {where}", task, parent.input_definitions)
        if task.WhichOneof("iterator") == "artifact_iterator":
            raise UnsupportedFeatureError(
                "unsupported: ParallelFor over a list of artifacts (artifactIterator) in task "
                f"'{task_name}'; the Go backend does not support it either"
            )
    for out_name, out in dag.outputs.parameters.items():
        selectors = (
            [out.value_from_parameter.producer_subtask]
            if out.WhichOneof("kind") == "value_from_parameter"
            else [s.producer_subtask for s in out.value_from_oneof.parameter_selectors]
        )
        _check_subtasks(src, dag_name, dag, out_name, selectors)
    for out_name, art in dag.outputs.artifacts.items():
        _check_subtasks(
            src, dag_name, dag, out_name, [s.producer_subtask for s in art.artifact_selectors]
        )
    topological_order(dependencies(dag), dag_name=dag_name)


def _check_task_inputs(
    who: str,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    parent_inputs: pipeline_spec_pb2.ComponentInputsSpec,
) -> None:
    """Inputs read from the enclosing DAG must be declared by it."""
    for key, param in task.inputs.parameters.items():
        wanted = param.component_input_parameter
        if param.WhichOneof("kind") == "component_input_parameter" and (
            wanted not in parent_inputs.parameters
        ):
            raise InvalidPipelineError(
                f"{who} reads parameter '{wanted}' (for input '{key}'), "
                "which its DAG does not declare"
            )
    for key, art in task.inputs.artifacts.items():
        wanted = art.component_input_artifact
        if art.WhichOneof("kind") == "component_input_artifact" and (
            wanted not in parent_inputs.artifacts
        ):
            raise InvalidPipelineError(
                f"{who} reads artifact '{wanted}' (for input '{key}'), "
                "which its DAG does not declare"
            )
    iterator = task.parameter_iterator
    if task.WhichOneof("iterator") == "parameter_iterator" and (
        iterator.items.WhichOneof("kind") == "input_parameter"
        and iterator.items.input_parameter not in task.inputs.parameters
    ):
        raise InvalidPipelineError(
            f"{who} loops over input '{iterator.items.input_parameter}', "
            "which is not one of its inputs"
        )


def _check_subtasks(
    src: str, dag_name: str, dag: pipeline_spec_pb2.DagSpec, output: str, subtasks: list[str]
) -> None:
    for subtask in subtasks:
        if subtask not in dag.tasks:
            raise InvalidPipelineError(
                f"{src}: output '{output}' of DAG '{dag_name}' comes from task '{subtask}', "
                "which is not a task of that DAG"
            )


def _check_component_recursion(spec: pipeline_spec_pb2.PipelineSpec, src: str) -> None:
    # A DAG that (indirectly) contains itself would expand forever at run time.
    children = {
        name: sorted({t.component_ref.name for t in dag.tasks.values()})
        for name, dag in walk_dags(spec)
    }
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            chain = " -> ".join([*path[path.index(name) :], name])
            raise InvalidPipelineError(f"{src}: component '{name}' contains itself: {chain}")
        if name in done:
            return
        for child in children.get(name, []):
            visit(child, [*path, name])
        done.add(name)

    for name in children:
        visit(name, [])


# --- platform spec ---------------------------------------------------------------------------


def platform_warnings(loaded: LoadedPipeline) -> list[str]:
    """Platform-spec settings (kubernetes secrets, node selectors, ...) ignored locally.

    These never fail a run: the pipeline is still meaningful without them.
    """
    warnings: list[str] = []
    exec_users = executor_users(loaded.spec)
    platforms = loaded.platform_spec.platforms if loaded.platform_spec is not None else {}
    for platform_name in sorted(platforms):
        single = platforms[platform_name]
        if platform_name != "kubernetes":
            warnings.append(f"ignored locally: '{platform_name}' platform settings")
            continue
        by_setting: dict[str, list[str]] = {}
        for label, settings in single.deployment_spec.executors.items():
            for key in settings.fields:
                by_setting.setdefault(key, []).extend(exec_users.get(label, [label]))
        for key in sorted(by_setting):
            warnings.append(
                f"ignored locally: kubernetes '{key}' (task {_quoted(sorted(by_setting[key]))})"
            )
        config = json_format.MessageToDict(single.pipelineConfig)
        # The workspace itself is provided locally; only its Kubernetes sizing is moot.
        for key in sorted(k for k in config if k != "workspace"):
            warnings.append(f"ignored locally: kubernetes pipelineConfig '{key}'")
        if single.config.fields:
            warnings.append("ignored locally: kubernetes platform config")
    for comp_name, comp in iter_components(loaded.spec):
        if len(comp.single_platform_specs):
            warnings.append(f"ignored locally: platform specs of component '{comp_name}'")
    return warnings
