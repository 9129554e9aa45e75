"""Tests for sluice.spec.values: typed parameter values with Go backend semantics."""

# No `from __future__ import annotations` here: kfp reads the real annotation objects
# of the components defined in these tests.

import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidArgumentError, InvalidPipelineError
from sluice.spec.proto_values import value_from_proto
from sluice.spec.values import (
    INT64_MAX,
    INT64_MIN,
    MAX_NESTING,
    PARAMETER_TYPES,
    cast_parameter,
    check_portable,
    format_for_placeholder,
    normalize_numbers,
    parse_cli_value,
    to_json_text,
    type_name,
)

# --- type_name ----------------------------------------------------------------------


def test_type_table_matches_the_protobuf_enum() -> None:
    enum = pipeline_spec_pb2.ParameterType.ParameterTypeEnum
    assert dict(PARAMETER_TYPES) == {number: name for name, number in enum.items()}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("STRING", "STRING"),
        ("number_integer", "NUMBER_INTEGER"),
        (2, "NUMBER_INTEGER"),
        (1, "NUMBER_DOUBLE"),
        (pipeline_spec_pb2.ParameterType.BOOLEAN, "BOOLEAN"),
        (pipeline_spec_pb2.ParameterType.TASK_CONFIG, "TASK_CONFIG"),
        ("INT", "NUMBER_INTEGER"),
        ("DOUBLE", "NUMBER_DOUBLE"),
    ],
)
def test_type_name_accepts_names_and_enum_numbers(given: str | int, expected: str) -> None:
    assert type_name(given) == expected


@pytest.mark.parametrize("bad", ["FLOAT", 99, -1, True, ""])
def test_type_name_rejects_unknown_types(bad: Any) -> None:
    with pytest.raises(InvalidPipelineError, match="unknown parameter type"):
        type_name(bad)


# --- normalize_numbers ---------------------------------------------------------------


def test_normalize_numbers_recurses_and_keeps_bools_and_specials() -> None:
    value = {"a": [1.0, 2.5, True, {"b": 3.0, "c": False}], "d": (4.0, "5.0"), "e": None}
    assert normalize_numbers(value) == {
        "a": [1, 2.5, True, {"b": 3, "c": False}],
        "d": [4, "5.0"],
        "e": None,
    }
    normalized = normalize_numbers([1.0])
    assert type(normalized[0]) is int
    assert normalize_numbers(True) is True
    assert normalize_numbers(3.0) == 3 and type(normalize_numbers(3.0)) is int
    assert math.isnan(normalize_numbers(float("nan")))
    assert normalize_numbers(float("inf")) == float("inf")
    # Beyond int64 an "integral" float is a precision artefact; it stays a float.
    assert type(normalize_numbers(1e300)) is float
    assert normalize_numbers(-0.0) == 0


