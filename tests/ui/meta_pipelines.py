"""A small train pipeline for the metadata and lineage tests: preprocess → train_data →
train → model → evaluate → metrics, confusion (examples/train_pipeline.py's shape, with no
packages to install). No ``from __future__ import annotations``: kfp reads the annotations."""

from kfp import dsl
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
