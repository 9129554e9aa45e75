"""The run manager: bounded concurrency in submission order, terminate, retry, stop/resume."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from kfp import dsl

from sluice.config import Settings
from sluice.engine.states import RunState
from sluice.errors import UserInputError
from sluice.server.manager import RunManager
from sluice.store.repository import Store


@dsl.component(base_image="python:3.11")
def stamp(log: str, name: str, seconds: float) -> str:
    import time

    with open(log, "a") as f:
        f.write(f"start {name} {time.time()}\n")
    time.sleep(seconds)
    with open(log, "a") as f:
        f.write(f"end {name} {time.time()}\n")
    return name


@dsl.component(base_image="python:3.11")
def after(log: str, name: str):
    with open(log, "a") as f:
        f.write(f"after {name}\n")


@dsl.pipeline(name="stamped")
def stamped(log: str, name: str, seconds: float = 0.0):
    first = stamp(log=log, name=name, seconds=seconds)
    after(log=log, name=first.output)


@dsl.component(base_image="python:3.11")
def needs_file(path: str) -> str:
    import os

    if not os.path.exists(path):
        raise RuntimeError(f"missing {path}")
    return "ok"


@dsl.pipeline(name="needs-file")
def needs_file_pipeline(path: str):
    needs_file(path=path)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return Settings.from_env()


def _submit(settings: Settings, pipeline: object, **arguments: object) -> str:
    from sluice.client.local import prepare_run

    # A server run belongs to a KFP experiment; that is how the manager tells it apart.
    _store, row, _settings, _warnings = prepare_run(
        pipeline, arguments, settings=settings, run_fields={"experiment_id": "exp"}
    )
    return row.id


def _submit_local(settings: Settings) -> str:
    from sluice.client.local import prepare_run

    _store, row, _settings, _warnings = prepare_run(
        needs_file_pipeline, {"path": "/nonexistent"}, settings=settings
    )
    return row.id


async def _until(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def _state(store: Store, run_id: str) -> str:
    row = store.get_run(run_id)
    assert row is not None
    return row.state


def _with_manager(
    settings: Settings, limit: int, body: Callable[[RunManager, Store], Awaitable[None]]
) -> None:
    async def main() -> None:
        store = Store(settings.db_url)
        manager = RunManager(store, settings, max_concurrent_runs=limit, poll_seconds=0.2)
        await manager.start()
        try:
            await body(manager, store)
        finally:
            await manager.stop()

    asyncio.run(main())


def _lines(path: Path) -> list[list[str]]:
    return [ln.split() for ln in path.read_text().splitlines()] if path.exists() else []


def test_runs_at_most_n_at_once_in_submission_order(settings: Settings, tmp_path: Path) -> None:
    """With two slots, five runs start oldest first and never more than two run at once."""
    log = tmp_path / "log"
    names = [f"r{i}" for i in range(5)]
    ids = [_submit(settings, stamped, log=str(log), name=n, seconds=0.4) for n in names]

    async def body(manager: RunManager, store: Store) -> None:
        manager.wake()
        await _until(
            lambda: all(_state(store, i) == "SUCCEEDED" for i in ids), "all runs to succeed"
        )

    _with_manager(settings, 2, body)
    store = Store(settings.db_url)
    started = [store.get_run(i).started_at for i in ids]  # type: ignore[union-attr]
    assert started == sorted(started)  # dispatched in submission order
    events = _lines(log)
    # The two first runs start together; every later one waits for a free slot.
    starts = [e[1] for e in events if e[0] == "start"]
    assert sorted(starts[:2]) == names[:2] and starts[2:] == names[2:]
    running, peak = 0, 0
    for kind, *_ in sorted((e for e in events if e[0] in ("start", "end")), key=lambda e: e[2]):
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert peak == 2
    assert sorted(e[1] for e in events if e[0] == "after") == names


def test_terminate_pending_and_running(settings: Settings, tmp_path: Path) -> None:
    """terminate(): a queued run is CANCELED at once; a running one via CANCELING."""
    log = tmp_path / "log"
    slow = _submit(settings, stamped, log=str(log), name="slow", seconds=30)
    queued = _submit(settings, stamped, log=str(log), name="queued", seconds=0)

    async def body(manager: RunManager, store: Store) -> None:
        await _until(lambda: any(e[:2] == ["start", "slow"] for e in _lines(log)), "slow start")
        assert _state(store, queued) == "PENDING"  # the one slot is taken
        row = await manager.terminate(queued)
        assert row.state == "CANCELED"
        row = await manager.terminate(slow)
        assert row.state == "CANCELED"
        assert manager.running_run_ids == []
        transitions = [t.state for t in store.state_history(slow)]
        assert transitions[-2:] == ["CANCELING", "CANCELED"]

    _with_manager(settings, 1, body)
    assert [e[:2] for e in _lines(log)] == [["start", "slow"]]  # nothing after, nothing queued


def test_retry_failed_run_reuses_nothing_it_should_not(settings: Settings, tmp_path: Path) -> None:
    """retry(): a FAILED run goes back to PENDING and runs again; SUCCEEDED is refused."""
    flag = tmp_path / "flag"
    run_id = _submit(settings, needs_file_pipeline, path=str(flag))

    async def body(manager: RunManager, store: Store) -> None:
        await _until(lambda: _state(store, run_id) == "FAILED", "the run to fail")
        flag.write_text("here")
        row = await manager.retry(run_id)
        assert row.state == "PENDING" and row.error is None
        await _until(lambda: _state(store, run_id) == "SUCCEEDED", "the retried run")
        with pytest.raises(UserInputError, match="only a FAILED or CANCELED run"):
            await manager.retry(run_id)

    _with_manager(settings, 2, body)


def test_stop_leaves_runs_running_and_start_resumes_them(
    settings: Settings, tmp_path: Path
) -> None:
    """stop() leaves the run RUNNING; the next start() resumes it to SUCCEEDED."""
    log = tmp_path / "log"
    run_id = _submit(settings, stamped, log=str(log), name="long", seconds=1.5)

    async def first(manager: RunManager, store: Store) -> None:
        await _until(lambda: bool(_lines(log)), "the task to start")

    _with_manager(settings, 1, first)
    store = Store(settings.db_url)
    assert _state(store, run_id) == "RUNNING"  # a graceful stop does not cancel runs

    async def second(manager: RunManager, store: Store) -> None:
        await _until(lambda: _state(store, run_id) == "SUCCEEDED", "the resumed run", 60)

    _with_manager(settings, 1, second)
    kinds = [e[:2] for e in _lines(log)]
    assert kinds.count(["start", "long"]) == 2  # the interrupted task ran again
    assert kinds.count(["after", "long"]) == 1


def test_start_finishes_canceling_runs_and_fails_unreadable_ones(settings: Settings) -> None:
    """start(): CANCELING becomes CANCELED; an unreadable run FAILS instead of staying PENDING."""
    store = Store(settings.db_url)
    canceling = _submit(settings, needs_file_pipeline, path="/nonexistent")
    store.set_run_state(canceling, RunState.RUNNING.value, started=True)
    store.set_run_state(canceling, RunState.CANCELING.value)
    broken = store.create_run(
        name="broken",
        display_name="broken",
        pipeline_name="broken",
        pipeline_spec={"not": "a pipeline"},
        arguments={},
        pipeline_root=str(settings.artifacts_dir),
        options={},
        state=RunState.PENDING.value,
        experiment_id="exp",
    ).id
    local = _submit_local(settings)

    async def body(manager: RunManager, store: Store) -> None:
        assert _state(store, canceling) == "CANCELED"
        await _until(lambda: _state(store, broken) == "FAILED", "the broken run to fail")

    _with_manager(settings, 1, body)
    row = store.get_run(broken)
    assert row is not None and row.error and "internal error" in row.error
    # A run `sluice run` created is that process's to execute, never the server's.
    assert [r.id for r in store.runs_in_states(["RUNNING", "PENDING", "CANCELING"])] == [local]


def test_rejects_a_bad_limit(settings: Settings) -> None:
    """At least one run must be allowed at once."""
    with pytest.raises(UserInputError):
        RunManager(Store(settings.db_url), settings, max_concurrent_runs=0)
