"""LocalRunService: a run executed in this process, read back with its tasks and artifacts,
and canceled where nothing here executes it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kfp import dsl
from kfp.dsl import Dataset
from tests.states import move_run

from sluice.config import Settings
from sluice.errors import RunNotFoundError
from sluice.events import Event, RunStateChanged
from sluice.service.local_runs import LocalRunService
from sluice.service.runs import prepare_run
from sluice.states import RunState
from sluice.store.repository import Store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    return Settings(home=home, db_url=f"sqlite:///{home / 'sluice.db'}")


def _importing_pipeline(uri: str) -> object:
    # No return annotation: kfp reads this file's postponed annotations as strings.
    @dsl.pipeline(name="imports")
    def imports():
        dsl.importer(artifact_uri=uri, artifact_class=Dataset)

    return imports


def test_execute_then_read_the_run_with_its_tasks_and_artifacts(
    settings: Settings, tmp_path: Path
) -> None:
    data = tmp_path / "data.txt"
    data.write_text("rows\n")
    store, row, _settings, _warnings = prepare_run(
        _importing_pipeline(str(data)), settings=settings
    )
    runs = LocalRunService(store, settings)
    seen: list[Event] = []
    with runs.subscribe(row.id, seen.append):
        asyncio.run(runs.execute(row.id))

    record = runs.get(row.id)
    assert record.run.state == RunState.SUCCEEDED
    assert [RunState(e.state) for e in seen if isinstance(e, RunStateChanged)] == [
        RunState.RUNNING,
        RunState.SUCCEEDED,
    ]
    (task,) = record.tasks
    (artifact_id,) = task.outputs["artifacts"]["artifact"]
    assert record.artifacts[artifact_id].uri == str(data)
    assert runs.resolve(row.name).run.id == row.id
    (listed,) = runs.list()
    assert (listed.run.id, listed.tasks) == (row.id, [])


def test_cancel_unowned_cancels_pending_and_marks_running_canceling(
    settings: Settings,
) -> None:
    store = Store(settings.db_url)
    runs = LocalRunService(store, settings)
    with pytest.raises(RunNotFoundError, match="no run 'missing'"):
        runs.cancel_unowned("missing")
    pending, running, ended = (
        prepare_run(_importing_pipeline("/nowhere"), run_name=name, settings=settings)[1]
        for name in ("pending", "running", "ended")
    )
    move_run(store, running.id, RunState.RUNNING)
    move_run(store, ended.id, RunState.SUCCEEDED)

    canceled = runs.cancel_unowned(pending.id).run
    assert (canceled.state, canceled.error) == (RunState.CANCELED, "canceled")
    assert canceled.finished_at is not None
    # Another process executes it: that process finishes the cancellation.
    assert runs.cancel_unowned(running.id).run.state == RunState.CANCELING
    assert runs.cancel_unowned(ended.id).run.state == RunState.SUCCEEDED
