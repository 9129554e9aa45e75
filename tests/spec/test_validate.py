"""Tests for sluice.spec.validate (structure, platform warnings) and sluice.spec.arguments."""

# No `from __future__ import annotations`: kfp reads component annotations at runtime.

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from kfp import dsl

from sluice.errors import InvalidArgumentError, InvalidPipelineError, UnsupportedFeatureError
from sluice.spec.arguments import parameter_type_name, parse_cli_arguments, resolve_arguments
from sluice.spec.loader import LoadedPipeline, load_pipeline
from sluice.spec.validate import check_pipeline, platform_warnings

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def step(n: int) -> int:
    return n + 1


@dsl.component(base_image=IMAGE)
def consume(ds: dsl.Input[dsl.Dataset], flag: bool = False) -> str:
    return ds.uri


@dsl.component(base_image=IMAGE)
def make_artifact(data: str) -> dsl.Artifact:
    return dsl.Artifact(uri=dsl.get_uri())


@dsl.component(base_image=IMAGE)
def show(a: dsl.Input[dsl.Artifact]) -> str:
    return a.name


@dsl.component(base_image=IMAGE)
def report(status: dsl.PipelineTaskFinalStatus) -> None:
    print(status.state)


@dsl.pipeline
def chain(rows: int, seed: int = 3, ratio: float = 0.5, name: str = "x") -> int:
    a = step(n=rows)
    b = step(n=a.output)
    return step(n=b.output).output


@dsl.pipeline
def inner(n: int = 1) -> int:
    return step(n=n).output


@dsl.pipeline
def rich(flag: bool = True, items: list[int] = [1, 2]) -> None:  # noqa: B006 - kfp default
    done = report()
    with dsl.ExitHandler(done):
        with dsl.If(flag == True):  # noqa: E712 - kfp builds a condition from ==
            step(n=inner(n=2).output)
        with dsl.ParallelFor(items, parallelism=2) as item:
            step(n=item)


@dsl.pipeline
def with_inputs(ds: dsl.Input[dsl.Dataset], maybe: dsl.Input[dsl.Dataset] = None) -> None:
    consume(ds=ds)


@dsl.pipeline
def make_artifacts(texts: list[str] = ["a", "b"]) -> list[dsl.Artifact]:  # noqa: B006
    with dsl.ParallelFor(texts) as text:
        made = make_artifact(data=text)
    return dsl.Collected(made.output)


@dsl.pipeline
def loop_over_artifacts() -> None:
    with dsl.ParallelFor(make_artifacts().output) as item:
        show(a=item)


def _doc(pipeline: Any) -> dict[str, Any]:
    return load_pipeline(pipeline).to_dict()["pipeline_spec"]


def _check_doc(doc: dict[str, Any]) -> None:
    check_pipeline(load_pipeline(doc))


# --- check_pipeline --------------------------------------------------------------------------


def test_valid_pipelines_pass() -> None:
    for pipeline in (chain, rich, with_inputs, inner, step):
        check_pipeline(load_pipeline(pipeline))


def test_cycle_made_by_hand_editing() -> None:
    doc = _doc(chain)
    doc["root"]["dag"]["tasks"]["step"]["dependentTasks"] = ["step-3"]
    with pytest.raises(InvalidPipelineError) as info:
        _check_doc(doc)
    assert "cycle in DAG 'root': step -> step-2 -> step-3 -> step;" in str(info.value)


def test_cycle_inside_a_sub_dag() -> None:
    doc = _doc(rich)
    loop = next(name for name in doc["components"] if name.startswith("comp-for-loop-"))
    task = doc["components"][loop]["dag"]["tasks"]["step-2"]
    task["inputs"]["parameters"]["n"] = {
        "taskOutputParameter": {"producerTask": "step-2", "outputParameterKey": "Output"}
    }
    with pytest.raises(InvalidPipelineError, match=f"cycle in DAG '{loop}': step-2 -> step-2"):
        _check_doc(doc)