# --- cast_parameter ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        (3.0, "NUMBER_INTEGER", 3),
        (3, "NUMBER_INTEGER", 3),
        ("3", "NUMBER_INTEGER", 3),
        (" -7 ", "NUMBER_INTEGER", -7),
        ("3.0", "NUMBER_INTEGER", 3),
        (2**70, "NUMBER_INTEGER", 2**70),
        (3, "NUMBER_DOUBLE", 3.0),
        (0.5, "NUMBER_DOUBLE", 0.5),
        ("2.5", "NUMBER_DOUBLE", 2.5),
        ("1e3", "NUMBER_DOUBLE", 1000.0),
        (True, "BOOLEAN", True),
        ("TRUE", "BOOLEAN", True),
        ("false", "BOOLEAN", False),
        ("hello", "STRING", "hello"),
        (1.0, "STRING", "1"),
        (0.1, "STRING", "0.1"),
        (True, "STRING", "true"),
        ({"a": 1.0}, "STRING", '{"a":1}'),
        ([1, "x"], "STRING", '[1,"x"]'),
        ([1.0, 2.0], "LIST", [1, 2]),
        ("[1, 2.5]", "LIST", [1, 2.5]),
        ((1.0, 2), "LIST", [1, 2]),
        ({"a": 1.0, "b": [2.0]}, "STRUCT", {"a": 1, "b": [2]}),
        ('{"a": 1}', "STRUCT", {"a": 1}),
        ({"state": "COMPLETE"}, "TASK_FINAL_STATUS", {"state": "COMPLETE"}),
        ({"resources": {}}, "TASK_CONFIG", {"resources": {}}),
        (None, "NUMBER_INTEGER", None),
        (None, "STRING", None),
        (4, pipeline_spec_pb2.ParameterType.NUMBER_INTEGER, 4),
    ],
)
def test_cast_parameter_casts_to_declared_type(value: Any, type_: str | int, expected: Any) -> None:
    result = cast_parameter(value, type_, name="p")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "type_", "message"),
    [
        ("abc", "NUMBER_INTEGER", "parameter 'rows' expects an integer, got 'abc'"),
        (3.5, "NUMBER_INTEGER", "parameter 'rows' expects an integer, got 3.5"),
        ("3.5", "NUMBER_INTEGER", "expects an integer, got '3.5'"),
        (True, "NUMBER_INTEGER", "expects an integer, got True"),
        ([1], "NUMBER_INTEGER", "expects an integer, got [1]"),
        (float("nan"), "NUMBER_INTEGER", "expects an integer"),
        ("x", "NUMBER_DOUBLE", "parameter 'rows' expects a number, got 'x'"),
        (False, "NUMBER_DOUBLE", "expects a number, got False"),
        ("yes", "BOOLEAN", "expects a boolean (true or false), got 'yes'"),
        (1, "BOOLEAN", "expects a boolean"),
        ("not json", "LIST", "expects a list (JSON array), got 'not json'"),
        ('{"a": 1}', "LIST", "expects a list"),
        ({"a": 1}, "LIST", "expects a list"),
        ("[1]", "STRUCT", "expects a struct (JSON object), got '[1]'"),
        (3, "STRUCT", "expects a struct"),
    ],
)
def test_cast_parameter_rejects_bad_values_with_one_line_message(
    value: Any, type_: str, message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        cast_parameter(value, type_, name="rows")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_cast_parameter_shortens_huge_values_in_messages() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        cast_parameter("x" * 1000, "NUMBER_INTEGER", name="n")
    assert len(str(info.value)) < 150


# --- parse_cli_value -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("42", "NUMBER_INTEGER", 42),
        ("0.25", "NUMBER_DOUBLE", 0.25),
        ("7", "NUMBER_DOUBLE", 7.0),
        ("True", "BOOLEAN", True),
        ("false", "BOOLEAN", False),
        ("[1, 2.0, 3]", "LIST", [1, 2, 3]),
        ('{"lr": 0.1, "epochs": 3.0}', "STRUCT", {"lr": 0.1, "epochs": 3}),
        # STRING is the raw text, even when it looks like JSON or a number.
        ("[1, 2]", "STRING", "[1, 2]"),
        ("007", "STRING", "007"),
        ("", "STRING", ""),
    ],
)
def test_parse_cli_value(text: str, type_: str, expected: Any) -> None:
    result = parse_cli_value(text, type_, name="p")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "type_"),
    [("abc", "NUMBER_INTEGER"), ("1.5", "NUMBER_INTEGER"), ("maybe", "BOOLEAN"), ("[1", "LIST")],
)
def test_parse_cli_value_rejects_bad_text(text: str, type_: str) -> None:
    with pytest.raises(InvalidArgumentError, match="parameter 'p' expects"):
        parse_cli_value(text, type_, name="p")


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("type_", ["LIST", "PARAMETER_TYPE_ENUM_UNSPECIFIED"])
@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 5000])
def test_deeply_nested_text_is_a_one_line_error_not_a_recursion_error(
    type_: str, depth: int
) -> None:
    with pytest.raises(InvalidArgumentError, match=f"more than {MAX_NESTING} levels deep"):
        parse_cli_value(_nested(depth), type_, name="l")


def test_nesting_limit_counts_levels_and_applies_to_python_values() -> None:
    assert parse_cli_value(_nested(MAX_NESTING), "LIST", name="l") is not None
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidArgumentError, match="levels deep"):
        cast_parameter(deep, "LIST", name="l")
    with pytest.raises(InvalidArgumentError, match="levels deep"):
        cast_parameter({"a": deep}, "STRUCT", name="s")


