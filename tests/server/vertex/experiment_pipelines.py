"""A pipeline logging metrics, for the experiment tests (no ``from __future__ import
annotations``: kfp reads the real annotations)."""

from kfp import dsl
from kfp.dsl import Metrics, Output


@dsl.component
def score(lr: float, metrics: Output[Metrics]) -> None:
    """Log an accuracy that depends on the learning rate."""
    metrics.log_metric("accuracy", 1.0 - lr)


@dsl.pipeline(name="scored")
def scored(lr: float = 0.5) -> None:
    """One task writing a system.Metrics artifact."""
    score(lr=lr)
