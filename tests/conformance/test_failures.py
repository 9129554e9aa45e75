"""Failure paths: a failing component fails the run and nothing downstream runs.

Go/Argo: dependents wait on ``X.Succeeded``, so tasks downstream of a failure are never
started. The engine may record them as SKIPPED or not create them; either way they must
not run and must not be SUCCEEDED.
"""

from __future__ import annotations

from pathlib import Path

import sluice

from .helpers import assert_not_run, lines
from .pipelines import failures


def _args(files: Path) -> dict:
    return {"marker": str(files / "m"), "down_marker": str(files / "down")}


def test_failing_component(files: Path) -> None:
    """run FAILED; error names the task and the exception; the log has the traceback."""
    run = sluice.run(failures.failing, _args(files))
    assert run.state == "FAILED"
    assert lines(files / "m") == ["ok", "explode"]
    assert lines(files / "down") == []
    assert run.task("ok-step").state == "SUCCEEDED"
    bad = run.task("explode")
    assert bad.state == "FAILED"
    assert bad.attempts == 1
    assert_not_run(run, "downstream")
    assert_not_run(run, "downstream-2")
    assert run.error is not None
    assert "explode" in run.error
    assert "conformance boom: fine" in run.error
    assert bad.error is not None and "conformance boom: fine" in bad.error
    assert bad.log_path is not None
    log = Path(bad.log_path).read_text()
    assert "Traceback (most recent call last)" in log
    assert "deep_helper_function" in log
    assert "ZeroDivisionError: conformance boom: fine" in log
    assert "about to explode" in log


def test_failure_inside_nested_pipeline(files: Path) -> None:
    """The nested DAG fails, so does the run; the outer consumer never runs."""
    run = sluice.run(failures.failing_in_nested, _args(files))
    assert run.state == "FAILED"
    assert run.task("failing/explode").state == "FAILED"
    assert run.task("failing").state == "FAILED"
    assert lines(files / "down") == []
    assert_not_run(run, "downstream")
    assert "explode" in (run.error or "")


def test_failure_inside_loop(files: Path) -> None:
    """Failing iterations fail the loop and the run; the task after the loop never runs."""
    run = sluice.run(failures.failing_in_loop, _args(files))
    assert run.state == "FAILED"
    assert lines(files / "down") == []
    assert_not_run(run, "downstream")
    failed = [t for t in run.tasks_named("explode") if t.state == "FAILED"]
    assert failed, [(t.path, t.state) for t in run.tasks]
    assert "conformance boom" in (run.error or "")


def test_failed_run_is_listed_with_its_error(files: Path) -> None:
    """get_run and list_runs report the failed run with the same error."""
    run = sluice.run(failures.failing, _args(files))
    again = sluice.get_run(run.id)
    assert again.state == "FAILED"
    assert again.error == run.error
    assert [r.id for r in sluice.list_runs()] == [run.id]