@pytest.mark.parametrize(
    ("value", "type_", "needle"),
    [
        (math.nan, "NUMBER_DOUBLE", "parameter 'p' is nan: KFP parameters cannot carry NaN"),
        (math.inf, "NUMBER_DOUBLE", "parameter 'p' is inf"),
        (-math.inf, "NUMBER_DOUBLE", "parameter 'p' is -inf"),
        ([1, {"x": math.nan}], "LIST", "parameter 'p' holds nan"),
        ({"a": [math.inf]}, "STRUCT", "parameter 'p' holds inf"),
        (INT64_MAX + 1, "NUMBER_INTEGER", "outside the 64-bit integer range"),
        (INT64_MIN - 1, "NUMBER_INTEGER", "outside the 64-bit integer range"),
    ],
    ids=["nan", "inf", "-inf", "nan-in-list", "inf-in-struct", "int64+1", "int64-1"],
)
def test_check_portable_rejects_what_kfp_cannot_carry(value: Any, type_: str, needle: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_portable(value, type_, name="p")
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_check_portable_accepts_the_edges() -> None:
    for value, type_ in [
        (INT64_MAX, "NUMBER_INTEGER"),
        (INT64_MIN, "NUMBER_INTEGER"),
        (1e308, "NUMBER_DOUBLE"),
        ("nan", "STRING"),
        ([1.5, {"a": None}], "LIST"),
    ]:
        check_portable(value, type_, name="p")


# --- text forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("raw 'text'", "raw 'text'"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (3.0, "3"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (1e-7, "0.0000001"),  # Go's FormatFloat 'f' never uses an exponent
        (1e21, "1000000000000000000000"),
        (float("nan"), "NaN"),
        (float("inf"), "+Inf"),
        (None, ""),
        ([1.0, "a", True, None], '[1,"a",true,null]'),
        ({"k": {"n": 2.0}}, '{"k":{"n":2}}'),
    ],
)
def test_format_for_placeholder(value: Any, expected: str) -> None:
    assert format_for_placeholder(value) == expected


def test_to_json_text_is_compact_with_normalized_numbers() -> None:
    assert to_json_text({"a": [1.0, 0.5], "s": "é"}) == '{"a":[1,0.5],"s":"é"}'
    assert to_json_text("x") == '"x"'
    assert to_json_text(None) == "null"


# --- values compiled by the real kfp compiler ------------------------------------------


def _compile(pipeline_func: Any, tmp_path: Path) -> dict[str, Any]:
    from kfp import compiler

    path = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(pipeline_func, str(path))
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def test_compiled_defaults_and_constants_cast_by_declared_type(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import dsl

        @dsl.component
        def consume(n: int, x: float, flag: bool, name: str, items: list, cfg: dict) -> None:
            pass

        @dsl.pipeline
        def pipe(
            rows: int = 3,
            ratio: float = 2.0,
            flag: bool = True,
            name: str = "n",
            sizes: list = [1, 2, 3],  # noqa: B006 - a pipeline default, never mutated
            cfg: dict = {"epochs": 4, "lr": 0.5},  # noqa: B006
        ) -> None:
            consume(n=rows, x=ratio, flag=flag, name=name, items=sizes, cfg=cfg)
            consume(n=7, x=1.0, flag=False, name="c", items=[[1, 2]], cfg={"k": [3]})

    doc = _compile(pipe, tmp_path)
    spec = json_format.ParseDict(doc, pipeline_spec_pb2.PipelineSpec())
    params = spec.root.input_definitions.parameters
    defaults = {
        name: cast_parameter(value_from_proto(p.default_value), p.parameter_type, name=name)
        for name, p in params.items()
    }
    assert defaults == {
        "rows": 3,
        "ratio": 2.0,
        "flag": True,
        "name": "n",
        "sizes": [1, 2, 3],
        "cfg": {"epochs": 4, "lr": 0.5},
    }
    assert type(defaults["rows"]) is int
    assert type(defaults["ratio"]) is float
    assert all(type(v) is int for v in defaults["sizes"])
    # The IR really stores every number as a double.
    assert params["rows"].default_value.number_value == 3.0

    component = spec.components["comp-consume-2"].input_definitions.parameters
    task = spec.root.dag.tasks["consume-2"].inputs.parameters
    constants = {
        name: cast_parameter(
            value_from_proto(task[name].runtime_value.constant),
            component[name].parameter_type,
            name=name,
        )
        for name in task
    }
    assert constants == {
        "n": 7,
        "x": 1.0,
        "flag": False,
        "name": "c",
        "items": [[1, 2]],
        "cfg": {"k": [3]},
    }
    assert format_for_placeholder(constants["items"]) == "[[1,2]]"
