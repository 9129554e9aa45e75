"""Pipelines whose tasks pass artifacts along, for the run graph's artifact nodes: a chain
at the top level, the same inside a loop's iterations and a nested pipeline that hands a
Dataset out, and a run that fails before one artifact is written (no ``from __future__
import annotations``: kfp reads the real annotations)."""

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
