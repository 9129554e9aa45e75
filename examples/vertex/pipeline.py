"""A small training pipeline, written for Vertex AI Pipelines and unchanged for Sluice.

``submit.py`` compiles it and submits it with the Vertex AI SDK. The components use only
the standard library, so the example needs no extra packages in the tasks' environment.
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output


@dsl.component(base_image="python:3.11")
def make_dataset(rows: int, dataset: Output[Dataset]) -> None:
    """Write ``rows`` points of y = 3x + 1 as CSV."""
    with open(dataset.path, "w") as out:
        out.write("x,y\n")
        for x in range(rows):
            out.write(f"{x},{3 * x + 1}\n")
    dataset.metadata["rows"] = rows


@dsl.component(base_image="python:3.11")
def train(
    dataset: Input[Dataset],
    epochs: int,
    learning_rate: float,
    model: Output[Model],
    metrics: Output[Metrics],
) -> None:
    """Fit y = a·x + b by gradient descent and log the final error."""
    import csv
    import json

    with open(dataset.path) as source:
        points = [(float(row["x"]), float(row["y"])) for row in csv.DictReader(source)]
    scale = max(x for x, _ in points) or 1.0
    a = b = 0.0
    for _ in range(epochs):
        grad_a = grad_b = 0.0
        for x, y in points:
            error = a * x / scale + b - y
            grad_a += error * x / scale
            grad_b += error
        a -= learning_rate * grad_a / len(points)
        b -= learning_rate * grad_b / len(points)
    mse = sum((a * x / scale + b - y) ** 2 for x, y in points) / len(points)
    with open(model.path, "w") as out:
        json.dump({"slope": a / scale, "intercept": b}, out)
    model.metadata["framework"] = "plain-python"
    metrics.log_metric("mse", mse)
    metrics.log_metric("epochs", epochs)


@dsl.pipeline(name="vertex-example", description="make a dataset, train a line on it")
def pipeline(rows: int = 50, epochs: int = 200, learning_rate: float = 0.5) -> None:
    """The pipeline ``submit.py`` compiles and submits."""
    data = make_dataset(rows=rows)
    train(dataset=data.outputs["dataset"], epochs=epochs, learning_rate=learning_rate)
