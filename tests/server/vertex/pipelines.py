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


@dsl.component
def wait_until_failed(api: str, job: str, task: str) -> str:
    """Succeed once ``GET {api}/{job}`` shows ``task`` FAILED (polled, deadline 120 s).

    It makes the test deterministic: the task after it becomes ready only once the failure
    is recorded, so the failure policy alone decides whether it starts.
    """
    import json
    import time
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{api}/{job}", timeout=30) as answer:
            detail = json.load(answer).get("jobDetail", {})
        states = {t.get("taskName"): t.get("state") for t in detail.get("taskDetails", [])}
        if states.get(task) == "FAILED":
            return "seen"
        time.sleep(0.1)
    raise RuntimeError(f"task {task} was never FAILED")


@dsl.component
def after(previous: str) -> str:
    """Pass ``previous`` on."""
    return previous


@dsl.pipeline(name="branches")
def branches(api: str, job: str) -> None:
    """A failing task beside a branch whose second task is ready only after the failure."""
    explode(message="branch boom").set_caching_options(False)
    gate = wait_until_failed(api=api, job=job, task="explode").set_caching_options(False)
    after(previous=gate.output).set_caching_options(False)
