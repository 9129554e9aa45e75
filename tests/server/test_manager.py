"""The run manager: bounded concurrency in submission order, terminate, retry, stop/resume."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from kfp import dsl
from sqlalchemy import select
from tests.store_rows import new_run

from sluice.config import Settings
from sluice.engine.states import RunState
from sluice.errors import UserInputError
from sluice.server.manager import RunManager
from sluice.store.models import StateTransitionRow
from sluice.store.repository import Store


@dsl.component(base_image="python:3.11")
def stamp(log: str, name: str, release: str) -> str:
    """Logs its start, then blocks until the test creates ``release`` (none: no wait).

    The test decides when each run may end, so what it sees running is not a matter of
    timing. Never released within a minute, the task fails rather than hang the test.
    """
    import os
    import time

    with open(log, "a") as f:
        f.write(f"start {name} {os.getpid()}\n")
    deadline = time.monotonic() + 60
    while release and not os.path.exists(release):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{release} never appeared")
        time.sleep(0.05)
    with open(log, "a") as f:
        f.write(f"end {name}\n")
    return name


@dsl.component(base_image="python:3.11")
def after(log: str, name: str):
    with open(log, "a") as f:
        f.write(f"after {name}\n")


@dsl.pipeline(name="stamped")
def stamped(log: str, name: str, release: str = ""):
    first = stamp(log=log, name=name, release=release)
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
    from sluice.service.runs import prepare_run

    # A server run says so (executed_by); that is how the manager tells it apart.
    _store, row, _settings, _warnings = prepare_run(
        pipeline,
        arguments,
        settings=settings,
        run_fields={"experiment_id": "exp", "executed_by": "server"},
    )
    return row.id


def _submit_local(settings: Settings) -> str:
    from sluice.service.runs import prepare_run

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


def _wait_gone(pid: int, limit: float = 30.0) -> None:
    """Wait until process ``pid`` has exited (a zombie counts as exited)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):  # gone before (or while) read
            return
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"process {pid} is still running")
        time.sleep(0.02)


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


def _started(log: Path) -> list[str]:
    """Names of the runs whose task has started, in the order they logged it."""
    return [e[1] for e in _lines(log) if e[0] == "start"]


def _running_order(store: Store, ids: list[str]) -> list[str]:
    """The runs among ``ids`` in the order the store recorded them RUNNING."""
    query = (
        select(StateTransitionRow.run_id)
        .where(
            StateTransitionRow.run_id.in_(ids),
            StateTransitionRow.task_id.is_(None),
            StateTransitionRow.state == RunState.RUNNING.value,
        )
        .order_by(StateTransitionRow.id)
    )
    with store.session() as session:
        return [str(i) for i in session.scalars(query)]


def test_runs_at_most_n_at_once_in_submission_order(settings: Settings, tmp_path: Path) -> None:
    """With two slots, five runs start oldest first and never more than two run at once."""
    log = tmp_path / "log"
    names = [f"r{i}" for i in range(5)]
    release = {n: tmp_path / f"release-{n}" for n in names}
    ids = [_submit(settings, stamped, log=str(log), name=n, release=str(release[n])) for n in names]

    async def body(manager: RunManager, store: Store) -> None:
        def pending(rest: list[str]) -> list[str]:
            return [_state(store, i) for i in rest]

        manager.wake()
        # The two oldest start and hold both slots: the others wait however long it takes.
        await _until(lambda: len(_started(log)) >= 2, "two runs to start")
        assert sorted(_started(log)) == names[:2]
        assert sorted(manager.running_run_ids) == sorted(ids[:2])
        assert pending(ids[2:]) == ["PENDING"] * 3
        # Ending one run frees one slot, which goes to the oldest waiting run.
        for k in range(3):
            release[names[k]].touch()
            await _until(lambda k=k: len(_started(log)) >= k + 3, f"{names[k + 2]} to start")
            assert _started(log)[k + 2 :] == [names[k + 2]]
            assert _state(store, ids[k]) == "SUCCEEDED"
            assert sorted(manager.running_run_ids) == sorted(ids[k + 1 : k + 3])
            assert pending(ids[k + 3 :]) == ["PENDING"] * (2 - k)
        for name in names[3:]:
            release[name].touch()
        await _until(
            lambda: all(_state(store, i) == "SUCCEEDED" for i in ids), "all runs to succeed"
        )

    _with_manager(settings, 2, body)
    store = Store(settings.db_url)
    assert _running_order(store, ids) == ids  # dispatched in submission order
    started = [store.get_run(i).started_at for i in ids]  # type: ignore[union-attr]
    assert started == sorted(started)
    events = _lines(log)
    # Lines are appended in the order things happened: two tasks overlap, never three.
    running, peak = 0, 0
    for kind, *_ in events:
        running += {"start": 1, "end": -1}.get(kind, 0)
        peak = max(peak, running)
    assert peak == 2
    assert sorted(e[1] for e in events if e[0] == "after") == names


def test_terminate_pending_and_running(settings: Settings, tmp_path: Path) -> None:
    """terminate(): a queued run is CANCELED at once; a running one via CANCELING."""
    log = tmp_path / "log"
    # Never released: "slow" holds the one slot until it is terminated.
    slow = _submit(settings, stamped, log=str(log), name="slow", release=str(tmp_path / "never"))
    queued = _submit(settings, stamped, log=str(log), name="queued")

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
    release = tmp_path / "release"
    run_id = _submit(settings, stamped, log=str(log), name="long", release=str(release))

    async def first(manager: RunManager, store: Store) -> None:
        await _until(lambda: bool(_lines(log)), "the task to start")

    _with_manager(settings, 1, first)
    store = Store(settings.db_url)
    assert _state(store, run_id) == "RUNNING"  # a graceful stop does not cancel runs
    # The interrupted task's process is gone; only then may the task end, when run again.
    (_kind, _name, pid), *rest = _lines(log)
    assert rest == []
    _wait_gone(int(pid))
    release.touch()

    async def second(manager: RunManager, store: Store) -> None:
        await _until(lambda: _state(store, run_id) == "SUCCEEDED", "the resumed run", 60)

    _with_manager(settings, 1, second)
    kinds = [e[:2] for e in _lines(log)]
    assert kinds.count(["start", "long"]) == 2  # the interrupted task ran again
    assert kinds.count(["end", "long"]) == 1
    assert kinds.count(["after", "long"]) == 1


def test_start_finishes_canceling_runs_and_fails_unreadable_ones(settings: Settings) -> None:
    """start(): CANCELING becomes CANCELED; an unreadable run FAILS instead of staying PENDING."""
    store = Store(settings.db_url)
    canceling = _submit(settings, needs_file_pipeline, path="/nonexistent")
    store.transition_run(canceling, RunState.RUNNING, started=True)
    store.transition_run(canceling, RunState.CANCELING)
    broken = new_run(
        store,
        name="broken",
        pipeline_name="broken",
        pipeline_spec={"not": "a pipeline"},
        pipeline_root=str(settings.artifacts_dir),
        state=RunState.PENDING.value,
        experiment_id="exp",
        executed_by="server",
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
