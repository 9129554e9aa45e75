"""The service layer raises SluiceErrors (never HTTP errors) and applies the resource rules."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.store_rows import new_run

from sluice.config import Settings
from sluice.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    RunNotFoundError,
    SluiceError,
)
from sluice.service.experiments import DEFAULT_EXPERIMENT, ExperimentService
from sluice.service.pipelines import NewPipeline, NewVersion, PipelineService
from sluice.service.recurring_runs import RecurringRunService
from sluice.service.runs import RunService
from sluice.store.listing import ListQuery
from sluice.store.models import RecurringRunRow
from sluice.store.repository import Store, new_id

SPEC = {"pipeline_spec": {}, "platform_spec": None}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return Settings(home=home, db_url=f"sqlite:///{home / 'sluice.db'}")


@pytest.fixture
def store(settings: Settings) -> Store:
    settings.home.mkdir(parents=True, exist_ok=True)
    return Store(settings.db_url)


def test_experiments(store: Store) -> None:
    changed: list[str] = []
    service = ExperimentService(store, on_schedules_changed=lambda: changed.append("x"))
    with pytest.raises(InvalidArgumentError):
        service.create("   ")
    exp = service.create(" e ")
    assert exp.display_name == "e" and service.create("e").id == exp.id
    assert service.resolve(None).display_name == DEFAULT_EXPERIMENT
    with pytest.raises(NotFoundError, match="no experiment 'nope'"):
        service.resolve("nope")
    service.archive(exp.id)
    assert changed == ["x"] and service.get(exp.id).storage_state == "ARCHIVED"
    service.delete(exp.id)
    with pytest.raises(NotFoundError):
        service.delete(exp.id)


def test_pipelines_and_versions(store: Store) -> None:
    service = PipelineService(store)
    pipeline, version = service.create(
        NewPipeline(name="p"), NewVersion(name="v1", pipeline_spec=SPEC)
    )
    assert version is not None and pipeline.display_name == "p"
    with pytest.raises(AlreadyExistsError):
        service.create(NewPipeline(name="p"))
    with pytest.raises(AlreadyExistsError):
        service.create_version(pipeline.id, NewVersion(name="v1", pipeline_spec=SPEC))
    assert service.source_of(pipeline.id, None) is not None
    assert service.source_of(None, None) is None
    with pytest.raises(NotFoundError, match="no version 'x' of pipeline"):
        service.get_version(pipeline.id, "x")
    with pytest.raises(NotFoundError):
        service.get_version("another-pipeline", version.id)
    with pytest.raises(FailedPreconditionError, match="cascade=true"):
        service.delete(pipeline.id)
    service.delete(pipeline.id, cascade=True)
    with pytest.raises(NotFoundError):
        service.latest_version(pipeline.id)


def test_runs_not_found_precondition_and_archive(store: Store, settings: Settings) -> None:
    service = RunService(store, settings)
    with pytest.raises(RunNotFoundError, match="no run 'missing'"):
        service.get("missing")
    row = new_run(store)
    with pytest.raises(FailedPreconditionError, match="only FAILED or CANCELED runs retry"):
        asyncio.run(service.retry(row.id))
    service.archive(row.id)
    assert service.get(row.id).storage_state == "ARCHIVED"
    assert service.list(ListQuery()).total_size == 1
    # Nothing executes runs here: canceling a PENDING run cancels it at once.
    asyncio.run(service.cancel(row.id))
    assert service.get(row.id).state == "CANCELED"
    service.delete(row.id)
    with pytest.raises(RunNotFoundError):
        service.details(row.id)


def test_recurring_runs_wake_the_scheduler_on_every_change(store: Store) -> None:
    changed: list[str] = []
    service = RecurringRunService(store, on_schedules_changed=lambda: changed.append("x"))
    row = RecurringRunRow(id=new_id(), display_name="nightly")
    assert service.create(row, lambda r: r.status) == "ENABLED"
    service.set_enabled(row.id, False)
    assert service.update(row.id, {"description": "d"}, lambda r: r.description) == "d"
    service.delete(row.id)
    assert changed == ["x"] * 4
    for call in (
        lambda: service.get(row.id),
        lambda: service.set_enabled(row.id, True),
        lambda: service.delete(row.id),
    ):
        with pytest.raises(NotFoundError, match=f"no recurring run '{row.id}'"):
            call()
    assert issubclass(NotFoundError, SluiceError)


EMPTY_SPEC = {
    "pipelineInfo": {"name": "empty"},
    "root": {"dag": {"tasks": {}}},
    "schemaVersion": "2.1.0",
    "sdkVersion": "kfp-2.7.0",
}


def test_create_then_resume_executes_the_run_here(store: Store, settings: Settings) -> None:
    from sluice.executors.local import LocalExecutor

    woken: list[str] = []

    class Recorder:
        def wake(self) -> None:
            woken.append("wake")

        async def terminate(self, run_id: str) -> None:
            raise AssertionError("not called")

        async def retry(self, run_id: str) -> None:
            raise AssertionError("not called")

    service = RunService(store, settings, executor=Recorder())
    with pytest.raises(NotFoundError):
        service.create(pipeline=EMPTY_SPEC, parameters={}, experiment_id="nope")
    assert service.list(ListQuery()).total_size == 0  # nothing half-written
    row = service.create(pipeline=EMPTY_SPEC, parameters={}, display_name="r")
    assert (row.state, woken) == ("PENDING", ["wake"])
    assert ExperimentService(store).get(row.experiment_id or "").last_run_created_at is not None

    done = asyncio.run(
        RunService(store, settings).resume(
            row.id, executor=LocalExecutor(venv_root=settings.venvs_dir)
        )
    )
    assert done.state == "SUCCEEDED"
    assert [h.state for h in service.history(row.id)] == ["PENDING", "RUNNING", "SUCCEEDED"]
    again = asyncio.run(
        service.resume(row.id, executor=LocalExecutor(venv_root=settings.venvs_dir))
    )
    assert again.state == "SUCCEEDED"
    assert len(service.history(row.id)) == 3  # not executed twice
