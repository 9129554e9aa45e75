"""A small train pipeline for the metadata and lineage tests: preprocess → train_data →
train → model → evaluate → metrics, confusion (examples/train_pipeline.py's shape, with no
packages to install). No ``from __future__ import annotations``: kfp reads the annotations."""

from pathlib import Path
from typing import Any

import httpx
from kfp import compiler, dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output


@dsl.component
def preprocess(rows: int, train_data: Output[Dataset]) -> None:
    """Write ``rows`` rows of a CSV."""
    with open(train_data.path, "w") as out:
        out.write("x,y\n")
        for i in range(rows):
            out.write(f"{i},{i % 2}\n")


@dsl.component
def train(train_data: Input[Dataset], accuracy: float, model: Output[Model]) -> None:
    """A "model" with the given accuracy in its metadata."""
    with open(train_data.path) as source, open(model.path, "w") as out:
        out.write(f"rows={len(source.readlines()) - 1}\n")
    model.metadata["accuracy"] = accuracy


@dsl.component
def evaluate(
    model: Input[Model], metrics: Output[Metrics], confusion: Output[ClassificationMetrics]
) -> None:
    """Log the model's accuracy and a 2x2 confusion matrix."""
    metrics.log_metric("accuracy", float(model.metadata.get("accuracy", 0.0)))
    confusion.log_confusion_matrix(["no", "yes"], [[3, 1], [0, 4]])


@dsl.pipeline(name="meta-train")
def meta_train(rows: int = 5, accuracy: float = 0.9) -> None:
    """preprocess → train → evaluate."""
    data = preprocess(rows=rows)
    model = train(train_data=data.outputs["train_data"], accuracy=accuracy)
    evaluate(model=model.outputs["model"])


def trained_runs(ui: Any) -> dict[str, str]:
    """Two finished train runs on the UI tests' server (``tests.ui.conftest.UiServer``):
    accuracy 0.9 (``good``) and 0.3 (``bad``), without caching. Submitted once per server;
    later callers get the same runs."""
    if "meta-good" not in ui.runs:
        package = compiler_to(ui.folder / "meta-train.yaml")
        for name, accuracy in (("good", 0.9), ("bad", 0.3)):
            run = ui.client.create_run_from_pipeline_package(
                package,
                arguments={"accuracy": accuracy},
                run_name=f"meta-{name}",
                enable_caching=False,
            )
            ui.runs[f"meta-{name}"] = str(run.run_id)
        for name in ("meta-good", "meta-bad"):
            assert ui.wait_run(ui.runs[name]) == "SUCCEEDED"
    return {"good": ui.runs["meta-good"], "bad": ui.runs["meta-bad"]}


def compiler_to(path: Path) -> str:
    """Compile :func:`meta_train` to ``path`` (once)."""
    if not path.exists():
        compiler.Compiler().compile(meta_train, str(path))  # type: ignore[arg-type]
    return str(path)


def model_id(base_url: str, run_id: str) -> int:
    """The id of the Model a train run made (through the UI's API)."""
    page = httpx.get(
        f"{base_url}/apis/sluice/v1/artifacts",
        params={"filter": f'schema_title="system.Model" AND run_id="{run_id}"'},
    ).json()
    return int(page["artifacts"][0]["id"])
