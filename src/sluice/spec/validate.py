"""Checks made before a run starts: nothing is written to the store if they fail.

* :func:`check_pipeline` — the IR is internally consistent and uses only features
  we can run.
* :func:`platform_warnings` — platform-spec settings that are ignored locally.
* :func:`resolve_arguments` / :func:`parse_cli_arguments` — run arguments, typed.
* :func:`task_resources` / :func:`check_resources` (from :mod:`sluice.spec.resources`,
  re-exported here) — can this machine satisfy the CPU, memory and accelerator requests.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import (
    InvalidArgumentError,
    InvalidPipelineError,
    UnsupportedFeatureError,
)
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
from sluice.spec.safe_yaml import MAX_DEPTH, JsonTooDeepError, LimitedLoader, check_depth
from sluice.spec.values import (
    cast_parameter,
    check_portable,
    parse_cli_value,
    type_name,
    value_from_proto,
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

_ParameterSpec: TypeAlias = pipeline_spec_pb2.ComponentInputsSpec.ParameterSpec
_ArtifactSpec: TypeAlias = pipeline_spec_pb2.ComponentInputsSpec.ArtifactSpec
# Filled in by the backend, never by the user.
_BACKEND_FILLED = ("TASK_FINAL_STATUS", "TASK_CONFIG")


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


# --- arguments -------------------------------------------------------------------------------


def parameter_type_name(param: _ParameterSpec) -> str:
    """The declared type of a parameter, e.g. ``"NUMBER_INTEGER"`` (legacy ``type`` mapped)."""
    if param.parameter_type or not param.type:
        return type_name(int(param.parameter_type))
    # Schema 2.0.0 IR declared INT / DOUBLE / STRING in the old ``type`` field.
    return type_name(str(pipeline_spec_pb2.PrimitiveType.PrimitiveTypeEnum.Name(param.type)))


def _inputs(loaded: LoadedPipeline) -> tuple[dict[str, _ParameterSpec], dict[str, _ArtifactSpec]]:
    definitions = loaded.spec.root.input_definitions
    params = {
        name: definitions.parameters[name]
        for name in sorted(definitions.parameters)
        if parameter_type_name(definitions.parameters[name]) not in _BACKEND_FILLED
    }
    artifacts = {name: definitions.artifacts[name] for name in sorted(definitions.artifacts)}
    return params, artifacts


def _check_known(loaded: LoadedPipeline, name: str) -> None:
    params, artifacts = _inputs(loaded)
    if name in params or name in artifacts:
        return
    declared = loaded.spec.root.input_definitions.parameters
    if name in declared:
        kind = parameter_type_name(declared[name])
        raise InvalidArgumentError(f"parameter '{name}' ({kind}) is filled in by Sluice; omit it")
    known = [*params, *artifacts]
    if not known:
        raise InvalidArgumentError(
            f"unknown parameter '{name}': pipeline '{loaded.name}' takes no parameters"
        )
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise InvalidArgumentError(
        f"unknown parameter '{name}' for pipeline '{loaded.name}'; {hint}"
        f"known parameters: {', '.join(known)}"
    )


def _check_artifact(name: str, spec: _ArtifactSpec, value: Any) -> None:
    items = value if spec.is_artifact_list and isinstance(value, (list, tuple)) else [value]
    for item in items:
        ok = isinstance(item, str) and bool(item)
        if isinstance(item, Mapping):
            ok = (
                isinstance(item.get("uri"), str)
                and set(item) <= {"uri", "metadata"}
                and isinstance(item.get("metadata", {}), Mapping)
            )
        if not ok:
            shape = "a list of those" if spec.is_artifact_list else "a URI string"
            raise InvalidArgumentError(
                f"input artifact '{name}' must be a URI string or "
                f"{{'uri': ..., 'metadata': {{...}}}} ({shape}), got {item!r}"
            )


def resolve_arguments(
    loaded: LoadedPipeline, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Validate run arguments against the pipeline inputs, cast them, and fill defaults.

    Parameters are cast by their declared type; optional ones without a default
    and not given are left out. Input artifacts are kept as given (URI string or
    ``{"uri": ..., "metadata": {...}}``).

    Raises:
        InvalidArgumentError: unknown name, missing required input, wrong type, or a
            value outside the declared ``literals``.
    """
    given = dict(arguments or {})
    for name in given:
        _check_known(loaded, name)
    params, artifacts = _inputs(loaded)
    resolved: dict[str, Any] = {}
    missing: list[tuple[str, str, str]] = []  # (name, type, what to pass)
    for name, param in params.items():
        kind = parameter_type_name(param)
        if given.get(name) is not None:
            value = cast_parameter(given[name], kind, name=name)
            check_portable(value, kind, name=name)
        elif param.HasField("default_value") and value_from_proto(param.default_value) is not None:
            value = cast_parameter(value_from_proto(param.default_value), kind, name=name)
        elif param.is_optional:
            continue
        else:
            missing.append((name, kind, "VALUE"))
            continue
        if len(param.literals):
            allowed = [cast_parameter(value_from_proto(v), kind, name=name) for v in param.literals]
            if value not in allowed:
                raise InvalidArgumentError(
                    f"parameter '{name}' must be one of {allowed!r}, got {value!r}"
                )
        resolved[name] = value
    for name, art in artifacts.items():
        if given.get(name) is not None:
            _check_artifact(name, art, given[name])
            resolved[name] = given[name]
        elif not art.is_optional:
            missing.append((name, art.artifact_type.schema_title or "artifact", "URI"))
    if missing:
        raise _missing_error(missing)
    return resolved