def test_unknown_component_ref() -> None:
    doc = _doc(chain)
    doc["root"]["dag"]["tasks"]["step-2"]["componentRef"]["name"] = "comp-nope"
    with pytest.raises(InvalidPipelineError) as info:
        _check_doc(doc)
    assert str(info.value) == (
        "<dict>: task 'step-2' in DAG 'root' refers to unknown component 'comp-nope'"
    )


def test_unknown_executor_label() -> None:
    doc = _doc(chain)
    doc["components"]["comp-step"]["executorLabel"] = "exec-gone"
    with pytest.raises(InvalidPipelineError, match="names executor 'exec-gone', which is not in"):
        _check_doc(doc)


def test_producer_that_is_not_a_sibling() -> None:
    doc = _doc(chain)
    param = doc["root"]["dag"]["tasks"]["step-2"]["inputs"]["parameters"]["n"]
    param["taskOutputParameter"]["producerTask"] = "for-loop-9"
    with pytest.raises(InvalidPipelineError) as info:
        _check_doc(doc)
    assert str(info.value) == (
        "<dict>: task 'step-2' in DAG 'root' depends on 'for-loop-9', "
        "which is not a task of that DAG"
    )


def test_dag_output_from_a_missing_task() -> None:
    doc = _doc(chain)
    out = doc["root"]["dag"]["outputs"]["parameters"]["Output"]["valueFromParameter"]
    out["producerSubtask"] = "ghost"
    with pytest.raises(InvalidPipelineError, match="output 'Output' of DAG 'root' comes from task"):
        _check_doc(doc)


def test_undeclared_component_input() -> None:
    doc = _doc(chain)
    doc["root"]["dag"]["tasks"]["step"]["inputs"]["parameters"]["n"] = {
        "componentInputParameter": "row"
    }
    with pytest.raises(InvalidPipelineError, match="reads parameter 'row' \\(for input 'n'\\)"):
        _check_doc(doc)


def test_root_must_be_a_dag() -> None:
    doc = _doc(chain)
    doc["root"] = {"executorLabel": "exec-step"}
    with pytest.raises(InvalidPipelineError, match="the root component is not a DAG"):
        _check_doc(doc)


def test_component_containing_itself() -> None:
    doc = _doc(rich)
    inner_name = next(n for n in doc["components"] if n.startswith("comp-inner"))
    doc["components"][inner_name]["dag"]["tasks"]["step"]["componentRef"]["name"] = inner_name
    with pytest.raises(InvalidPipelineError, match=f"component '{inner_name}' contains itself"):
        _check_doc(doc)


def test_artifact_iterator_is_unsupported() -> None:
    loaded = load_pipeline(loop_over_artifacts)
    with pytest.raises(UnsupportedFeatureError) as info:
        check_pipeline(loaded)
    assert str(info.value).startswith("unsupported: ParallelFor over a list of artifacts ")
    assert str(info.value).endswith("; the Go backend does not support it either")
    assert "(artifactIterator) in task 'for-loop-" in str(info.value)


def test_custom_job_and_resolver_executors_are_unsupported() -> None:
    doc = _doc(chain)
    doc["deploymentSpec"]["executors"]["exec-step-2"] = {"customJob": {"customJob": {}}}
    with pytest.raises(UnsupportedFeatureError) as info:
        _check_doc(doc)
    assert str(info.value) == (
        "unsupported: Vertex AI custom job executor (customJob) 'exec-step-2' used by task "
        "'step-2'; it only runs on Vertex AI Pipelines"
    )
    doc = _doc(chain)
    doc["deploymentSpec"]["executors"]["exec-step-3"] = {"resolver": {}}
    with pytest.raises(UnsupportedFeatureError, match="resolver executor 'exec-step-3'"):
        _check_doc(doc)


# --- platform_warnings -----------------------------------------------------------------------


