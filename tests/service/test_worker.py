"""The server's runs execute in its supervised worker process, never in the API's.

A real server (uvicorn in a thread of this process, which is the API's process), the
unmodified ``kfp.Client``, and a worker process the server starts: a run's task process
descends from the worker, not from the API's process; a worker killed with SIGKILL is
replaced and its run still completes; terminate stops a task the worker runs.
"""

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import kfp
import pytest
from kfp import dsl
from tests.server.conftest import RunningServer, start_server

from sluice.server.manager import RunManager
from sluice.store.repository import Store

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@dsl.component(base_image="python:3.11")
def ancestry(log: str, release: str) -> str:
    """Logs its own pid and its ancestors', then waits for ``release`` (if given)."""
    import os
    import time

    chain, pid = [], os.getpid()
    while pid > 1 and len(chain) < 8:
        chain.append(pid)
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    with open(log, "a") as f:
        f.write("start " + " ".join(map(str, chain)) + "\n")
    deadline = time.monotonic() + 60
    while release and not os.path.exists(release):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{release} never appeared")
        time.sleep(0.05)
    with open(log, "a") as f:
        f.write("end\n")
    return "ok"


@dsl.pipeline(name="ancestry")
def ancestry_pipeline(log: str, release: str = "") -> str:
    return ancestry(log=log, release=release).output


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """A server of its own per test (these tests kill its worker)."""
    home = tmp_path / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    running, stop = start_server(home, background=True)
    try:
        yield running
    finally:
        stop()


def _manager(server: RunningServer) -> RunManager:
    manager = server.state.manager
    assert manager is not None
    return manager


def _until(predicate: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _starts(log: Path) -> list[list[int]]:
    """Each start line's pids: the task process first, then its ancestors."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [[int(p) for p in ln.split()[1:]] for ln in lines if ln.startswith("start")]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone before (or while) read
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _submit(server: RunningServer, log: Path, release: str = "") -> str:
    client = kfp.Client(host=server.url)
    result = client.create_run_from_pipeline_func(
        ancestry_pipeline, arguments={"log": str(log), "release": release}
    )
    return str(result.run_id)


def _state(server: RunningServer, run_id: str) -> str:
    return str(kfp.Client(host=server.url).get_run(run_id).state)


def test_a_run_executes_in_the_worker_process(server: RunningServer, tmp_path: Path) -> None:
    """The task descends from the worker; the worker is a child of the API's process."""
    log, release = tmp_path / "log", tmp_path / "release"
    run_id = _submit(server, log, str(release))
    _until(lambda: bool(_starts(log)), "the task to start")
    manager = _manager(server)
    worker = manager.worker_pid
    assert worker is not None and worker != os.getpid()
    (chain,) = _starts(log)
    assert worker in chain
    # task (forked) -> fork worker -> run worker -> this process, which serves the API.
    assert chain[chain.index(worker) + 1] == os.getpid()
    assert os.getpid() not in chain[: chain.index(worker)]
    # The worker holds the run's lock: it is the run's executor.
    assert manager.running_run_ids == [run_id]
    release.touch()
    _until(lambda: _state(server, run_id) == "SUCCEEDED", "the run to succeed")
    row = Store(server.state.config.settings.db_url).get_run(run_id)
    assert row is not None and row.executed_by == "server"
    # A second run's task forks from the same warm fork worker: one per worker, not per run.
    second = _submit(server, log)
    _until(lambda: _state(server, second) == "SUCCEEDED", "the second run to succeed")
    first_chain, second_chain = _starts(log)
    fork_worker = first_chain[chain.index(worker) - 1]
    assert second_chain[second_chain.index(worker) - 1] == fork_worker


def test_a_killed_worker_is_replaced_and_its_run_completes(
    server: RunningServer, tmp_path: Path
) -> None:
    """SIGKILL to the worker mid-task: another starts, runs the task again, the run ends."""
    log, release = tmp_path / "log", tmp_path / "release"
    run_id = _submit(server, log, str(release))
    _until(lambda: bool(_starts(log)), "the task to start")
    manager = _manager(server)
    first = manager.worker_pid
    assert first is not None
    (task_pid, *_rest), *_ = _starts(log)
    os.kill(first, signal.SIGKILL)
    # The task process dies with its worker (the fork worker takes its children along).
    _until(lambda: not _alive(task_pid), "the killed worker's task process to exit")
    _until(lambda: manager.worker_pid not in (None, first), "a new worker")
    _until(lambda: len(_starts(log)) == 2, "the task to run again")
    release.touch()
    _until(lambda: _state(server, run_id) == "SUCCEEDED", "the resumed run")
    assert manager.restarts == 1
    second = manager.worker_pid
    assert second is not None and second in _starts(log)[1]
    assert log.read_text().splitlines().count("end") == 1
    history = [t.state for t in Store(server.state.config.settings.db_url).state_history(run_id)]
    assert history == ["PENDING", "RUNNING", "RUNNING", "SUCCEEDED"]


def test_terminate_stops_the_task_in_the_worker(server: RunningServer, tmp_path: Path) -> None:
    """kfp.Client.terminate_run: CANCELING, then CANCELED once the task process is gone."""
    log = tmp_path / "log"
    run_id = _submit(server, log, str(tmp_path / "never"))
    _until(lambda: bool(_starts(log)), "the task to start")
    (task_pid, *_rest), *_ = _starts(log)
    kfp.Client(host=server.url).terminate_run(run_id)
    _until(lambda: _state(server, run_id) == "CANCELED", "the run to be canceled")
    _until(lambda: not _alive(task_pid), "the task process to stop")
    store = Store(server.state.config.settings.db_url)
    assert [t.state for t in store.state_history(run_id)][-2:] == ["CANCELING", "CANCELED"]
    assert [t.state for t in store.tasks_of_run(run_id)] == ["CANCELED"]
    assert "end" not in log.read_text()
    assert _manager(server).running_run_ids == []
