"""A pipeline that trains a model the way Vertex users write it: ``model.joblib`` in the
``Output[Model]`` directory (no ``from __future__ import annotations``: kfp reads the
real annotations)."""

from kfp import dsl
from kfp.dsl import Model, Output


@dsl.component
def train(model: Output[Model]) -> None:
    """Fit a tiny classifier and save it as Vertex's prebuilt containers load it."""
    import os

    import joblib
    from sklearn.linear_model import LogisticRegression

    os.makedirs(model.path, exist_ok=True)
    fitted = LogisticRegression().fit([[0.0], [0.1], [1.0], [0.9]], [0, 0, 1, 1])
    joblib.dump(fitted, os.path.join(model.path, "model.joblib"))


@dsl.pipeline(name="train-model")
def train_model() -> None:
    """Train one model."""
    train()