def test_platform_warnings_name_the_setting_and_tasks() -> None:
    platform = {
        "platforms": {
            "kubernetes": {
                "deploymentSpec": {
                    "executors": {
                        "exec-step": {"secretAsEnv": [{"secretName": "s"}], "nodeSelector": {}},
                        "exec-step-2": {"secretAsEnv": [{"secretName": "s"}]},
                    }
                },
                "pipelineConfig": {"resourceTtlOnCompletion": 60, "workspace": {"size": "1Gi"}},
            }
        }
    }
    loaded = load_pipeline({"pipeline_spec": _doc(chain), "platform_spec": platform})
    check_pipeline(loaded)  # platform settings never fail a run
    assert platform_warnings(loaded) == [
        "ignored locally: kubernetes 'nodeSelector' (task 'step')",
        "ignored locally: kubernetes 'secretAsEnv' (task 'step', 'step-2')",
        "ignored locally: kubernetes pipelineConfig 'resourceTtlOnCompletion'",
    ]
    assert platform_warnings(load_pipeline(chain)) == []


def test_platform_warnings_for_another_platform() -> None:
    platform = {"platforms": {"vertex": {"platform": "vertex"}}}
    loaded = load_pipeline({"pipeline_spec": _doc(chain), "platform_spec": platform})
    assert platform_warnings(loaded) == ["ignored locally: 'vertex' platform settings"]


# --- resolve_arguments -----------------------------------------------------------------------


def test_defaults_are_filled_and_cast() -> None:
    loaded = load_pipeline(chain)
    args = resolve_arguments(loaded, {"rows": 10})
    assert args == {"rows": 10, "seed": 3, "ratio": 0.5, "name": "x"}
    assert type(args["seed"]) is int
    args = resolve_arguments(loaded, {"rows": 10.0, "ratio": 1, "name": "y"})
    assert args == {"rows": 10, "seed": 3, "ratio": 1.0, "name": "y"}
    assert type(args["rows"]) is int
    assert type(args["ratio"]) is float


def test_list_default_and_bool() -> None:
    args = resolve_arguments(load_pipeline(rich), None)
    assert args == {"flag": True, "items": [1, 2]}


def test_missing_required_parameter() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve_arguments(load_pipeline(chain), {})
    assert str(info.value) == (
        "missing required parameter 'rows' (NUMBER_INTEGER); pass it with -p rows=VALUE"
    )


def test_several_missing_inputs_in_one_message() -> None:
    doc = _doc(chain)
    del doc["root"]["inputDefinitions"]["parameters"]["seed"]["defaultValue"]
    del doc["root"]["inputDefinitions"]["parameters"]["seed"]["isOptional"]
    with pytest.raises(InvalidArgumentError) as info:
        resolve_arguments(load_pipeline(doc), {})
    assert str(info.value) == (
        "missing required parameters 'rows' (NUMBER_INTEGER), 'seed' (NUMBER_INTEGER); "
        "pass them with -p rows=VALUE -p seed=VALUE"
    )


def test_unknown_parameter_suggests_the_closest() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        resolve_arguments(load_pipeline(chain), {"rows": 1, "sead": 2})
    assert str(info.value) == (
        "unknown parameter 'sead' for pipeline 'chain'; did you mean 'seed'? "
        "known parameters: name, ratio, rows, seed"
    )
    with pytest.raises(InvalidArgumentError, match="pipeline 'step-free' takes no parameters"):
        doc = _doc(chain)
        doc["pipelineInfo"]["name"] = "step-free"
        doc["root"]["inputDefinitions"] = {}
        doc["root"]["dag"]["tasks"]["step"]["inputs"] = {}
        resolve_arguments(load_pipeline(doc), {"x": 1})


def test_wrong_type() -> None:
    with pytest.raises(InvalidArgumentError, match="parameter 'rows' expects an integer"):
        resolve_arguments(load_pipeline(chain), {"rows": "many"})
    with pytest.raises(InvalidArgumentError, match="parameter 'items' expects a list"):
        resolve_arguments(load_pipeline(rich), {"items": {"a": 1}})


def test_literals_are_enforced() -> None:
    doc = _doc(chain)
    doc["root"]["inputDefinitions"]["parameters"]["seed"]["literals"] = [1.0, 3.0]
    loaded = load_pipeline(doc)
    assert resolve_arguments(loaded, {"rows": 1, "seed": 1})["seed"] == 1
    with pytest.raises(InvalidArgumentError) as info:
        resolve_arguments(loaded, {"rows": 1, "seed": 2})
    assert str(info.value) == "parameter 'seed' must be one of [1, 3], got 2"


