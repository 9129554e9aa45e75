"""Pipelines the form, pipeline and experiment tests submit (no ``from __future__ import
annotations``: kfp reads the real annotations)."""

from kfp import dsl
from kfp.dsl import Metrics, Output


@dsl.component
def score(
    count: int,
    rate: float,
    flag: bool,
    name: str,
    items: list,
    config: dict,
    metrics: Output[Metrics],
) -> str:
    """Log ``rate`` as the accuracy; answer every argument with its Python type."""
    metrics.log_metric("accuracy", rate)
    metrics.log_metric("count", count)
    values = [count, rate, flag, name, items, config]
    return ";".join(f"{type(value).__name__}={value!r}" for value in values)


@dsl.pipeline(name="ui-typed")
def typed(
    count: int = 3,
    rate: float = 0.75,
    flag: bool = True,
    name: str = "hello",
    items: list = [1, 2],  # noqa: B006 (a pipeline default, never mutated)
    config: dict = {"depth": 2},  # noqa: B006
) -> str:
    """One task taking a parameter of each type and logging metrics."""
    return score(count=count, rate=rate, flag=flag, name=name, items=items, config=config).outputs[
        "Output"
    ]
