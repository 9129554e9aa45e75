"""Caching, following the Go driver (driver/cache.go, cacheutils/cache.go).

Key: component + resolved inputs + output specs + image + command/args, or
componentRef + cacheKey when a custom key is set; looked up per pipeline name; an entry is
written only after a successful, cache-enabled execution. ``sluice.run(enable_caching=)``
behaves like the KFP client's: True/False overwrite every task's setting, None keeps them.
"""

from __future__ import annotations

from pathlib import Path

import sluice

from .helpers import count, read_artifact_text
from .pipelines import caching, loops


def _ok(run: sluice.Run) -> None:
    assert run.state == "SUCCEEDED", run.error


def _basic_args(files: Path, x: int = 1, y: int = 2) -> dict:
    return {
        "marker_a": str(files / "a"),
        "marker_b": str(files / "b"),
        "marker_c": str(files / "c"),
        "x": x,
        "y": y,
    }


def test_second_identical_run_is_cached(files: Path) -> None:
    """Nothing re-executes; outputs (artifact URIs included) are republished unchanged."""
    first = sluice.run(caching.cache_basic, _basic_args(files))
    _ok(first)
    second = sluice.run(caching.cache_basic, _basic_args(files))
    _ok(second)
    assert (count(files / "a"), count(files / "b"), count(files / "c")) == (1, 1, 1)
    for name in ("count-run", "count-artifact", "count-run-2"):
        assert first.task(name).state == "SUCCEEDED", name
        cached = second.task(name)
        assert cached.state == "CACHED", name
        assert cached.attempts == 0, name
        assert cached.cached_from is not None, name
        assert cached.outputs.keys() == first.task(name).outputs.keys()
    assert second.outputs["a"] == first.outputs["a"] == 10
    assert second.outputs["c"] == first.outputs["c"] == 100
    # A hit republishes the original artifact (Go: the cached execution's outputs).
    assert second.outputs["b"].uri == first.outputs["b"].uri
    assert read_artifact_text(second.outputs["b"]) == read_artifact_text(first.outputs["b"])
    assert second.outputs["b"].metadata["x"] == 2


def test_changed_parameter_misses_only_where_it_matters(files: Path) -> None:
    """x changes: a and its consumer c re-run; b (independent of x) is a hit."""
    _ok(sluice.run(caching.cache_basic, _basic_args(files, x=1)))
    run = sluice.run(caching.cache_basic, _basic_args(files, x=2))
    _ok(run)
    assert run.task("count-run").state == "SUCCEEDED"
    assert run.task("count-run-2").state == "SUCCEEDED"
    assert run.task("count-artifact").state == "CACHED"
    assert (count(files / "a"), count(files / "b"), count(files / "c")) == (2, 1, 2)
    assert run.outputs["a"] == 20 and run.outputs["c"] == 200


def test_run_level_false_overrides_compile_time(files: Path) -> None:
    """enable_caching=False: every task executes even though the IR enables caching."""
    _ok(sluice.run(caching.cache_basic, _basic_args(files)))
    run = sluice.run(caching.cache_basic, _basic_args(files), enable_caching=False)
    _ok(run)
    assert all(t.state == "SUCCEEDED" for t in run.tasks if t.kind == "container")
    assert (count(files / "a"), count(files / "b"), count(files / "c")) == (2, 2, 2)


def test_run_level_true_overrides_disabled_task(files: Path) -> None:
    """enable_caching=True at run level beats set_caching_options(False)."""
    marker = files / "m"
    args = {"marker": str(marker)}
    _ok(sluice.run(caching.cache_off_at_compile, args, enable_caching=True))
    run = sluice.run(caching.cache_off_at_compile, args, enable_caching=True)
    _ok(run)
    assert run.task("count-run").state == "CACHED"
    assert count(marker) == 1


def test_run_level_none_keeps_compile_time_off(files: Path) -> None:
    """enable_caching=None keeps set_caching_options(False): both runs execute."""
    marker = files / "m"
    args = {"marker": str(marker)}
    _ok(sluice.run(caching.cache_off_at_compile, args))
    run = sluice.run(caching.cache_off_at_compile, args, enable_caching=None)
    _ok(run)
    assert run.task("count-run").state == "SUCCEEDED"
    assert count(marker) == 2


