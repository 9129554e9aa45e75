"""Pipelines whose tasks pass artifacts along, for the run graph's artifact nodes: a chain
at the top level, the same inside a loop's iterations and a nested pipeline that hands a
Dataset out, a run that fails before one artifact is written, and lists of artifacts (a
loop's Datasets collected, a nested pipeline returning them) (no ``from __future__ import
annotations``: kfp reads the real annotations)."""

# KFP reads these signatures at compile time: typing.List is the spelling kfp understands.
# ruff: noqa: UP006, UP035

from typing import List

from kfp import dsl


@dsl.component
def make_rows(rows: int, data: dsl.Output[dsl.Dataset]) -> int:
    """Write ``rows`` CSV rows to ``data``; answer how many."""
    with open(data.path, "w") as out:
        out.write("x,y\n")
        for i in range(rows):
            out.write(f"{i},{2 * i}\n")
    return rows


@dsl.component
def fit(data: dsl.Input[dsl.Dataset], lr: float, model: dsl.Output[dsl.Model]) -> float:
    """Write a "model" from ``data``; answer its score."""
    with open(data.path) as source, open(model.path, "w") as out:
        out.write(f"lr={lr} rows={len(source.readlines()) - 1}\n")
    return 0.5 + lr


@dsl.component
def score(
    model: dsl.Input[dsl.Model],
    data: dsl.Input[dsl.Dataset],
    baseline: float,
    metrics: dsl.Output[dsl.Metrics],
) -> None:
    """Log a metric about ``model`` on ``data``."""
    metrics.log_metric("accuracy", baseline + 0.1)


@dsl.component
def refuse() -> None:
    """Fail, so what comes after never runs."""
    raise RuntimeError("refused on purpose")


@dsl.pipeline(name="artifact-prep")
def prep(rows: int) -> dsl.Dataset:
    """A nested pipeline whose output is the Dataset its inner task writes."""
    return make_rows(rows=rows).outputs["data"]


@dsl.pipeline(name="ui-artifact-flow")
def artifact_flow(rows: int = 5) -> None:
    """make-rows → fit → score at the top level (score reads both artifacts, and fit's
    score as a parameter beside them), the same pair in a two-item loop, and a nested
    pipeline's Dataset read by a second fit."""
    rows_task = make_rows(rows=rows)
    fit_task = fit(data=rows_task.outputs["data"], lr=0.1)
    score(
        model=fit_task.outputs["model"],
        data=rows_task.outputs["data"],
        baseline=fit_task.outputs["Output"],
    )
    with dsl.ParallelFor([1, 2]) as item:
        looped = make_rows(rows=item)
        fit(data=looped.outputs["data"], lr=0.2)
    nested = prep(rows=rows)
    fit(data=nested.output, lr=0.3).set_display_name("fit-nested")


@dsl.pipeline(name="ui-artifact-pending")
def artifact_pending() -> None:
    """A task fails before the one that writes a Model runs: that Model stays a placeholder."""
    stop = refuse()
    data = make_rows(rows=1)
    fit(data=data.outputs["data"], lr=0.1).after(stop)


@dsl.component
def rows_after_gate(path: str, data: dsl.Output[dsl.Dataset]) -> None:
    """Wait until the file ``path`` exists, then write ``data``: the artifact appears live."""
    import os
    import time

    while not os.path.exists(path):
        time.sleep(0.05)
    with open(data.path, "w") as out:
        out.write("x\n1\n")


@dsl.pipeline(name="ui-artifact-live")
def artifact_live(gate_file: str = "/nonexistent") -> None:
    """A Dataset written once a test opens the gate, read by fit."""
    written = rows_after_gate(path=gate_file).set_caching_options(False)
    fit(data=written.outputs["data"], lr=0.1).set_caching_options(False)


@dsl.component
def count_rows(datasets: dsl.Input[List[dsl.Dataset]]) -> int:
    """Read every Dataset of a list; answer how many rows they hold."""
    total = 0
    for dataset in datasets:
        with open(dataset.path) as source:
            total += len(source.readlines()) - 1
    return total


@dsl.pipeline(name="artifact-fan")
def fan_rows(sizes: List[int]) -> List[dsl.Dataset]:
    """A nested pipeline whose output is the list of Datasets its loop writes."""
    with dsl.ParallelFor(sizes) as size:
        made = make_rows(rows=size)
    return dsl.Collected(made.outputs["data"])


@dsl.pipeline(name="ui-artifact-lists")
def artifact_lists() -> None:
    """Lists of artifacts: a loop's three Datasets (1, 2 and 3 rows) collected into one
    reader, and a nested pipeline's list output (4, 5 and 6 rows) read by another."""
    with dsl.ParallelFor([1, 2, 3]) as size:
        made = make_rows(rows=size)
    count_rows(datasets=dsl.Collected(made.outputs["data"]))
    nested = fan_rows(sizes=[4, 5, 6])
    count_rows(datasets=nested.output).set_display_name("count-nested")
