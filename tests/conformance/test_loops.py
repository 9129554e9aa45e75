"""ParallelFor and dsl.Collected."""

from __future__ import annotations

from pathlib import Path

import pytest

import sluice

from .helpers import count, lines, max_overlap, read_artifact_text, states
from .pipelines import loops, nested_loops


def _ok(run: sluice.Run) -> None:
    assert run.state == "SUCCEEDED", run.error


def test_raw_list_and_collected_int_sum(files: Path) -> None:
    """A static list fans out; Collected ints are summed to an int."""
    marker = files / "sq"
    run = sluice.run(loops.loop_raw, {"marker": str(marker)})
    _ok(run)
    assert run.outputs["Output"] == 14 and type(run.outputs["Output"]) is int
    assert sorted(lines(marker)) == ["1", "2", "3"]
    assert states(run, "square") == ["SUCCEEDED"] * 3
    # Iteration paths carry the index: "for-loop-N[i]/square".
    paths = sorted(t.path for t in run.tasks_named("square"))
    assert [p.split("/")[-1] for p in paths] == ["square"] * 3
    assert all("[" in p and "]" in p for p in paths), paths
    by_index = {p.split("/")[0].split("[")[1].rstrip("]"): p for p in paths}
    assert set(by_index) == {"0", "1", "2"}
    assert run.task(by_index["1"]).inputs["x"] == 2
    assert run.task(by_index["1"]).outputs["Output"] == 4
    assert run.task("total").inputs["vals"] == [1, 4, 9]


def test_list_of_dicts_field_access() -> None:
    """item.a / item.b select dict fields; ints arrive as ints, in iteration order."""
    run = sluice.run(loops.loop_dicts)
    _ok(run)
    assert run.outputs["Output"] == ["1-10:int:int", "2-20:int:int"]
    assert states(run, "tag") == ["SUCCEEDED"] * 2


def test_loop_over_upstream_output(files: Path) -> None:
    """Iterating an upstream task's list output; Collected keeps iteration order."""
    marker = files / "sq"
    run = sluice.run(loops.loop_upstream, {"n": 4, "marker": str(marker)})
    _ok(run)
    assert run.outputs == {"total": 30, "squares": [1, 4, 9, 16]}
    assert count(marker) == 4
    assert run.task("gen-list").outputs["Output"] == [1, 2, 3, 4]


def test_nested_loops_over_outer_subfield(files: Path) -> None:
    """Inner loop over the outer item's sub-field; Collected of per-group Collected results."""
    marker = files / "pairs"
    run = sluice.run(loops.loop_nested, {"marker": str(marker)})
    _ok(run)
    assert run.outputs["Output"] == ["p1+p2", "q3"]
    assert sorted(lines(marker)) == ["p1", "p2", "q3"]
    assert states(run, "pair") == ["SUCCEEDED"] * 3
    assert states(run, "join") == ["SUCCEEDED"] * 2


@pytest.mark.slow
def test_parallelism_limit_is_honoured(files: Path) -> None:
    """parallelism=2: never more than two iterations at once, and two do overlap."""
    timeline = files / "timeline"
    run = sluice.run(loops.loop_parallelism, {"timeline": str(timeline)})
    _ok(run)
    assert len([ln for ln in lines(timeline) if ln.startswith("end")]) == 5
    # Each body waits (bounded) until two starts are recorded, so with a limit of 2 the
    # first two iterations must overlap; a third concurrent one would exceed the limit.
    assert max_overlap(timeline) == 2
    assert states(run, "timed") == ["SUCCEEDED"] * 5


@pytest.mark.slow
def test_independent_tasks_run_concurrently(files: Path) -> None:
    """Two tasks without a dependency are started without waiting for each other."""
    timeline = files / "timeline"
    run = sluice.run(loops.independent_concurrent, {"timeline": str(timeline)})
    _ok(run)
    assert max_overlap(timeline) == 2


def test_empty_list_gives_zero_iterations(files: Path) -> None:
    """An empty list: no body task runs; Collected consumers get [] (Go: iteration_count 0)."""
    marker = files / "sq"
    run = sluice.run(loops.loop_empty, {"marker": str(marker)})
    _ok(run)
    assert run.outputs == {"total": 0, "items": []}
    assert count(marker) == 0
    assert [t for t in run.tasks_named("square") if t.state == "SUCCEEDED"] == []
    assert run.task("total").inputs["vals"] == []


def test_collected_artifacts() -> None:
    """Collected artifacts become a List[Dataset] input and a list pipeline output."""
    run = sluice.run(loops.loop_collect_artifacts)
    _ok(run)
    assert run.outputs["read"] == ["item1:1", "item2:2", "item3:3"]
    items = run.outputs["items"]
    assert isinstance(items, list) and len(items) == 3
    assert [read_artifact_text(a) for a in items] == ["item1", "item2", "item3"]
    assert [a.metadata["x"] for a in items] == [1, 2, 3]
    # Inside an iteration, a consumer reads the artifact of that same iteration.
    assert run.outputs["each"] == ["item1", "item2", "item3"]