def test_disabled_run_writes_no_entry(files: Path) -> None:
    """A cache-disabled execution is not stored, so a later enabled run still misses."""
    marker = files / "m"
    args = {"marker": str(marker)}
    _ok(sluice.run(caching.cache_off_at_compile, args))
    run = sluice.run(caching.cache_off_at_compile, args, enable_caching=True)
    _ok(run)
    assert run.task("count-run").state == "SUCCEEDED"
    assert count(marker) == 2


def test_custom_cache_key_hits_with_different_inputs(files: Path) -> None:
    """cacheKey replaces the input-based fingerprint: x=2 hits x=1's entry."""
    marker = files / "m"
    first = sluice.run(caching.cache_custom_key, {"marker": str(marker), "x": 1})
    _ok(first)
    second = sluice.run(caching.cache_custom_key, {"marker": str(marker), "x": 2})
    _ok(second)
    assert second.task("count-run").state == "CACHED"
    assert second.outputs["Output"] == 10, "the cached output of the x=1 execution"
    assert count(marker) == 1


def test_cache_is_scoped_to_the_pipeline_name(files: Path) -> None:
    """Same component and inputs in another pipeline: no hit (Go looks up per pipeline)."""
    marker = files / "m"
    args = {"marker": str(marker)}
    _ok(sluice.run(caching.cache_artifact, args))
    other = sluice.run(caching.cache_artifact_other_pipeline, args)
    _ok(other)
    assert other.task("count-artifact").state == "SUCCEEDED"
    assert count(marker) == 2
    again = sluice.run(caching.cache_artifact, args)
    _ok(again)
    assert again.task("count-artifact").state == "CACHED"
    assert count(marker) == 2


def test_failed_execution_is_not_cached(files: Path) -> None:
    """A failure writes no cache entry: the same inputs execute again and can succeed."""
    marker, flag = files / "m", files / "flag"
    flag.write_text("fail")
    args = {"marker": str(marker), "flag": str(flag)}
    failed = sluice.run(caching.cache_after_failure, args)
    assert failed.state == "FAILED"
    flag.unlink()
    run = sluice.run(caching.cache_after_failure, args)
    _ok(run)
    assert run.task("fail-if-flag").state == "SUCCEEDED"
    assert count(marker) == 2
    third = sluice.run(caching.cache_after_failure, args)
    _ok(third)
    assert third.task("fail-if-flag").state == "CACHED"
    assert count(marker) == 2


def test_loop_iterations_are_cached(files: Path) -> None:
    """Each iteration's task is cached on its own inputs; Collected outputs are rebuilt."""
    marker = files / "sq"
    first = sluice.run(loops.loop_raw, {"marker": str(marker)})
    _ok(first)
    second = sluice.run(loops.loop_raw, {"marker": str(marker)})
    _ok(second)
    assert [t.state for t in second.tasks_named("square")] == ["CACHED"] * 3
    assert second.task("total").state == "CACHED"
    assert second.outputs["Output"] == 14
    assert count(marker) == 3


def test_new_input_artifact_misses(files: Path) -> None:
    """The key holds input artifact identities, not content (Go cacheutils CacheKey).

    The producer never caches, so each run makes a new artifact with the same content;
    the consumer's inputs differ and it runs again.
    """
    args = {"marker_p": str(files / "p"), "marker_c": str(files / "c")}
    _ok(sluice.run(caching.cache_artifact_consumer, args))
    run = sluice.run(caching.cache_artifact_consumer, args)
    _ok(run)
    assert run.task("count-artifact").state == "SUCCEEDED"
    assert run.task("consume-artifact").state == "SUCCEEDED"
    assert (count(files / "p"), count(files / "c")) == (2, 2)
    assert run.outputs["Output"] == "1"


def test_republished_input_artifact_hits(files: Path) -> None:
    """When the producer is a cache hit, its consumer sees the same artifact and hits too."""
    args = {"marker_p": str(files / "p"), "marker_c": str(files / "c")}
    _ok(sluice.run(caching.cache_artifact_consumer_cached, args))
    run = sluice.run(caching.cache_artifact_consumer_cached, args)
    _ok(run)
    assert run.task("count-artifact").state == "CACHED"
    assert run.task("consume-artifact").state == "CACHED"
    assert (count(files / "p"), count(files / "c")) == (1, 1)
