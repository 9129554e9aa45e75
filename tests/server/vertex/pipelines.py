"""Pipelines the Vertex tests submit (no ``from __future__ import annotations``: kfp reads
the real annotations)."""

from kfp import dsl
from kfp.dsl import Dataset, Output


@dsl.component
def make_rows(n: int, rows: Output[Dataset]) -> int:
    """Write ``n`` rows into a dataset artifact with its row count in the metadata."""
    with open(rows.path, "w") as handle:
        handle.write("\n".join(str(i) for i in range(n)))
    rows.metadata["rows"] = n
    return n


@dsl.component
def explode(message: str) -> None:
    """Fail with ``message``."""
    raise ValueError(message)


@dsl.pipeline(name="rows")
def rows_pipeline(n: int = 3) -> int:
    """One task writing a dataset and returning its row count."""
    return make_rows(n=n).outputs["Output"]


@dsl.pipeline(name="exploder")
def exploder(message: str = "boom") -> None:
    """One task that fails."""
    explode(message=message)
