"""Tests for sluice.spec.cel: trigger conditions and parameter selectors.

The expressions come from pipelines compiled by the real kfp compiler, so the tests
exercise exactly what the engine will meet.
"""

# No `from __future__ import annotations` here: kfp reads the real annotation objects
# of the components defined in these tests.

import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice.errors import ExpressionError
from sluice.spec.cel import _program, apply_selector, evaluate_condition, from_cel, to_cel

# --- compiled pipelines ---------------------------------------------------------------


def _compile(pipeline_func: Any, path: Path) -> dict[str, Any]:
    from kfp import compiler

    compiler.Compiler().compile(pipeline_func, str(path))
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


def _all_tasks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every task of every DAG, keyed by task name (names are unique in these pipelines)."""
    tasks = dict(doc["root"]["dag"]["tasks"])
    for component in doc["components"].values():
        tasks.update(component.get("dag", {}).get("tasks", {}))
    return tasks


@pytest.fixture(scope="module")
def conditions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Conditions compiled from dsl.If/Elif/Else/Condition, keyed by the branch's display name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import dsl

        @dsl.component
        def num() -> int:
            return 3

        @dsl.component
        def flt() -> float:
            return 3.5

        @dsl.component
        def flag() -> bool:
            return True

        @dsl.component
        def text() -> str:
            return "a"

        @dsl.component
        def show(x: str) -> None:
            print(x)

        @dsl.pipeline
        def conds(threshold: int = 2, ratio: float = 0.5, name: str = "x", b: bool = True) -> None:
            n, f, fl, s = num(), flt(), flag(), text()
            with dsl.If(n.output > 2, name="int-gt-literal"):
                show(x="1")
            with dsl.If(n.output > threshold, name="int-gt-input"):
                show(x="2")
            with dsl.If(n.output == 3.0, name="int-eq-float"):
                show(x="3")
            with dsl.If(f.output > 3, name="float-gt-int"):
                show(x="4")
            with dsl.If(f.output >= ratio, name="float-ge-input"):
                show(x="5")
            with dsl.If(fl.output == True, name="bool-true"):  # noqa: E712 - DSL operator
                show(x="6")
            with dsl.If(b == False, name="input-false"):  # noqa: E712
                show(x="7")
            with dsl.Condition(s.output == "a", name="legacy-condition"):
                show(x="8")
            with dsl.If(s.output == name, name="outer"), dsl.If(n.output < 10, name="inner"):
                show(x="9")
            with dsl.If(s.output == "heads", name="if"):
                show(x="h")
            with dsl.Elif(s.output == "tails", name="elif"):
                show(x="t")
            with dsl.Else(name="else"):
                show(x="e")
            with dsl.If(s.output == 3, name="str-eq-int"):
                show(x="10")
            with dsl.If(n.output != 1.5, name="int-ne-float"):
                show(x="11")

    doc = _compile(conds, tmp_path_factory.mktemp("cel") / "conds.yaml")
    found = {
        task["taskInfo"]["name"]: task["triggerPolicy"]["condition"]
        for task in _all_tasks(doc).values()
        if "condition" in task.get("triggerPolicy", {})
    }
    assert len(found) == 15
    return found


@pytest.fixture(scope="module")
def loops_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from kfp import dsl

        @dsl.component
        def show(x: str) -> None:
            print(x)

        @dsl.component
        def show_int(x: int) -> None:
            print(x)

        @dsl.pipeline
        def loops(
            items: list = [{"a": "1", "b": "x"}],  # noqa: B006 - pipeline default
            nested: list = [  # noqa: B006
                {"p_a": [{"q_a": "1"}, {"q_a": "2"}], "p_b": "hello"},
                {"p_a": [{"q_a": "11"}], "p_b": "halo"},
            ],
        ) -> None:
            with dsl.ParallelFor(
                [{"who": "a", "times": 1}, {"who": "b", "times": 2}], name="raw-dicts"
            ) as it:
                show(x=it.who).set_display_name("who")
                show(x=it.times).set_display_name("times")
            with dsl.ParallelFor(items, name="input-dicts") as it2:
                show(x=it2.a).set_display_name("field-a")
            with (
                dsl.ParallelFor(nested, name="outer") as item,
                dsl.ParallelFor(item.p_a, name="inner") as item_p_a,
            ):
                show(x=item_p_a.q_a).set_display_name("q_a")
            with (
                dsl.ParallelFor([[1, 2], [3]], name="lists") as lst,
                dsl.ParallelFor(lst, name="list-inner") as element,
            ):
                show_int(x=element).set_display_name("element")

    return _compile(loops, tmp_path_factory.mktemp("cel") / "loops.yaml")


# --- conditions compiled by kfp --------------------------------------------------------


def test_compiler_emits_the_expected_condition_shapes(conditions: dict[str, str]) -> None:
    c = conditions
    assert c["int-gt-literal"] == "int(inputs.parameter_values['pipelinechannel--num-Output']) > 2"
    assert c["int-eq-float"] == (
        "double(int(inputs.parameter_values['pipelinechannel--num-Output'])) == 3.0"
    )
    assert c["float-gt-int"] == "inputs.parameter_values['pipelinechannel--flt-Output'] > double(3)"
    assert c["bool-true"] == "inputs.parameter_values['pipelinechannel--flag-Output'] == true"
    assert c["str-eq-int"] == "inputs.parameter_values['pipelinechannel--text-Output'] == '3'"
    assert c["elif"].startswith("!(")


@pytest.mark.parametrize(
    ("branch", "values", "expected"),
    [
        ("int-gt-literal", {"pipelinechannel--num-Output": 3}, True),
        ("int-gt-literal", {"pipelinechannel--num-Output": 2}, False),
        # Go holds every number as a double; a float or a numeric string also works.
        ("int-gt-literal", {"pipelinechannel--num-Output": 3.0}, True),
        ("int-gt-literal", {"pipelinechannel--num-Output": "3"}, True),
        ("int-gt-literal", {"pipelinechannel--num-Output": "3.0"}, True),
        (
            "int-gt-input",
            {"pipelinechannel--num-Output": 3, "pipelinechannel--threshold": 2},
            True,
        ),
        (
            "int-gt-input",
            {"pipelinechannel--num-Output": 3, "pipelinechannel--threshold": 3.0},
            False,
        ),
        ("int-eq-float", {"pipelinechannel--num-Output": 3}, True),
        ("int-eq-float", {"pipelinechannel--num-Output": 4}, False),
        ("float-gt-int", {"pipelinechannel--flt-Output": 3.5}, True),
        # A NUMBER_DOUBLE value normalized to an int still compares with a double.
        ("float-gt-int", {"pipelinechannel--flt-Output": 4}, True),
        ("float-gt-int", {"pipelinechannel--flt-Output": 3}, False),
        (
            "float-ge-input",
            {"pipelinechannel--flt-Output": 1, "pipelinechannel--ratio": 0.5},
            True,
        ),
        (
            "float-ge-input",
            {"pipelinechannel--flt-Output": 0.25, "pipelinechannel--ratio": 0.5},
            False,
        ),
        ("bool-true", {"pipelinechannel--flag-Output": True}, True),
        ("bool-true", {"pipelinechannel--flag-Output": False}, False),
        ("input-false", {"pipelinechannel--b": False}, True),
        ("legacy-condition", {"pipelinechannel--text-Output": "a"}, True),
        ("legacy-condition", {"pipelinechannel--text-Output": "b"}, False),
        ("outer", {"pipelinechannel--text-Output": "x", "pipelinechannel--name": "x"}, True),
        ("outer", {"pipelinechannel--text-Output": "y", "pipelinechannel--name": "x"}, False),
        ("inner", {"pipelinechannel--num-Output": 9}, True),
        ("str-eq-int", {"pipelinechannel--text-Output": "3"}, True),
        ("int-ne-float", {"pipelinechannel--num-Output": 1}, True),
    ],
)
def test_compiled_conditions_evaluate(
    conditions: dict[str, str], branch: str, values: dict[str, Any], expected: bool
) -> None:
    assert evaluate_condition(conditions[branch], values) is expected


@pytest.mark.parametrize(("flip", "taken"), [("heads", "if"), ("tails", "elif"), ("edge", "else")])
def test_if_elif_else_takes_exactly_one_branch(
    conditions: dict[str, str], flip: str, taken: str
) -> None:
    values = {"pipelinechannel--text-Output": flip}
    results = {b: evaluate_condition(conditions[b], values) for b in ("if", "elif", "else")}
    assert results == {b: b == taken for b in results}


def test_nested_condition_sees_only_its_own_inputs(conditions: dict[str, str]) -> None:
    # The inner condition is evaluated over the inner DAG task's inputs; a value the
    # inner expression does not mention is simply ignored.
    values = {
        "pipelinechannel--num-Output": 12,
        "pipelinechannel--text-Output": "x",
        "pipelinechannel--name": "x",
    }
    assert evaluate_condition(conditions["outer"], values) is True
    assert evaluate_condition(conditions["inner"], values) is False


# --- hand-written conditions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("inputs.parameter_values['a'] == 3", {"a": 3.0}, True),
        ("inputs.parameter_values['a'] == 3.0", {"a": 3}, True),
        ("inputs.parameter_values['a'] < 2.5", {"a": 2}, True),
        ("inputs.parameter_values['a'] >= 3", {"a": 2.5}, False),
        # Heterogeneous equality (cel-go): unrelated types are unequal, not an error.
        ("inputs.parameter_values['a'] == 'x'", {"a": 3}, False),
        ("inputs.parameter_values['a'] != 'x'", {"a": 3}, True),
        ("inputs.parameter_values['a'] == null", {"a": None}, True),
        ("inputs.parameter_values['a'] == [1, 2]", {"a": [1.0, 2]}, True),
        ("inputs.parameter_values['a'] == [true]", {"a": [1]}, False),
        ("inputs.parameter_values['a'] == {'k': 1}", {"a": {"k": 1.0}}, True),
        ("inputs.parameter_values['a'] in ['x', 'y']", {"a": "y"}, True),
        ("size(inputs.parameter_values['a']) == 2", {"a": [1, 2]}, True),
        ("inputs.parameter_values['a'].k.startsWith('v')", {"a": {"k": "v1"}}, True),
        ("parseJson(inputs.parameter_values['a']).n == 1", {"a": '{"n": 1.0}'}, True),
        ("parseJson(inputs.parameter_values['a'])[1] > 1", {"a": "[1, 2]"}, True),
        ("int(inputs.parameter_values['a']) == 3", {"a": 3.7}, True),
        ("type(1) == int && type(1.0) == double", {}, True),
        ("false && 1 / 0 == 1", {}, False),
    ],
)
def test_hand_written_conditions(expression: str, values: dict[str, Any], expected: bool) -> None:
    assert evaluate_condition(expression, values) is expected


@pytest.mark.parametrize(
    ("expression", "values", "fragment"),
    [
        ("inputs.parameter_values['a'] ==", {"a": 1}, "invalid CEL expression"),
        ("inputs.parameter_values['missing'] == 1", {"a": 1}, "no such key: 'missing'"),
        ("int(inputs.parameter_values['a']) > 1", {"a": "abc"}, "cannot convert string 'abc'"),
        ("inputs.parameter_values['a'] < 'x'", {"a": 1}, "no matching overload"),
        ("parseJson(inputs.parameter_values['a']).k", {"a": "{bad"}, "invalid JSON"),
        ("1 / 0 == 1", {}, "divide by zero"),
        ("inputs.parameter_values['a']", {"a": 1}, "must yield a boolean, got 1"),
    ],
)
def test_bad_conditions_raise_expression_error_naming_the_expression(
    expression: str, values: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_condition(expression, values)
    assert fragment in str(info.value)
    assert repr(expression) in str(info.value)


def test_each_expression_is_compiled_once() -> None:
    expression = "int(inputs.parameter_values['pipelinechannel--i']) % 2 == 0"
    evaluate_condition(expression, {"pipelinechannel--i": 0})
    before = _program.cache_info()
    results = [evaluate_condition(expression, {"pipelinechannel--i": i}) for i in range(20)]
    after = _program.cache_info()
    assert results == [i % 2 == 0 for i in range(20)]
    assert after.misses == before.misses
    assert after.hits == before.hits + 20


def test_concurrent_evaluation_gives_consistent_results() -> None:
    expressions = [f"inputs.parameter_values['x'] > {k}" for k in range(8)]

    def work(i: int) -> bool:
        return evaluate_condition(expressions[i % 8], {"x": i % 5})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(200)))
    assert results == [(i % 5) > (i % 8) for i in range(200)]


# --- selectors compiled by kfp -----------------------------------------------------------


def _selectors(doc: dict[str, Any]) -> dict[str, dict[str, str]]:
    """display name -> {input name: selector} for every task input with a selector."""
    found: dict[str, dict[str, str]] = {}
    for task in _all_tasks(doc).values():
        for name, spec in task.get("inputs", {}).get("parameters", {}).items():
            if "parameterExpressionSelector" in spec:
                found.setdefault(task["taskInfo"]["name"], {})[name] = spec[
                    "parameterExpressionSelector"
                ]
    return found


def _loop(doc: dict[str, Any], display_name: str) -> dict[str, Any]:
    (task,) = [t for t in _all_tasks(doc).values() if t["taskInfo"]["name"] == display_name]
    return task


def test_raw_loop_over_dicts_selects_fields(loops_doc: dict[str, Any]) -> None:
    loop = _loop(loops_doc, "raw-dicts")
    items = json.loads(loop["parameterIterator"]["items"]["raw"])
    selectors = _selectors(loops_doc)
    who = selectors["who"]["x"]
    times = selectors["times"]["x"]
    assert who == 'parseJson(string_value)["who"]'
    assert [apply_selector(who, item) for item in items] == ["a", "b"]
    picked = [apply_selector(times, item) for item in items]
    assert picked == [1, 2]
    assert all(type(v) is int for v in picked)
    # Go's string_value of a struct is its JSON text, so integral doubles stay ints.
    assert apply_selector(times, {"who": "a", "times": 1.0}) == 1


def test_input_loop_over_dicts_selects_fields(loops_doc: dict[str, Any]) -> None:
    loop = _loop(loops_doc, "input-dicts")
    assert loop["parameterIterator"]["items"] == {"inputParameter": "pipelinechannel--items"}
    selector = _selectors(loops_doc)["field-a"]["x"]
    assert apply_selector(selector, {"a": "1", "b": "x"}) == "1"
    # A loop item may also arrive as JSON text (items parsed from a string).
    assert apply_selector(selector, '{"a": "2"}') == "2"


def test_nested_loops_over_sub_variables(loops_doc: dict[str, Any]) -> None:
    outer = _loop(loops_doc, "outer")
    inner = _loop(loops_doc, "inner")
    nested = loops_doc["root"]["inputDefinitions"]["parameters"]["nested"]["defaultValue"]
    # The inner loop iterates over a sub-variable that a selector extracts.
    items_input = inner["parameterIterator"]["items"]["inputParameter"]
    assert items_input.endswith("-subvar-p_a")
    outer_item_input = outer["parameterIterator"]["itemInput"]
    sub_spec = inner["inputs"]["parameters"][items_input]
    assert sub_spec["componentInputParameter"] == outer_item_input
    q_a = _selectors(loops_doc)["q_a"]["x"]

    seen = []
    for outer_item in nested:
        inner_items = apply_selector(sub_spec["parameterExpressionSelector"], outer_item)
        assert isinstance(inner_items, list)
        seen.extend(apply_selector(q_a, item) for item in inner_items)
    assert seen == ["1", "2", "11"]


def test_loop_over_lists_has_no_selector(loops_doc: dict[str, Any]) -> None:
    inner = _loop(loops_doc, "list-inner")
    assert "parameterExpressionSelector" not in json.dumps(inner)
    assert "element" not in _selectors(loops_doc)


# --- hand-written selectors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("string_value", "plain", "plain"),
        ("string_value", 3.0, "3"),
        ("string_value", True, "true"),
        ("string_value", None, ""),
        ("string_value", {"a": 1.0}, '{"a":1}'),
        ("number_value + 1", 2, 3),
        ("number_value * 2.0", 1.25, 2.5),
        ("number_value * 2.0", 1.5, 3),  # integral results come back as ints
        ("bool_value", False, False),
        ("list_value[1]", ["x", "y"], "y"),
        ("struct_value.a.b", {"a": {"b": [1, 2]}}, [1, 2]),
        ("parseJson(string_value)", "[1, 2.0]", [1, 2]),
        ("parseJson(string_value)", '{"k": {"n": null}}', {"k": {"n": None}}),
        ('parseJson(string_value)["k"]', '{"k": true}', True),
        ("size(list_value)", [1, 2, 3], 3),
    ],
)
def test_hand_written_selectors(expression: str, value: Any, expected: Any) -> None:
    result = apply_selector(expression, value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("expression", "value", "fragment"),
    [
        ('parseJson(string_value)["missing"]', {"a": 1}, "no such key: 'missing'"),
        ("parseJson(string_value)", "not json", "invalid JSON"),
        ("parseJson(number_value)", 3, "no such overload"),
        ("number_value", "text", "number_value"),
        ("parseJson(", {}, "invalid CEL expression"),
    ],
)
def test_bad_selectors_raise_expression_error(expression: str, value: Any, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        apply_selector(expression, value)
    assert fragment in str(info.value)
    assert repr(expression) in str(info.value)


def test_cel_conversions_round_trip() -> None:
    value = {"s": "x", "i": 1, "f": 0.5, "b": True, "n": None, "l": [1, [2]], "d": {"k": "v"}}
    assert from_cel(to_cel(value)) == value
    assert type(from_cel(to_cel(True))) is bool
    assert type(from_cel(to_cel(1))) is int
    with pytest.raises(ExpressionError, match="cannot pass a"):
        to_cel(object())
