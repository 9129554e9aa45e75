"""A stored run can be executed again: finished tasks are reused, never run twice."""

import asyncio
from pathlib import Path

import pytest
from kfp import dsl

from sluice.config import Settings
from sluice.engine.runner import execute_run
from sluice.executors.local import LocalExecutor
from sluice.service.runs import prepare_run


@dsl.component
def count(marker: str, x: int) -> int:
    with open(marker, "a") as f:
        f.write("x\n")
    return x + 1


@dsl.pipeline
def two_steps(first: str, second: str) -> int:
    a = count(marker=first, x=1)
    b = count(marker=second, x=a.output)
    return b.output


def _execute(run_id: str, settings: Settings) -> str:
    from sluice.store.repository import Store

    store = Store(settings.db_url)
    executor = LocalExecutor(venv_root=settings.venvs_dir)
    return asyncio.run(execute_run(store, run_id, settings=settings, executor=executor)).value


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    return Settings.from_env()


def test_interrupted_run_resumes_without_rerunning_finished_tasks(
    tmp_path: Path, settings: Settings
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    store, row, _, _ = prepare_run(
        two_steps,
        {"first": str(first), "second": str(second)},
        settings=settings,
        enable_caching=False,
    )
    assert _execute(row.id, settings) == "SUCCEEDED"
    # Simulate a crash while the second task ran: its row says RUNNING, the run too. The
    # store's gate would refuse SUCCEEDED -> RUNNING, so the rows are written directly.
    from sqlalchemy import update

    from sluice.store.models import RunRow, TaskRow

    task = next(t for t in store.tasks_of_run(row.id) if t.name == "count-2")
    with store.session() as session:
        session.execute(update(TaskRow).where(TaskRow.id == task.id).values(state="RUNNING"))
        session.execute(update(RunRow).where(RunRow.id == row.id).values(state="RUNNING"))

    assert _execute(row.id, settings) == "SUCCEEDED"

    assert first.read_text().count("x") == 1  # the finished task was not run again
    assert second.read_text().count("x") == 2  # the interrupted one ran again (at least once)
    run = store.get_run(row.id)
    assert run is not None and run.outputs["parameters"] == {"Output": 3}
    paths = [t.path for t in store.tasks_of_run(row.id)]
    assert sorted(paths) == ["count", "count-2"]  # no duplicate task rows


def test_resume_reruns_only_the_failed_task(tmp_path: Path, settings: Settings) -> None:
    import sluice

    first, second = tmp_path / "first", tmp_path / "second"
    run = sluice.run(
        two_steps, {"first": str(first), "second": "/nonexistent/dir/marker"}, enable_caching=False
    )
    assert run.state == "FAILED"
    assert "count-2" in (run.error or "")
    # Fix the cause the way a user would (here: the stored argument) and resume.
    from sluice.store.models import RunRow
    from sluice.store.repository import Store

    store = Store(settings.db_url)
    with store.session() as session:
        row = session.get(RunRow, run.id)
        assert row is not None
        row.arguments = {**row.arguments, "second": str(second)}
    # A failed task's inputs come from the run arguments through the root scope.
    resumed = sluice.resume(run.id)
    assert resumed.state == "SUCCEEDED", resumed.error
    assert first.read_text().count("x") == 1
    assert second.read_text().count("x") == 1
    assert resumed.outputs == {"Output": 3}
