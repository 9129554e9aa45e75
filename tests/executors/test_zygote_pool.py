"""A fork worker kept warm between runs: taken by the next ForkWorker of the process, never
outliving the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sluice.executors.zygote_client import ForkWorker

from .support import run
from .test_local import process_gone, wait_for_file
from .test_zygote_client import ECHO_ARGS, run_source

SRC = str(Path(__file__).resolve().parents[2] / "src")

# A process that runs one attempt in a kept-warm worker, closes it, reports the worker's pid
# (and the attempt's exit code), then waits to be killed or exits.
KEEP_ONE = """
import asyncio, os, sys, time
from pathlib import Path
from sluice.executors.zygote_client import ForkWorker

async def main():
    worker = ForkWorker(keep_warm=True)
    work = Path(sys.argv[1])
    code = await worker.run(module="m", argv=[], source="print('hi')", source_path=work / "m.py",
                            cwd=work, env=dict(os.environ), log_path=work / "log.txt")
    pid = worker.pid
    await worker.aclose()
    return code, pid

code, pid = asyncio.run(main())
Path(sys.argv[2]).write_text(f"{code} {pid}")
if sys.argv[3] == "wait":
    time.sleep(600)
"""


def test_the_next_worker_of_the_process_takes_the_kept_one(tmp_path: Path) -> None:
    async def once() -> tuple[int, int | None]:
        worker = ForkWorker(keep_warm=True)
        try:
            code = await run_source(worker, tmp_path, ECHO_ARGS, ["x"], dict(os.environ))
            return code, worker.pid
        finally:
            await worker.aclose()

    # Two event loops, as two runs of one process have: one worker process serves both.
    (code1, pid1), (code2, pid2) = run(once()), run(once())
    assert (code1, code2) == (0, 0)
    assert pid1 is not None and pid1 == pid2
    assert not process_gone(pid1, timeout=0)

    # Started in another environment (a changed PYTHONPATH, say): a fresh worker, and the
    # kept one stops.
    os.environ["TEST_WORKER_ENV_CHANGED"] = "changed"
    try:
        code3, pid3 = run(once())
    finally:
        del os.environ["TEST_WORKER_ENV_CHANGED"]
    assert code3 == 0 and pid3 is not None and pid3 != pid1
    assert process_gone(pid1)


def test_a_worker_closed_while_busy_or_without_keep_warm_stops(tmp_path: Path) -> None:
    async def plain() -> int | None:
        worker = ForkWorker()
        await run_source(worker, tmp_path, ECHO_ARGS, [], dict(os.environ))
        pid = worker.pid
        await worker.aclose()
        return pid

    pid = run(plain())
    assert pid is not None and process_gone(pid)


def _keep_one(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[bytes], int]:
    report = tmp_path / "report"
    proc = subprocess.Popen(
        [sys.executable, "-c", KEEP_ONE, str(tmp_path), str(report), mode],
        env={**os.environ, "PYTHONPATH": SRC},
    )
    code, pid = run(wait_for_file(report, timeout=120)).split()
    assert code == "0"
    return proc, int(pid)


def test_the_kept_worker_ends_with_its_process(tmp_path: Path) -> None:
    proc, worker = _keep_one(tmp_path, "exit")
    assert proc.wait(timeout=60) == 0
    assert process_gone(worker)


def test_the_kept_worker_dies_with_a_sigkilled_process(tmp_path: Path) -> None:
    proc, worker = _keep_one(tmp_path, "wait")
    assert not process_gone(worker, timeout=0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert process_gone(worker)


# A process that keeps a worker warm, then forks: the child runs an attempt of its own.
FORK_AFTER = """
import asyncio, os, sys
from pathlib import Path
from sluice.executors.zygote_client import ForkWorker

async def once(work):
    worker = ForkWorker(keep_warm=True)
    work.mkdir(exist_ok=True)
    code = await worker.run(module="m", argv=[], source="print('hi')", source_path=work / "m.py",
                            cwd=work, env=dict(os.environ), log_path=work / "log.txt")
    await worker.aclose()
    return code

root = Path(sys.argv[1])
assert asyncio.run(once(root / "parent")) == 0
pid = os.fork()
if pid == 0:
    os._exit(asyncio.run(once(root / "child")))
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_process_starts_its_own_worker(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FORK_AFTER, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": SRC},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    assert (tmp_path / "child" / "log.txt").read_text() == "hi\n"
