"""The run manager leaves alone a run that someone else (`sluice runs resume`) executes."""

import asyncio
import time
from pathlib import Path

import pytest
from kfp import dsl
from tests.states import move_run, move_task
from tests.store_rows import new_task

from sluice.config import Settings
from sluice.engine.states import RunState
from sluice.errors import RunBusyError
from sluice.server.manager import RunManager
from sluice.service.runs import prepare_run
from sluice.store.locks import lock_run
from sluice.store.repository import Store


@dsl.component(base_image="python:3.11")
def noop() -> str:
    return "ok"


@dsl.pipeline(name="noop")
def noop_pipeline() -> str:
    return noop().output


def _server_run(settings: Settings, state: RunState) -> str:
    store, row, _settings, _warnings = prepare_run(
        noop_pipeline,
        {},
        settings=settings,
        run_fields={"experiment_id": "exp", "executed_by": "server"},
    )
    store.transition_run(row.id, RunState.RUNNING, started=True)
    if state != RunState.RUNNING:
        store.transition_run(row.id, state)
    return row.id


def test_start_leaves_runs_another_owner_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    running = _server_run(settings, RunState.RUNNING)
    canceling = _server_run(settings, RunState.CANCELING)
    store = Store(settings.db_url)
    # Held the way `sluice runs resume` in another process would hold them.
    locks = [lock_run(store.engine, run_id, run_id) for run_id in (running, canceling)]

    worker_log = tmp_path / "worker.log"

    async def main() -> None:
        manager = RunManager(
            store, settings, max_concurrent_runs=2, poll_seconds=0.2, log_path=worker_log
        )
        await manager.start()
        try:
            deadline = time.monotonic() + 30
            # The worker process tried the run, was refused its lock and left it alone.
            while manager.running_run_ids or f"not executing run {running}" not in (
                worker_log.read_text() if worker_log.exists() else ""
            ):
                assert time.monotonic() < deadline, "the manager never tried the run"
                await asyncio.sleep(0.05)
            with pytest.raises(RunBusyError, match="executed by another process"):
                await manager.terminate(running)
            for lock in locks:
                lock.release()
            assert (await manager.terminate(running)).state == "CANCELED"
        finally:
            await manager.stop()

    asyncio.run(main())
    row = store.get_run(canceling)
    assert row is not None and row.state == "CANCELING"  # not the server's to finish
    history = [t.state for t in store.state_history(running)]
    assert "FAILED" not in history


def test_start_closes_attempts_left_running_in_ended_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs resumed by an older Sluice kept their killed attempts RUNNING for ever."""
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    store, row, _settings, _warnings = prepare_run(noop_pipeline, {}, settings=settings)
    task = new_task(store, row.id, name="noop")
    move_task(store, task.id, "SUCCEEDED")
    for attempt, state in ((1, "RUNNING"), (2, "COMPLETE")):
        store.create_execution(
            run_id=row.id,
            task_id=task.id,
            pipeline_name="noop",
            component_name="comp-noop",
            type_="system.ContainerExecution",
            attempt=attempt,
            state=state,
            input_parameters={},
            fingerprint=None,
            cache_enabled=False,
        )
    move_run(store, row.id, RunState.SUCCEEDED, finished=True)

    async def main() -> None:
        manager = RunManager(store, settings, max_concurrent_runs=1, poll_seconds=0.2)
        await manager.start()
        await manager.stop()

    asyncio.run(main())
    executions = store.executions_of_task(task.id)
    assert [(e.state, e.how) for e in executions] == [
        ("CANCELED", "abandoned"),
        ("COMPLETE", None),
    ]
    assert [t.state for t in store.tasks_of_run(row.id)] == ["SUCCEEDED"]
