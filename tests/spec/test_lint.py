"""sluice.spec.lint: every finding of a pipeline that compiles, without running it."""

# No `from __future__ import annotations`: kfp reads component annotations at runtime.

from typing import Any, NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output, OutputPath

from sluice.spec.lint import Finding, lint_pipeline
from sluice.spec.loader import load_pipeline
from sluice.spec.resources import MachineResources

IMAGE = "python:3.11"
GIB = 2**30
SMALL = MachineResources(cpus=2, memory_bytes=4 * GIB, nvidia_gpus=0)


@dsl.component(base_image=IMAGE)
def make(rows: int, data: Output[Dataset]) -> None:
    with open(data.path, "w") as out:
        out.write("x\n" * rows)


@dsl.component(base_image=IMAGE)
def train(data: Input[Dataset], model: Output[Model], note: OutputPath(str)) -> int:
    with open(data.path) as src, open(model.path, "w") as out:
        out.write(src.read())
    with open(note, "w") as out:
        out.write("ok")
    return 1


@dsl.pipeline
def clean(rows: int = 3) -> None:
    made = make(rows=rows)
    train(data=made.outputs["data"])


@dsl.component(base_image=IMAGE)
def str_output(x: int, out: Output[str]) -> None:  # type: ignore[type-var]
    print(x, out)


@dsl.component(base_image=IMAGE)
def forgets(rows: int, data: Output[Dataset], path: OutputPath(str)) -> None:
    print(rows)


@dsl.component(base_image=IMAGE)
def no_return(rows: int) -> int:
    print(rows)


@dsl.pipeline
def mistakes() -> None:
    str_output(x=1)
    forgets(rows=2)
    no_return(rows=3)


SCALE = 3


class Result(NamedTuple):
    value: int


@dsl.component(base_image=IMAGE)
def outside_names(rows: int) -> Result:  # type: ignore[valid-type]
    import math

    helper = [math.floor(rows * SCALE)]
    return Result(value=sum(n for n in helper))


@dsl.pipeline
def undefined() -> None:
    outside_names(rows=1)


@dsl.pipeline
def greedy() -> None:
    make(rows=1).set_cpu_limit("8").set_memory_limit("64Gi")
    make(rows=2).set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(2)


def _ir(pipeline: Any) -> dict[str, Any]:
    return load_pipeline(pipeline).to_dict()["pipeline_spec"]


def _lint(target: Any) -> list[Finding]:
    return lint_pipeline(load_pipeline(target), machine=SMALL)


def test_a_clean_pipeline_has_no_findings() -> None:
    assert _lint(clean) == []


def test_output_str_forgotten_outputs_and_missing_returns_are_found() -> None:
    findings = _lint(mistakes)
    by_task = {f.task: f for f in findings if f.task != "forgets"}
    assert "Output[str]" in by_task["str-output"].problem
    assert "OutputPath(str)" in by_task["str-output"].fix
    forgotten = sorted(f.problem for f in findings if f.task == "forgets")
    assert len(forgotten) == 2
    assert "output artifact 'data'" in forgotten[0]
    assert "output parameter 'path'" in forgotten[1]
    assert "no return statement" in by_task["no-return"].problem
    assert len(findings) == 4


def test_names_from_the_module_the_component_was_written_in() -> None:
    """Only the function's source ships: SCALE and Result are NameErrors in the task."""
    findings = _lint(undefined)
    assert len(findings) == 1, findings
    assert findings[0].task == "outside-names"
    assert "uses Result, SCALE, which its shipped source does not define" in findings[0].problem


def test_resources_the_target_cannot_satisfy() -> None:
    findings = _lint(greedy)
    problems = sorted((f.task, f.problem) for f in findings)
    assert [task for task, _ in problems] == ["make", "make", "make-2"]
    assert "8 CPUs" in problems[1][1] and "64.0 GiB" in problems[0][1]
    assert "2 NVIDIA_TESLA_T4" in problems[2][1]
    big = MachineResources(cpus=16, memory_bytes=128 * GIB, nvidia_gpus=2)
    assert lint_pipeline(load_pipeline(greedy), machine=big) == []


def test_constant_of_the_wrong_type_and_missing_input_in_edited_ir() -> None:
    ir = _ir(clean)
    tasks = ir["root"]["dag"]["tasks"]
    tasks["make"]["inputs"]["parameters"]["rows"] = {"runtimeValue": {"constant": "three"}}
    del tasks["train"]["inputs"]["artifacts"]["data"]
    tasks["train"]["dependentTasks"] = ["make"]
    findings = _lint(ir)
    lines = [f.line("p.yaml") for f in findings]
    assert (
        "p.yaml: make: input 'rows' is given 'three' but the component declares an integer"
        in (lines[0])
    )
    assert any("train: input artifact 'data' has no value" in line for line in lines)
    ir["root"]["dag"]["tasks"]["make"]["inputs"]["parameters"]["rows"] = {
        "runtimeValue": {"constant": 2.5}
    }
    assert "2.5" in _lint(ir)[0].problem


def test_a_placeholder_naming_an_undeclared_input() -> None:
    ir = _ir(clean)
    executor = ir["deploymentSpec"]["executors"]["exec-make"]["container"]
    executor["args"] = [*executor["args"], "{{$.inputs.parameters['colums']}}", "{{$.bogus}}"]
    problems = [f.problem for f in _lint(ir) if f.task == "make"]
    assert any("no input parameter 'colums'" in p for p in problems), problems
    assert any("unknown placeholder {{$.bogus}}" in p for p in problems), problems


def test_a_broken_graph_is_one_finding_for_the_pipeline() -> None:
    ir = _ir(clean)
    ir["root"]["dag"]["tasks"]["make"]["dependentTasks"] = ["train"]
    findings = _lint(ir)
    assert len(findings) == 1 and findings[0].task == "(pipeline)"
    assert "cycle" in findings[0].problem


def test_unsupported_features_are_findings() -> None:
    ir = _ir(clean)
    ir["deploymentSpec"]["executors"]["exec-make"] = {"customJob": {"customJob": {}}}
    findings = _lint(ir)
    assert len(findings) == 1 and "customJob" in findings[0].problem