def test_optional_without_default_is_left_out_and_none_means_absent() -> None:
    doc = _doc(chain)
    del doc["root"]["inputDefinitions"]["parameters"]["name"]["defaultValue"]
    loaded = load_pipeline(doc)
    assert resolve_arguments(loaded, {"rows": 1}) == {"rows": 1, "seed": 3, "ratio": 0.5}
    assert resolve_arguments(loaded, {"rows": 1, "seed": None})["seed"] == 3


def test_input_artifacts() -> None:
    loaded = load_pipeline(with_inputs)
    assert resolve_arguments(loaded, {"ds": "/data/x.csv"}) == {"ds": "/data/x.csv"}
    given = {"uri": "/data/y", "metadata": {"rows": 3}}
    assert resolve_arguments(loaded, {"ds": given, "maybe": "/m"}) == {"ds": given, "maybe": "/m"}
    with pytest.raises(InvalidArgumentError) as info:
        resolve_arguments(loaded, {})
    assert str(info.value) == (
        "missing required input artifact 'ds' (system.Dataset); pass its URI with -p ds=URI"
    )
    with pytest.raises(InvalidArgumentError, match="input artifact 'ds' must be a URI string"):
        resolve_arguments(loaded, {"ds": {"url": "/x"}})
    with pytest.raises(InvalidArgumentError, match="input artifact 'ds' must be a URI string"):
        resolve_arguments(loaded, {"ds": 3})


def test_backend_filled_parameters_are_not_user_inputs() -> None:
    loaded = load_pipeline(report)  # its root input is a TASK_FINAL_STATUS
    assert parameter_type_name(loaded.spec.root.input_definitions.parameters["status"]) == (
        "TASK_FINAL_STATUS"
    )
    assert resolve_arguments(loaded, {}) == {}
    with pytest.raises(InvalidArgumentError, match=r"'status' \(TASK_FINAL_STATUS\) is filled in"):
        resolve_arguments(loaded, {"status": {}})


def test_legacy_parameter_type_field() -> None:
    doc = _doc(chain)
    rows = doc["root"]["inputDefinitions"]["parameters"]["rows"]
    del rows["parameterType"]
    rows["type"] = "INT"
    loaded = load_pipeline(doc)
    assert parameter_type_name(loaded.spec.root.input_definitions.parameters["rows"]) == (
        "NUMBER_INTEGER"
    )
    assert resolve_arguments(loaded, {"rows": "7"})["rows"] == 7


# --- parse_cli_arguments ---------------------------------------------------------------------


def test_cli_pairs_are_typed_by_declaration() -> None:
    loaded = load_pipeline(chain)
    args = parse_cli_arguments(loaded, ["rows=5", "ratio=0.25", "name=a=b", " seed =7"], None)
    assert args == {"rows": 5, "ratio": 0.25, "name": "a=b", "seed": 7}
    rich_args = parse_cli_arguments(load_pipeline(rich), ["items=[3, 4]", "flag=false"], None)
    assert rich_args == {"items": [3, 4], "flag": False}


def test_cli_pair_errors() -> None:
    loaded = load_pipeline(chain)
    with pytest.raises(InvalidArgumentError) as info:
        parse_cli_arguments(loaded, ["rows"], None)
    assert str(info.value) == "bad parameter 'rows': expected NAME=VALUE"
    with pytest.raises(InvalidArgumentError, match=r"unknown parameter 'row' .*'rows'"):
        parse_cli_arguments(loaded, ["row=1"], None)
    with pytest.raises(InvalidArgumentError, match="parameter 'rows' expects an integer"):
        parse_cli_arguments(loaded, ["rows=1.5x"], None)


def test_cli_artifacts() -> None:
    loaded = load_pipeline(with_inputs)
    args = parse_cli_arguments(loaded, ["ds=/tmp/d", 'maybe={"uri": "/m", "metadata": {}}'], None)
    assert args == {"ds": "/tmp/d", "maybe": {"uri": "/m", "metadata": {}}}
    assert resolve_arguments(loaded, args) == args


