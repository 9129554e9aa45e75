"""A cache miss explained part by part (what the UI's Cache tab shows): a changed pipeline
parameter named with its old and new values, an upstream output that changed, a changed
component's code as the lines that changed, and a changed image."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

import sluice
from sluice.client.cache import explain_cache
from sluice.service.cache_changes import CacheChange


@dsl.component
def prepare(times: int) -> int:
    return times * 10


@dsl.component
def greet(greeting: str, count: int) -> str:
    return greeting * count


@dsl.pipeline(name="cache-changes")
def two_steps(greeting: str = "hi", times: int = 3) -> None:
    greet(greeting=greeting, count=prepare(times=times).output)


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))


def _changes(run_id: str, task: str) -> list[CacheChange]:
    explained = explain_cache(run_id, task)
    assert not explained.hit, explained.reason
    return explained.changes


def test_a_changed_parameter_is_named_with_its_values_and_origin() -> None:
    sluice.run(two_steps, {"times": 3}, enable_caching=True)
    changed = sluice.run(two_steps, {"times": 4}, enable_caching=True)
    [change] = _changes(changed.id, "prepare")
    assert (change.part, change.name, change.old, change.new) == ("parameter", "times", 3, 4)
    assert change.origin == "pipeline parameter 'times'"
    assert change.origin_task is None
    # Downstream, the same change arrives as another task's output.
    [upstream] = _changes(changed.id, "greet")
    assert (upstream.part, upstream.name, upstream.old, upstream.new) == (
        "parameter",
        "count",
        30,
        40,
    )
    assert upstream.origin == "output 'Output' of task 'prepare'"
    assert upstream.origin_task == "prepare"


def _pipeline(body: Callable[[int], int], base_image: str | None = None) -> Any:
    """The pipeline ``code-change`` with one component ``step``: another body or image
    each time, the same names."""
    options: dict[str, Any] = {"base_image": base_image} if base_image else {}
    step = dsl.component(body, **options)

    @dsl.pipeline(name="code-change")
    def pipeline(x: int = 2) -> None:
        step(x=x)

    return pipeline


def step_v1(x: int) -> int:
    return x + 1


def step_v2(x: int) -> int:
    return x + 2


def test_changed_code_shows_the_changed_lines_and_a_changed_image_both_values() -> None:
    step_v2.__name__ = step_v1.__name__ = "step"
    sluice.run(_pipeline(step_v1), enable_caching=True)
    edited = sluice.run(_pipeline(step_v2), enable_caching=True)
    [code] = _changes(edited.id, "step")
    assert code.part == "command" and code.old is None and code.new is None
    assert "-    return x + 1" in code.diff and "+    return x + 2" in code.diff
    image = sluice.run(_pipeline(step_v2, base_image="python:3.12-slim"), enable_caching=True)
    changes = {change.part: change for change in _changes(image.id, "step")}
    assert changes["image"].new == "python:3.12-slim"
    assert changes["image"].old != "python:3.12-slim"


@dsl.pipeline(name="inner-prepare")
def inner(x: int) -> int:
    return prepare(times=x).output


@dsl.pipeline(name="loop-origins")
def looped(items: list = [1, 2]) -> None:  # noqa: B006 (kfp reads the default)
    with dsl.ParallelFor(items) as item:
        inner(x=item)


def test_an_input_from_a_loop_item_is_traced_through_the_nested_pipeline() -> None:
    run = sluice.run(looped, enable_caching=True)
    paths = [task.path for task in run.tasks if task.path.endswith("/inner-prepare/prepare")]
    assert len(paths) == 2
    # The iteration that ran second missed against the first (same pipeline, same task).
    explained = [explain_cache(run.id, path) for path in paths]
    [missed] = [one for one in explained if one.changes]
    [change] = missed.changes
    assert (change.part, change.name, {change.old, change.new}) == ("parameter", "times", {1, 2})
    index = missed.task_path.split("[", 1)[1].split("]", 1)[0]
    loop = missed.task_path.split("[", 1)[0]
    assert change.origin == f"item {index} of loop '{loop}'"
