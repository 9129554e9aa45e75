"""Parameters: every type, defaults, int fidelity, NamedTuple and OutputPath outputs."""

from __future__ import annotations

from pathlib import Path

import sluice

from .pipelines import params


def _ok(run: sluice.Run) -> None:
    assert run.state == "SUCCEEDED", run.error


def test_all_types_with_defaults() -> None:
    """Pipeline defaults of every type reach the component with the right Python types."""
    run = sluice.run(params.all_types)
    _ok(run)
    out = run.outputs["Output"]
    assert out["s"] == ["hello", "str"]
    assert out["i"] == [3, "int"]
    assert out["f"] == [1.5, "float"]
    assert out["b"] == [True, "bool"]
    # Ints nested in lists and dicts stay ints (kfp-ir.md "Number fidelity").
    assert out["ints"] == [[1, 2, 3], ["int", "int", "int"]]
    assert out["d"] == [
        {"n": 1, "x": 0.5, "nested": {"k": [1, 2]}},
        {"n": "int", "x": "float", "nested": "dict"},
    ]
    # Optional input with a None default: the component gets None.
    assert out["opt"] == [None, "NoneType"]
    # The pipeline output itself keeps ints as ints.
    assert type(out["i"][0]) is int
    assert out["b"][0] is True

    task = run.task("describe")
    assert task.state == "SUCCEEDED"
    assert task.attempts == 1
    assert task.inputs["i"] == 3 and type(task.inputs["i"]) is int
    assert task.inputs["s"] == "hello"
    assert task.inputs["ints"] == [1, 2, 3]
    assert task.outputs["Output"] == out


def test_all_types_with_arguments() -> None:
    """Arguments override every default, including setting the Optional one."""
    args = {
        "s": "two words",
        "i": -7,
        "f": 2.25,
        "b": False,
        "ints": [5, 6],
        "d": {"n": 2, "x": 1.5, "nested": {}},
        "opt": "given",
    }
    run = sluice.run(params.all_types, args)
    _ok(run)
    out = run.outputs["Output"]
    assert out["s"] == ["two words", "str"]
    assert out["i"] == [-7, "int"]
    assert out["f"] == [2.25, "float"]
    assert out["b"] == [False, "bool"]
    assert out["ints"] == [[5, 6], ["int", "int"]]
    assert out["d"][0] == {"n": 2, "x": 1.5, "nested": {}}
    assert out["opt"] == ["given", "str"]
    assert run.arguments["i"] == -7


def test_ints_stay_ints_through_lists_and_dicts() -> None:
    """sum() over List[int] plus a dict int is an int: the executor accepts the int return."""
    run = sluice.run(params.int_fidelity)
    _ok(run)
    assert run.task("add-typed").outputs["Output"] == 16
    assert type(run.task("add-typed").outputs["Output"]) is int
    assert run.outputs["Output"] == "16:int"


def test_named_tuple_outputs() -> None:
    """NamedTuple component outputs cross task boundaries and become pipeline outputs."""
    run = sluice.run(params.named_tuple)
    _ok(run)
    # mean is the double 3.0; Go's protojson renders it as 3 in the consumer's executor input
    # and the kfp executor does not cast float inputs, so the consumer formats "3".
    assert run.outputs == {"total": 12, "label": "n=4", "summary": "n=4 total=12:int mean=3"}
    st = run.task("stats")
    assert st.state == "SUCCEEDED"
    assert st.outputs == {"total": 12, "mean": 3.0, "label": "n=4"}
    assert run.task("fmt-stats").state == "SUCCEEDED"


def test_output_path_parameters_and_input_path() -> None:
    """OutputPath(str)/OutputPath(int) are read from their files; InputPath reads a file."""
    run = sluice.run(params.output_paths, {"text": "abc"})
    _ok(run)
    w = run.task("write-outputs")
    assert w.outputs["text_out"] == "ABC"
    # Go collectOutputParameters parses NUMBER_INTEGER files with ParseInt.
    assert w.outputs["num_out"] == 30 and type(w.outputs["num_out"]) is int
    assert run.outputs["used"] == "ABC|31|int"
    assert run.outputs["read"] == "abcabc"
    for name in ("write-outputs", "use-outputs", "write-file", "read-path"):
        assert run.task(name).state == "SUCCEEDED", name


def test_component_and_pipeline_defaults() -> None:
    """Omitted component inputs take the component's defaults; pipeline defaults apply too."""
    run = sluice.run(params.defaults)
    _ok(run)
    assert run.outputs == {"a": "hello world!", "b": "hello world?hello world?"}
    run2 = sluice.run(params.defaults, {"name": "you", "times": 1})
    _ok(run2)
    assert run2.outputs == {"a": "hello you!", "b": "hello you?"}


def test_required_parameter_given(tmp_path: Path) -> None:
    """A pipeline with a required parameter runs when it is given."""
    run = sluice.run(params.required_params, {"rows": 5})
    _ok(run)
    assert run.outputs["Output"] == "x:5"
    assert run.task("needs-rows").inputs == {"rows": 5, "label": "x"}


def test_int_argument_for_float_parameter() -> None:
    """An int is a valid NUMBER_DOUBLE argument (every number is a double in the IR)."""
    run = sluice.run(params.all_types, {"f": 2})
    _ok(run)
    assert run.outputs["Output"]["f"][0] == 2