def test_params_file_json_and_yaml_with_cli_override(tmp_path: Path) -> None:
    loaded = load_pipeline(chain)
    json_file = tmp_path / "p.json"
    json_file.write_text(json.dumps({"rows": 4, "name": "from-file"}))
    assert parse_cli_arguments(loaded, ["name=cli"], json_file) == {"rows": 4, "name": "cli"}
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("rows: 8\nratio: 0.1\n")
    assert parse_cli_arguments(loaded, [], yaml_file) == {"rows": 8, "ratio": 0.1}
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert parse_cli_arguments(loaded, [], empty) == {}


def test_arguments_kfp_cannot_carry_are_refused() -> None:
    """NaN, infinity and integers beyond int64, from the Python API, the CLI or a file."""
    loaded = load_pipeline(chain)
    with pytest.raises(InvalidArgumentError, match="parameter 'ratio' is nan"):
        resolve_arguments(loaded, {"ratio": float("nan")})
    with pytest.raises(InvalidArgumentError, match="parameter 'ratio' is inf"):
        resolve_arguments(loaded, parse_cli_arguments(loaded, ["ratio=1e999"], None))
    with pytest.raises(InvalidArgumentError, match="'rows' is 9223372036854775808, outside"):
        resolve_arguments(loaded, parse_cli_arguments(loaded, ["rows=9223372036854775808"], None))
    with pytest.raises(InvalidArgumentError, match="'rows' is -9223372036854775809, outside"):
        resolve_arguments(loaded, {"rows": -(2**63) - 1})
    assert resolve_arguments(loaded, {"rows": 2**63 - 1})["rows"] == 2**63 - 1


def test_params_file_nan_and_deep_nesting(tmp_path: Path) -> None:
    loaded = load_pipeline(chain)
    nan_file = tmp_path / "nan.yaml"
    nan_file.write_text("ratio: .nan\n")
    with pytest.raises(InvalidArgumentError, match="parameter 'ratio' is nan"):
        resolve_arguments(loaded, parse_cli_arguments(loaded, [], nan_file))
    for suffix in (".json", ".yaml"):
        deep = tmp_path / f"deep{suffix}"
        deep.write_text('{"rows": ' + "[" * 5000 + "]" * 5000 + "}")
        with pytest.raises(InvalidArgumentError, match="nests lists or mappings too deeply"):
            parse_cli_arguments(loaded, [], deep)


def test_deep_artifact_json_is_a_clear_error() -> None:
    loaded = load_pipeline(with_inputs)
    with pytest.raises(InvalidArgumentError, match="input artifact 'ds': its JSON nests too"):
        parse_cli_arguments(loaded, ["ds=" + "[" * 5000 + "]" * 5000], None)


def test_params_file_errors(tmp_path: Path) -> None:
    loaded = load_pipeline(chain)
    with pytest.raises(InvalidArgumentError, match="no such parameters file: "):
        parse_cli_arguments(loaded, [], tmp_path / "missing.json")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(InvalidArgumentError, match="must hold a mapping"):
        parse_cli_arguments(loaded, [], bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(InvalidArgumentError, match="is not valid JSON/YAML"):
        parse_cli_arguments(loaded, [], broken)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("rowz: 1\n")
    with pytest.raises(InvalidArgumentError, match="unknown parameter 'rowz'"):
        parse_cli_arguments(loaded, [], unknown)


def test_loaded_pipeline_round_trip_keeps_validation(tmp_path: Path) -> None:
    loaded = LoadedPipeline.from_dict(load_pipeline(chain).to_dict())
    check_pipeline(loaded)
    assert resolve_arguments(loaded, {"rows": 2})["rows"] == 2
    assert json_format.MessageToDict(loaded.spec.root.input_definitions)["parameters"]["seed"] == {
        "defaultValue": 3.0,
        "isOptional": True,
        "parameterType": "NUMBER_INTEGER",
    }
