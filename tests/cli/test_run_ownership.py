"""A run being executed is owned: resuming it elsewhere is refused until its owner dies.

Real processes throughout: `sluice run` executes a run whose second task waits; `sluice
runs resume` is refused while it lives, and once it is killed with SIGKILL the resume
runs the interrupted task again, and the killed attempt is recorded as abandoned.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.states import illegal_histories

from sluice.store.repository import Store

PIPELINE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def first() -> str:
    return "one"


@dsl.component(base_image="python:3.11")
def hold(marker: str, upstream: str) -> str:
    import os
    import time

    if not os.path.exists(marker):  # the first attempt waits to be killed
        with open(marker + ".pid", "w") as f:
            f.write(str(os.getpid()))
        open(marker, "w").close()
        deadline = time.monotonic() + 300  # killed long before
        while time.monotonic() < deadline:
            time.sleep(0.05)
        raise SystemExit(3)
    return upstream + "-two"


@dsl.pipeline(name="held")
def held(marker: str) -> str:
    return hold(marker=marker, upstream=first().output).output
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sluice_home: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{sluice_home / 'sluice.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _sluice(*args: str) -> list[str]:
    return [sys.executable, "-m", "sluice", *args]


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "SLUICE_DB_URL": db_url, "PYTHONPATH": os.pathsep.join(sys.path)}


def _wait_for(path: Path, proc: subprocess.Popen[bytes], log: Path, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"`sluice run` exited with {proc.returncode}: {log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {path}")
        time.sleep(0.05)


@pytest.fixture
def runner_proc() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.mark.slow
def test_resume_is_refused_while_the_owner_lives_and_allowed_once_it_is_killed(
    tmp_path: Path, db_url: str, runner_proc: list[subprocess.Popen[bytes]]
) -> None:
    pipeline = tmp_path / "held.py"
    pipeline.write_text(textwrap.dedent(PIPELINE))
    marker = tmp_path / "marker"
    env = _env(db_url)
    args = ["run", str(pipeline), "--run-name", "held-run", "-p", f"marker={marker}"]
    log = tmp_path / "runner.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _sluice(*args, "--no-cache"),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # SIGKILL to its group takes the fork worker too
        )
    runner_proc.append(proc)
    _wait_for(marker, proc, log)

    refused = subprocess.run(
        _sluice("runs", "resume", "held-run"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [
        f"error: run held-run is being executed by pid {proc.pid} on host "
        f"{socket.gethostname()}; wait or cancel it"
    ]
    assert proc.poll() is None, log.read_text()  # refusing touched nothing of the owner's

    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, ValueError):
        # The attempt runs in a process group of its own; it is not what this test is about.
        os.kill(int((tmp_path / "marker.pid").read_text()), signal.SIGKILL)

    resumed = subprocess.run(
        _sluice("runs", "resume", "held-run"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    store = Store(db_url)
    run = store.get_run("held-run")
    assert run is not None and run.state == "SUCCEEDED"
    assert run.outputs["parameters"] == {"Output": "one-two"}
    tasks = {t.name: t for t in store.tasks_of_run(run.id)}
    every = [e for t in tasks.values() for e in store.executions_of_task(t.id)]
    assert every and not [e for e in every if e.state == "RUNNING"]
    assert [e.state for e in store.executions_of_task(tasks["first"].id)] == ["COMPLETE"]
    executions = store.executions_of_task(tasks["hold"].id)
    assert [(e.attempt, e.state, e.how) for e in executions] == [
        (1, "CANCELED", "abandoned"),
        (2, "COMPLETE", executions[1].how),
    ]
    assert executions[0].finished_at is not None
    assert "died" in (executions[0].error or "")
    assert executions[0].log_path != executions[1].log_path  # the killed attempt's log stays
    assert tasks["hold"].attempts == 2 and tasks["hold"].state == "SUCCEEDED"
    history = [(h.state, h.message) for h in store.state_history(run.id, tasks["hold"].id)]
    abandoned = [m for s, m in history if s == "CANCELED"]
    assert len(abandoned) == 1 and (abandoned[0] or "").startswith("attempt 1 abandoned: ")
    assert history[-1][0] == "SUCCEEDED"
    assert illegal_histories(store) == []


NESTED = PIPELINE.replace(
    """@dsl.pipeline(name="held")
def held(marker: str) -> str:
    return hold(marker=marker, upstream=first().output).output""",
    """@dsl.pipeline(name="inner")
def inner(marker: str) -> str:
    return hold(marker=marker, upstream=first().output).output


@dsl.pipeline(name="held")
def held(marker: str):
    with dsl.ParallelFor(["a"]):
        inner(marker=marker)""",
)


@pytest.mark.slow
def test_kill_9_inside_a_loop_and_a_sub_dag_then_resume_keeps_every_history_legal(
    tmp_path: Path, sluice_home: Path, runner_proc: list[subprocess.Popen[bytes]]
) -> None:
    """The loop, its iteration and the sub-DAG are RUNNING when the owner dies, with no
    execution of their own: resuming records them abandoned (RUNNING -> CANCELED), then
    runs them again (CANCELED -> PENDING -> RUNNING), never RUNNING -> PENDING."""
    assert "ParallelFor" in NESTED
    db_url = f"sqlite:///{sluice_home / 'sluice.db'}"
    pipeline = tmp_path / "held.py"
    pipeline.write_text(textwrap.dedent(NESTED))
    marker = tmp_path / "marker"
    env = _env(db_url)
    args = ["run", str(pipeline), "--run-name", "held-run", "-p", f"marker={marker}"]
    log = tmp_path / "runner.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _sluice(*args, "--no-cache"),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    runner_proc.append(proc)
    _wait_for(marker, proc, log)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int((tmp_path / "marker.pid").read_text()), signal.SIGKILL)

    resumed = subprocess.run(
        _sluice("runs", "resume", "held-run"), env=env, capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr

    store = Store(db_url)
    run = store.get_run("held-run")
    assert run is not None and run.state == "SUCCEEDED"
    assert illegal_histories(store) == []
    tasks = store.tasks_of_run(run.id)
    outer = [t for t in tasks if t.kind in ("loop", "iteration", "dag")]
    assert len(outer) == 3, [(t.path, t.kind) for t in tasks]
    for task in outer:
        history = [(h.state, h.message) for h in store.state_history(run.id, task.id)]
        states = [state for state, _ in history]
        assert states[-4:] == ["CANCELED", "PENDING", "RUNNING", "SUCCEEDED"], (task.path, history)
        assert (history[-4][1] or "").startswith("abandoned: ")
