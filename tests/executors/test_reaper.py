"""No task process outlives its attempt or its orchestrator, setsid'd grandchildren included.

Each task here starts a grandchild in a session of its own (it leaves the task's process
group, so killing the group misses it), writes both pids, and sleeps. The orchestrator is a
real Python process running ``run_logged`` or the fork worker, killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.executors.processes import run_logged
from sluice.executors.reaper import MARKER_VAR, open_children, read_children
from sluice.executors.zygote_client import ForkWorker, ForkWorkerDied

from .support import run
from .test_local import process_gone, wait_for_file

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

# argv[1]: where to write "<task pid> <grandchild pid>"; argv[2]: "exit" to end at once.
TASK = textwrap.dedent(
    """
    import os, subprocess, sys, time
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True
    )
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    if sys.argv[2:] != ["exit"]:
        time.sleep(120)
    """
)

ORCHESTRATOR = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from sluice.executors.zygote_client import ForkWorker
    from sluice.executors.processes import run_logged

    mode, task, pids, work = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])

    async def main():
        if mode == "host":
            # What a container task does: remove the container when we are gone.
            cleanup = ["sh", "-c", "echo removed > cleaned.tmp && mv cleaned.tmp cleaned"]
            await run_logged([sys.executable, "-c", task, pids], cwd=work,
                             env=dict(os.environ), log_path=work / "log", on_orphan=cleanup)
        else:
            worker = ForkWorker()
            await worker.run(module="sluice_task", argv=[pids], source=task,
                             source_path=work / "sluice_task.py", cwd=work,
                             env=dict(os.environ), log_path=work / "log")

    asyncio.run(main())
    """
)


def read_pids(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()]


@contextlib.contextmanager
def reaped(*files: Path) -> Iterator[None]:
    """Whatever happens, SIGKILL every pid the test's tasks wrote down."""
    try:
        yield
    finally:
        for file in files:
            with contextlib.suppress(OSError, ValueError):
                for pid in read_pids(file):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)


def test_cancel_kills_a_setsid_grandchild(tmp_path: Path) -> None:
    pids = tmp_path / "pids"

    async def main() -> list[int]:
        task = asyncio.create_task(
            run_logged(
                [sys.executable, "-c", TASK, str(pids)],
                cwd=tmp_path,
                env=dict(os.environ),
                log_path=tmp_path / "log",
                grace=0.5,
            )
        )
        await wait_for_file(pids)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return read_pids(pids)

    with reaped(pids):
        for pid in run(main()):
            assert process_gone(pid), pid


def test_a_setsid_grandchild_dies_when_the_task_exits(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    with reaped(pids):
        code = run(
            run_logged(
                [sys.executable, "-c", TASK, str(pids), "exit"],
                cwd=tmp_path,
                env=dict(os.environ),
                log_path=tmp_path / "log",
            )
        )
        assert code == 0
        for pid in read_pids(pids):
            assert process_gone(pid), pid


def test_the_task_sees_its_attempt_marker_and_keeps_default_signals(tmp_path: Path) -> None:
    log = tmp_path / "log"
    script = f'echo "${MARKER_VAR}"; yes | head -n 1'
    code = run(run_logged(["sh", "-c", script], cwd=tmp_path, env=dict(os.environ), log_path=log))
    marker, line = log.read_text().splitlines()
    # `yes` dies of SIGPIPE quietly; with SIGPIPE left ignored it would log a broken pipe.
    assert code == 0 and len(marker) == 32 and line == "y"


def test_exit_code_and_signal_of_the_task_are_reported(tmp_path: Path) -> None:
    env = dict(os.environ)
    assert run(run_logged(["sh", "-c", "exit 7"], cwd=tmp_path, env=env, log_path=tmp_path / "l"))
    killed = run(
        run_logged(["sh", "-c", "kill -9 $$"], cwd=tmp_path, env=env, log_path=tmp_path / "l")
    )
    assert killed == -signal.SIGKILL


def start_orchestrator(mode: str, tmp_path: Path, pids: Path) -> subprocess.Popen[bytes]:
    work = tmp_path / "work"
    work.mkdir()
    return subprocess.Popen(
        [sys.executable, "-c", ORCHESTRATOR, mode, TASK, str(pids), str(work)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the orchestrator exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("mode", ["host", "fork"])
def test_task_tree_dies_with_a_sigkilled_orchestrator(tmp_path: Path, mode: str) -> None:
    pids = tmp_path / "pids"
    proc = start_orchestrator(mode, tmp_path, pids)
    with reaped(pids):
        try:
            wait_for(pids, proc)
            task_pid, grandchild = read_pids(pids)
            worker = os.getppid() if mode == "host" else _parent_of(task_pid)
            os.kill(proc.pid, signal.SIGKILL)  # the orchestrator only, not its group
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert process_gone(task_pid, timeout=15)
        assert process_gone(grandchild, timeout=15)
        if mode == "fork":
            assert process_gone(worker, timeout=15), "the fork worker outlived its parent"
        else:
            cleaned = tmp_path / "work" / "cleaned"
            deadline = time.monotonic() + 30
            while not cleaned.exists():
                assert time.monotonic() < deadline, "the on-orphan command never ran"
                time.sleep(0.02)


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _module_run(worker: ForkWorker, tmp_path: Path, argv: list[str]) -> asyncio.Task[int]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return asyncio.create_task(
        worker.run(
            module="sluice_task",
            argv=argv,
            source=TASK,
            source_path=work / "sluice_task.py",
            cwd=work,
            env=dict(os.environ),
            log_path=tmp_path / "log",
        )
    )


def test_fork_worker_attempt_end_and_cancel_kill_setsid_grandchildren(tmp_path: Path) -> None:
    ended, canceled = tmp_path / "ended", tmp_path / "canceled"

    async def main() -> None:
        worker = ForkWorker(grace=0.5)
        try:
            assert await _module_run(worker, tmp_path, [str(ended), "exit"]) == 0
            for pid in read_pids(ended):
                assert process_gone(pid), pid
            task = _module_run(worker, tmp_path, [str(canceled)])
            await wait_for_file(canceled)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for pid in read_pids(canceled):
                assert process_gone(pid), pid
        finally:
            await worker.aclose()

    with reaped(ended, canceled):
        run(main())


def test_a_killed_fork_worker_takes_its_attempts_along(tmp_path: Path) -> None:
    pids = tmp_path / "pids"

    async def main() -> None:
        worker = ForkWorker()
        try:
            task = _module_run(worker, tmp_path, [str(pids)])
            await wait_for_file(pids)
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            with pytest.raises(ForkWorkerDied):
                await task
        finally:
            await worker.aclose()

    with reaped(pids):
        run(main())
        for pid in read_pids(pids):
            assert process_gone(pid), pid


def test_read_children_reads_the_current_list_each_time() -> None:
    """The fork worker keeps its children file open: every read is the list of that moment."""
    fd = open_children(os.getpid())  # pytest runs tests in its main thread, whose tid is this
    assert fd >= 0
    try:
        before = read_children(fd)
        assert before is not None
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            assert read_children(fd) == [*before, child.pid]
        finally:
            child.kill()
            child.wait()
        assert read_children(fd) == before
    finally:
        os.close(fd)
    assert read_children(-1) is None
