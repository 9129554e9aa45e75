"""If/Elif/Else, dsl.Condition, nested conditions, conditions in loops, dsl.OneOf.

Go semantics (driver/dag.go): a condition DAG whose CEL trigger is false is "not
triggered"; Argo skips it and its whole subtree, so nothing inside it runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sluice

from .helpers import assert_not_run, lines, read_artifact_text, states
from .pipelines import conditions

# Compiled names (kfp 2.17.3): condition-branches-1 holds condition-2 (If, say),
# condition-3 (Elif, say-2) and condition-4 (Else, say-3).
BRANCHES = {
    "heads": ("condition-2", "say"),
    "tails": ("condition-3", "say-2"),
    "edge": ("condition-4", "say-3"),
}


@pytest.mark.parametrize(("value", "expected"), [("heads", "H"), ("tails", "T"), ("edge", "E")])
def test_if_elif_else_runs_exactly_one_branch(files: Path, value: str, expected: str) -> None:
    """One branch runs; the others are SKIPPED; OneOf returns the branch's output."""
    marker = files / "branches"
    run = sluice.run(conditions.if_elif_else, {"v": value, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == expected
    assert lines(marker) == [expected]
    for branch_value, (cond, leaf) in BRANCHES.items():
        if branch_value == value:
            assert run.task(cond).state == "SUCCEEDED"
            assert run.task(leaf).state == "SUCCEEDED"
        else:
            assert run.task(cond).state == "SKIPPED", cond
            assert_not_run(run, leaf)
    assert run.task("condition-branches-1").state == "SUCCEEDED"


@pytest.mark.parametrize(("flag", "ran"), [(True, "yes"), (False, "no")])
def test_legacy_condition(files: Path, flag: bool, ran: str) -> None:
    """dsl.Condition on a pipeline bool parameter."""
    marker = files / "m"
    run = sluice.run(conditions.legacy_condition, {"flag": flag, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    assert lines(marker) == [ran]
    yes_cond, no_cond = run.task("condition-1"), run.task("condition-2")
    assert (yes_cond.state, no_cond.state) == (
        ("SUCCEEDED", "SKIPPED") if flag else ("SKIPPED", "SUCCEEDED")
    )


@pytest.mark.parametrize(
    ("n", "ran"),
    [(7, ["outer", "inner"]), (3, ["outer", "other"]), (0, [])],
)
def test_nested_conditions(files: Path, n: int, ran: list[str]) -> None:
    """Conditions inside conditions; an untriggered outer condition skips everything below."""
    marker = files / "m"
    run = sluice.run(conditions.nested_conditions, {"n": n, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    assert sorted(lines(marker)) == sorted(ran)
    outer = run.task("condition-1")
    if n <= 1:
        assert outer.state == "SKIPPED"
        for leaf in ("say", "say-2", "say-3"):
            assert_not_run(run, leaf)
    else:
        assert outer.state == "SUCCEEDED"
        assert run.task("say").state == "SUCCEEDED"
        inner_ran = n > 5
        assert run.task("condition-3").state == ("SUCCEEDED" if inner_ran else "SKIPPED")
        assert run.task("condition-4").state == ("SKIPPED" if inner_ran else "SUCCEEDED")


def test_condition_inside_loop(files: Path) -> None:
    """Each iteration evaluates its own condition (item > threshold)."""
    marker = files / "m"
    run = sluice.run(conditions.condition_in_loop, {"threshold": 2, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    assert sorted(lines(marker)) == ["3", "4"]
    cond_states = sorted(states(run, "condition-3"))
    assert cond_states == ["SKIPPED", "SKIPPED", "SUCCEEDED", "SUCCEEDED"]
    assert [t.state for t in run.tasks_named("sq") if t.state != "SKIPPED"] == ["SUCCEEDED"] * 2
    ran_inputs = sorted(t.inputs["x"] for t in run.tasks_named("sq") if t.state == "SUCCEEDED")
    assert ran_inputs == [3, 4]


@pytest.mark.parametrize(("value", "expected"), [("heads", "from-if"), ("tails", "from-else")])
def test_oneof_artifacts(value: str, expected: str) -> None:
    """dsl.OneOf over artifacts hands the consumer the artifact of the branch that ran."""
    run = sluice.run(conditions.oneof_artifacts, {"v": value})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == f"{expected}/{expected}"
    assert run.task("read-ds").state == "SUCCEEDED"
    skipped = "make-ds-2" if value == "heads" else "make-ds"
    assert_not_run(run, skipped)


def test_oneof_artifact_as_nested_pipeline_output() -> None:
    """A OneOf artifact re-exported by a nested pipeline and by the root."""
    run = sluice.run(conditions.oneof_artifact_output, {"v": "tails"})
    assert run.state == "SUCCEEDED", run.error
    art = run.outputs["Output"]
    assert read_artifact_text(art) == "inner-else"
    assert art.metadata["branch"] == "inner-else"


@pytest.mark.parametrize(
    ("v", "ran"), [(0.75, ["bool-true", "float-high", "item-b"]), (0.25, ["item-b"])]
)
def test_condition_value_types(files: Path, v: float, ran: list[str]) -> None:
    """CEL over float and bool outputs, and string equality on a loop item."""
    marker = files / "m"
    run = sluice.run(conditions.condition_types, {"v": v, "marker": str(marker)})
    assert run.state == "SUCCEEDED", run.error
    assert sorted(lines(marker)) == ran
