"""`explain_cache` says why a task was or was not a hit; `clear_cache` stops reuse."""

from pathlib import Path

import pytest
from kfp import dsl

import sluice
from sluice.client.cache import clear_cache, explain_cache


@dsl.component
def scale(x: int, factor: int) -> int:
    return x * factor


@dsl.pipeline
def scaled(x: int = 2, factor: int = 3) -> int:
    return scale(x=x, factor=factor).output


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))


def test_hit_names_the_execution_it_reused() -> None:
    first = sluice.run(scaled, enable_caching=True)
    second = sluice.run(scaled, enable_caching=True)
    explained = explain_cache(second.name, "scale")
    assert explained.hit
    assert explained.source_run_name == first.name
    assert "cache hit" in explained.reason


def test_miss_names_the_parameter_that_changed() -> None:
    sluice.run(scaled, {"x": 2}, enable_caching=True)
    changed = sluice.run(scaled, {"x": 5}, enable_caching=True)
    explained = explain_cache(changed.id, "scale")
    assert not explained.hit
    assert explained.differences == ["input parameter 'x': 2 -> 5"]


def test_first_run_and_disabled_caching_are_explained() -> None:
    first = sluice.run(scaled, enable_caching=True)
    assert "no earlier execution" in explain_cache(first.id, "scale").reason
    off = sluice.run(scaled, enable_caching=False)
    assert "caching was off" in explain_cache(off.id, "scale").reason


def test_clear_cache_makes_the_next_run_execute() -> None:
    sluice.run(scaled, enable_caching=True)
    assert clear_cache(pipeline_name="scaled") == 1
    again = sluice.run(scaled, enable_caching=True)
    assert again.task("scale").state == "SUCCEEDED"
    explained = explain_cache(again.id, "scale")
    assert "cache was cleared" in explained.reason
    assert clear_cache(pipeline_name="other") == 0


def test_explaining_a_dag_task_is_bad_input() -> None:
    @dsl.pipeline
    def outer() -> int:
        return scaled(x=1, factor=1).output

    run = sluice.run(outer)
    with pytest.raises(sluice.UserInputError, match="only container tasks"):
        explain_cache(run.id, "scaled")


def test_explain_cache_reads_the_store_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sluice.run(scaled, enable_caching=True)
    second = sluice.run(scaled, enable_caching=True)
    from sluice.service.stores import open_store

    store = open_store(sluice.config.Settings.from_env())
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "elsewhere"))
    explained = explain_cache(second.id, "scale", store=store)
    assert explained.hit and explained.source_run_name == first.name