def test_collected_artifacts_across_two_loop_levels() -> None:
    """Collected over nested loops flattens the artifacts of every inner iteration, in order."""
    run = sluice.run(loops.loop_collect_nested_artifacts)
    _ok(run)
    assert run.outputs["Output"] == ["item10:10", "item20:20", "item10:10", "item20:20"]
    assert states(run, "write-item") == ["SUCCEEDED"] * 4


def test_collected_from_conditional_producer(files: Path) -> None:
    """Only iterations whose condition held contribute to Collected (Go: BFS over what ran)."""
    marker = files / "sq"
    run = sluice.run(loops.loop_conditional_producer, {"marker": str(marker)})
    _ok(run)
    assert run.outputs == {"squares": [9, 16], "total": 25}
    assert sorted(lines(marker)) == ["3", "4"]
    # Iterations whose condition was false either have no square task or a SKIPPED one.
    assert [s for s in states(run, "square") if s != "SKIPPED"] == ["SUCCEEDED"] * 2
    assert states(run, "is-big") == ["SUCCEEDED"] * 4


def test_collected_artifacts_of_nested_pipelines_across_levels() -> None:
    """Collected of a nested pipeline's artifact inside two loops, re-exported, then read."""
    run = sluice.run(loops.collected_of_nested_dags)
    _ok(run)
    assert run.outputs["Output"] == ["item100:100", "item200:200"] * 2
    assert states(run, "write-item") == ["SUCCEEDED"] * 4


# --- Loops nested in loops over pipeline inputs and upstream outputs ----------------------


def test_nested_loops_over_the_same_pipeline_input() -> None:
    """The outer loop's list reaches the inner loop: every pair runs once."""
    run = sluice.run(nested_loops.loop_same_input, {"words": ["x", "y", "z"]})
    _ok(run)
    assert run.outputs["Output"] == ["xx+xy+xz", "yx+yy+yz", "zx+zy+zz"]
    assert states(run, "pair") == ["SUCCEEDED"] * 9
    # The list is recorded once on the loop, not again on each iteration.
    (outer,) = [t for t in run.tasks if t.path == "for-loop-1"]
    assert outer.inputs["pipelinechannel--words"] == ["x", "y", "z"]
    iteration = run.task("for-loop-1[0]")
    assert "pipelinechannel--words" not in iteration.inputs
    assert iteration.inputs["pipelinechannel--words-loop-item"] == "x"


def test_nested_loops_over_the_same_input_used_directly() -> None:
    """Both items used directly: every iteration runs, and the body sees the inner item.

    kfp 2.17.3 names both loops' items ``pipelinechannel--words-loop-item``, so the body's
    two inputs read one name (the Go backend resolves it the same way); the pipelines
    above pass the outer item through a task to keep it apart.
    """
    run = sluice.run(nested_loops.loop_same_input_direct)
    _ok(run)
    assert states(run, "pair") == ["SUCCEEDED"] * 4
    assert run.outputs["Output"] == ["xx+yy", "xx+yy"]


def test_nested_loop_over_another_pipeline_input() -> None:
    """Outer over one input, inner over another; the outer body still reads its own list."""
    run = sluice.run(nested_loops.loop_other_input)
    _ok(run)
    assert run.outputs["Output"] == ["x1+x2+x3", "y1+y2+y3"]
    assert states(run, "size") == ["SUCCEEDED"] * 2
    assert all(t.outputs["Output"] == 2 for t in run.tasks_named("size"))


def test_nested_loop_over_an_upstream_output() -> None:
    """Inner loop over an upstream task's list inside a loop over a pipeline input."""
    run = sluice.run(nested_loops.loop_inner_upstream)
    _ok(run)
    assert run.outputs["Output"] == ["xu+xv", "yu+yv"]


def test_nested_loops_over_the_same_upstream_output() -> None:
    """Both loops iterate over one upstream task's output."""
    run = sluice.run(nested_loops.loop_upstream_twice)
    _ok(run)
    assert run.outputs["Output"] == ["uu+uv", "vu+vv"]


def test_three_nested_loops_over_the_same_pipeline_input() -> None:
    """Three levels over one list: every triple runs once, collected level by level."""
    run = sluice.run(nested_loops.loop_three_levels)
    _ok(run)
    assert run.outputs["Output"] == ["xxx+xxy+xyx+xyy", "yxx+yxy+yyx+yyy"]
    # kfp names the second use of ``pair`` ``pair-2``.
    assert states(run, "pair") == ["SUCCEEDED"] * 4
    assert states(run, "pair-2") == ["SUCCEEDED"] * 8
