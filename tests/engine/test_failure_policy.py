"""The run's failure policy: fail fast (KFP's, the default) or fail slow (Vertex's).

Each pipeline has a task that fails and an independent branch whose second task becomes
ready only once the failure is recorded: its first task waits until the store says the
failing task is FAILED (a poll with a deadline, not a sleep), so the outcome does not
depend on timing. Fail fast then never starts the branch's second task; fail slow does.
"""

# No `from __future__ import annotations`: kfp reads the annotations of the components.

from pathlib import Path

import pytest
from kfp import dsl

import sluice
from sluice.config import Settings
from sluice.errors import InvalidArgumentError
from sluice.states import FailurePolicy


@dsl.component
def boom(marker_dir: str) -> str:
    import os

    open(os.path.join(marker_dir, "boom"), "w").close()
    raise RuntimeError("told to fail")


@dsl.component
def after_failure(db_path: str, failing_task: str) -> str:
    """Succeed once the store records ``failing_task`` FAILED (deadline 120 s)."""
    import sqlite3
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sqlite3.connect(db_path, timeout=30) as conn:
            row = conn.execute(
                "SELECT state FROM tasks WHERE name = ?",
                (failing_task,),
            ).fetchone()
        if row is not None and row[0] == "FAILED":
            return "seen"
        time.sleep(0.05)
    raise RuntimeError(f"{failing_task} was never recorded FAILED")


@dsl.component
def mark(marker_dir: str, name: str, previous: str) -> str:
    import os

    open(os.path.join(marker_dir, name), "w").close()
    return name


@dsl.pipeline
def branches(marker_dir: str, db_path: str) -> None:
    boom(marker_dir=marker_dir).set_caching_options(False)
    gate = after_failure(db_path=db_path, failing_task="boom").set_caching_options(False)
    mark(marker_dir=marker_dir, name="independent", previous=gate.output).set_caching_options(False)


@dsl.pipeline
def inner(marker_dir: str, db_path: str) -> None:
    boom(marker_dir=marker_dir).set_caching_options(False)
    gate = after_failure(db_path=db_path, failing_task="boom").set_caching_options(False)
    mark(
        marker_dir=marker_dir, name="nested-independent", previous=gate.output
    ).set_caching_options(False)


@dsl.pipeline
def nested(marker_dir: str, db_path: str) -> None:
    inner(marker_dir=marker_dir, db_path=db_path).set_caching_options(False)


@dsl.component
def maybe_fail(marker_dir: str, i: int) -> int:
    import os

    open(os.path.join(marker_dir, f"iteration-{i}"), "w").close()
    if i == 0:
        raise RuntimeError("iteration 0 fails")
    return i


@dsl.pipeline
def loop(marker_dir: str) -> None:
    # parallelism=1: iteration 1 starts only after iteration 0 has ended (failed).
    with dsl.ParallelFor([0, 1, 2], parallelism=1) as i:
        maybe_fail(marker_dir=marker_dir, i=i).set_caching_options(False)


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    url = Settings.from_env().db_url
    assert url.startswith("sqlite:///"), url
    return url.removeprefix("sqlite:///")


def _args(tmp_path: Path, db_path: str) -> dict[str, str]:
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    return {"marker_dir": str(markers), "db_path": db_path}


def test_fail_fast_starts_no_task_after_a_failure(tmp_path: Path, db_path: str) -> None:
    run = sluice.run(branches, _args(tmp_path, db_path))  # fail fast is the default
    assert run.state == "FAILED"
    assert run.task("boom").state == "FAILED"
    assert run.task("after-failure").state == "SUCCEEDED"  # it was running: it finishes
    assert run.task("mark").state == "SKIPPED"
    assert "not started: task 'boom' failed" in (run.task("mark").error or "")
    assert not (tmp_path / "markers" / "independent").exists()
    assert "boom" in (run.error or "")


def test_fail_slow_runs_the_independent_branch_to_its_end(tmp_path: Path, db_path: str) -> None:
    run = sluice.run(branches, _args(tmp_path, db_path), failure_policy="slow")
    assert run.state == "FAILED"
    assert run.task("boom").state == "FAILED"
    assert run.task("after-failure").state == "SUCCEEDED"
    assert run.task("mark").state == "SUCCEEDED"
    assert (tmp_path / "markers" / "independent").exists()
    assert "boom" in (run.error or "")


@pytest.mark.parametrize(("policy", "ran"), [("fast", False), ("slow", True)])
def test_the_policy_holds_inside_a_nested_pipeline(
    tmp_path: Path, db_path: str, policy: str, ran: bool
) -> None:
    run = sluice.run(nested, _args(tmp_path, db_path), failure_policy=policy)
    assert run.state == "FAILED"
    assert run.task("inner").state == "FAILED"
    assert run.task("inner/boom").state == "FAILED"
    assert run.task("inner/mark").state == ("SUCCEEDED" if ran else "SKIPPED")
    assert (tmp_path / "markers" / "nested-independent").exists() is ran


@pytest.mark.parametrize(("policy", "ran"), [("fast", False), ("slow", True)])
def test_the_policy_holds_inside_a_loop(
    tmp_path: Path, db_path: str, policy: str, ran: bool
) -> None:
    markers = Path(_args(tmp_path, db_path)["marker_dir"])
    run = sluice.run(loop, {"marker_dir": str(markers)}, failure_policy=policy)
    assert run.state == "FAILED"
    states = {t.path: t.state for t in run.tasks}
    assert states["for-loop-2[0]"] == "FAILED"
    expected = "SUCCEEDED" if ran else "SKIPPED"
    assert states["for-loop-2[1]"] == expected
    assert states["for-loop-2[2]"] == expected
    assert [(markers / f"iteration-{i}").exists() for i in range(3)] == [True, ran, ran]


def test_the_policy_is_kept_on_the_run(tmp_path: Path, db_path: str) -> None:
    from sluice.service.stores import open_store

    run = sluice.run(loop, {"marker_dir": str(tmp_path)}, failure_policy="FAIL_SLOW")
    row = open_store(Settings.from_env()).get_run(run.id)
    assert row is not None and row.failure_policy == "FAIL_SLOW"


def test_an_unknown_policy_is_refused_before_the_run(tmp_path: Path, db_path: str) -> None:
    with pytest.raises(InvalidArgumentError, match="failure_policy 'sometimes' is invalid"):
        sluice.run(loop, {"marker_dir": str(tmp_path)}, failure_policy="sometimes")
    assert sluice.list_runs() == []
    assert FailurePolicy.parse("slow") is FailurePolicy.FAIL_SLOW
    assert FailurePolicy.parse("fast") is FailurePolicy.FAIL_FAST
