"""Pipelines the task panel's tests submit (no ``from __future__ import annotations``: kfp
reads the real annotations)."""

from kfp import dsl
from kfp.dsl import Dataset, Output

# The bytes the typed task writes to its Dataset, so the panel's size can be checked.
DATA_BYTES = 2048


@dsl.component
def typed_values(
    count: int,
    rate: float,
    flag: bool,
    name: str,
    items: list,
    config: dict,
    data: Output[Dataset],
) -> float:
    """Take a parameter of each type, write ``DATA_BYTES`` bytes, answer ``rate`` doubled."""
    with open(data.path, "w") as out:
        out.write("x" * 2048)
    return rate * 2


@dsl.pipeline(name="ui-panel-typed")
def panel_typed(
    count: int = 3,
    rate: float = 2.0,
    flag: bool = True,
    name: str = "hello",
    items: list = [1, 2],  # noqa: B006 (a pipeline default, never mutated)
    config: dict = {"depth": 2},  # noqa: B006
) -> None:
    """One task taking each parameter type; ``rate`` is a whole float on purpose (JSON
    alone would call it an int)."""
    typed_values(count=count, rate=rate, flag=flag, name=name, items=items, config=config)


@dsl.component
def fail_loudly() -> None:
    """Print a few lines, then fail: the panel shows the error and these last lines."""
    for step in range(3):
        print(f"loud step {step} done", flush=True)
    raise RuntimeError("the loud failure")


@dsl.pipeline(name="ui-panel-failing")
def panel_failing() -> None:
    """One task that prints, then raises."""
    fail_loudly()