def _missing_error(missing: list[tuple[str, str, str]]) -> InvalidArgumentError:
    if len(missing) == 1:
        name, kind, what = missing[0]
        if what == "URI":
            return InvalidArgumentError(
                f"missing required input artifact '{name}' ({kind}); "
                f"pass its URI with -p {name}=URI"
            )
        return InvalidArgumentError(
            f"missing required parameter '{name}' ({kind}); pass it with -p {name}=VALUE"
        )
    listing = ", ".join(f"'{name}' ({kind})" for name, kind, _ in missing)
    flags = " ".join(f"-p {name}={what}" for name, _, what in missing)
    return InvalidArgumentError(f"missing required parameters {listing}; pass them with {flags}")


def _params_too_deep(path: Path) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"parameters file {path} nests lists or mappings too deeply (nested deeper than "
        f"{MAX_DEPTH} levels): flatten its values"
    )


def _read_params_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidArgumentError(f"no such parameters file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"cannot read parameters file {path}: {exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
            check_depth(data)
        else:
            data = yaml.load(text, Loader=LimitedLoader)
    except (RecursionError, JsonTooDeepError):  # json.loads recurses once per level
        raise _params_too_deep(path) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        # libyaml's scanner has a nesting limit of its own (1000 flow levels).
        if isinstance(exc, yaml.YAMLError) and "nesting depth" in str(exc):
            raise _params_too_deep(path) from None
        raise InvalidArgumentError(
            f"parameters file {path} is not valid JSON/YAML: {' '.join(str(exc).split())}"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InvalidArgumentError(
            f"parameters file {path} must hold a mapping of parameter name to value"
        )
    return data


def parse_cli_arguments(
    loaded: LoadedPipeline, pairs: Sequence[str], params_file: Path | None = None
) -> dict[str, Any]:
    """Parse ``-p name=value`` strings (typed by the declared inputs) and a params file.

    A ``-p`` value wins over the same name in the file. Artifact inputs take a URI,
    or a JSON object ``{"uri": ..., "metadata": {...}}``.

    Raises:
        InvalidArgumentError: a pair without ``=``, an unknown name, an unparsable value,
            or a bad parameters file.
    """
    result: dict[str, Any] = _read_params_file(params_file) if params_file is not None else {}
    for name in result:
        _check_known(loaded, name)
    params, artifacts = _inputs(loaded)
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidArgumentError(f"bad parameter '{pair}': expected NAME=VALUE")
        _check_known(loaded, name)
        if name in params:
            result[name] = parse_cli_value(text, parameter_type_name(params[name]), name=name)
        elif text.lstrip().startswith(("{", "[")):
            try:
                result[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(
                    f"input artifact '{name}': invalid JSON: {exc.msg} ({text!r})"
                ) from exc
            except RecursionError:
                raise InvalidArgumentError(
                    f"input artifact '{name}': its JSON nests too deeply; pass "
                    '{"uri": ..., "metadata": {...}}'
                ) from None
        else:
            list_input = artifacts[name].is_artifact_list
            result[name] = [u for u in text.split(",") if u] if list_input else text
    return result
