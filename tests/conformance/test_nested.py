"""Nested pipelines, three levels deep."""

from __future__ import annotations

import sluice

from .pipelines import nested


def test_three_levels_with_outputs_and_inner_defaults() -> None:
    """Outputs flow out of nested DAGs; the inner pipeline's default suffix applies."""
    run = sluice.run(nested.outer, {"x": "abc"})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {
        "joined": "abc-in",
        "size": 6,
        "read": "abc-in#6",
        "twice": "abc-in!",
    }
    # Task paths join parent DAG task names with "/".
    leaf = run.task("middle/inner/concat")
    assert leaf.state == "SUCCEEDED"
    assert leaf.inputs == {"a": "abc", "b": "-in"}
    assert leaf.outputs["Output"] == "abc-in"
    assert run.task("middle/length").outputs["Output"] == 6
    assert run.task("middle/write-text").state == "SUCCEEDED"
    assert run.task("inner/concat").inputs == {"a": "abc-in", "b": "!"}
    for dag in ("middle", "middle/inner", "inner"):
        t = run.task(dag)
        assert t.kind == "dag", (dag, t.kind)
        assert t.state == "SUCCEEDED", dag
    assert run.task("read-text").state == "SUCCEEDED"


def test_nested_pipeline_default_at_top_level() -> None:
    """The outer pipeline's own default is used when no argument is given."""
    run = sluice.run(nested.outer)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["joined"] == "abc-in"


def test_collected_output_of_a_nested_pipeline() -> None:
    """A nested pipeline's Collected output feeds an outer task and the pipeline output."""
    run = sluice.run(nested.nested_collected, {"n": 3})
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"doubled": [2, 4, 6], "sum": 12}
    assert type(run.outputs["sum"]) is int
    assert [t.state for t in run.tasks_named("double")] == ["SUCCEEDED"] * 3
    assert run.task("loop-inside").state == "SUCCEEDED"
