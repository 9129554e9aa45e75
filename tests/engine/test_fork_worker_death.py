"""A fork worker that dies mid-task is a system failure: restarted, the run still succeeds."""

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from kfp import dsl

import sluice


@dsl.component
def sits_once(pid_file: str) -> str:
    import os
    import time

    if not os.path.exists(pid_file):
        # The fork child's parent is the fork worker.
        with open(pid_file + ".tmp", "w") as f:
            f.write(f"{os.getppid()} {os.getpid()}")
        os.rename(pid_file + ".tmp", pid_file)
        time.sleep(120)
    return "done"


@dsl.pipeline
def sitting(pid_file: str) -> str:
    return sits_once(pid_file=pid_file).output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_run_survives_the_fork_worker_being_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    pid_file = tmp_path / "pids"
    handle = sluice.submit(sitting, {"pid_file": str(pid_file)}, enable_caching=False)
    worker = attempt = None
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert not handle.done(), handle.get().error
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.02)
        worker, attempt = (int(p) for p in pid_file.read_text().split())
        os.kill(worker, signal.SIGKILL)
        run = handle.wait(timeout=60)
    finally:
        if not handle.done():
            handle.cancel()
            handle.wait(timeout=30)
        for pid in (worker, attempt):
            if pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs["Output"] == "done"
    (task,) = run.tasks
    assert task.log_path is not None
    assert "the fork worker died" in task.log_path.read_text()
