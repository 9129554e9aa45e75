"""A two-task pipeline for the lineage tests (no ``from __future__ import annotations``:
kfp reads the real annotations)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Output
from tests.server.vertex.pipelines import make_rows


@dsl.component
def count_rows(rows: Input[Dataset], summary: Output[Metrics]) -> None:
    """Count the rows of a dataset into a metrics artifact."""
    with open(rows.path) as handle:
        summary.log_metric("rows", len(handle.read().splitlines()))


@dsl.pipeline(name="rows-and-count")
def rows_and_count(n: int = 3) -> None:
    """Write a dataset, then count its rows."""
    made = make_rows(n=n)
    count_rows(rows=made.outputs["rows"])
