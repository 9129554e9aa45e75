"""ForkWorker directly: module runs, signals, grace period, event loops."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sluice.executors.zygote_client import ForkWorker

from .support import run, wait_for_line
from .test_local import process_gone, wait_for_file

STUBBORN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: print("got TERM, ignoring", flush=True))
open(sys.argv[1], "w").write(str(os.getpid()))
while True:
    time.sleep(0.05)
"""

WINDING_DOWN = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: print("got TERM", flush=True))
open(sys.argv[1], "w").write(str(os.getpid()))
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
print("released", flush=True)
"""

ECHO_ARGS = """
import os, sys
print(sys.argv[1:], os.getcwd(), os.environ.get("ONLY_HERE"), __name__, sys.path[0])
"""


async def run_source(
    worker: ForkWorker, tmp_path: Path, source: str, argv: list[str], env: dict[str, str]
) -> int:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return await worker.run(
        module="sluice_test_module",
        argv=argv,
        source=source,
        source_path=work / "sluice_test_module.py",
        cwd=work,
        env=env,
        log_path=tmp_path / "log.txt",
    )


def test_runs_module_as_main_with_argv_env_cwd(tmp_path: Path) -> None:
    async def main() -> int:
        worker = ForkWorker()
        try:
            return await run_source(worker, tmp_path, ECHO_ARGS, ["a", "b"], {"ONLY_HERE": "1"})
        finally:
            await worker.aclose()

    assert run(main()) == 0
    work = tmp_path / "work"
    assert (tmp_path / "log.txt").read_text() == f"['a', 'b'] {work} 1 __main__ {work}\n"


def test_cancel_sends_sigterm_and_lets_the_child_finish_within_the_grace(
    tmp_path: Path,
) -> None:
    """SIGTERM first; a child still winding down is not killed before the grace is over."""
    pid_file, release, log = tmp_path / "pid", tmp_path / "release", tmp_path / "log.txt"

    async def main() -> int:
        worker = ForkWorker(grace=60)
        try:
            task = asyncio.create_task(
                run_source(
                    worker, tmp_path, WINDING_DOWN, [str(pid_file), str(release)], dict(os.environ)
                )
            )
            pid = int(await wait_for_file(pid_file))
            task.cancel()
            await wait_for_line(log, "got TERM")
            release.touch()  # the child outlived the TERM, so no SIGKILL came before this
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)
            return pid
        finally:
            await worker.aclose()

    assert process_gone(run(main()))
    assert log.read_text() == "got TERM\nreleased\n"


def test_sigkill_after_grace_when_sigterm_is_ignored(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def main() -> int:
        worker = ForkWorker(grace=0.3)
        try:
            task = asyncio.create_task(
                run_source(worker, tmp_path, STUBBORN, [str(pid_file)], dict(os.environ))
            )
            pid = int(await wait_for_file(pid_file))
            task.cancel()
            # Only a SIGKILL ends this child; the bound is a deadline, not a measurement.
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 30)
            return pid
        finally:
            await worker.aclose()

    assert process_gone(run(main()))


def test_new_event_loop_gets_a_new_worker(tmp_path: Path) -> None:
    worker = ForkWorker()

    async def once() -> tuple[int, int | None]:
        code = await run_source(worker, tmp_path, "print('x')", [], dict(os.environ))
        return code, worker.pid

    (code1, pid1), (code2, pid2) = run(once()), run(once())
    assert (code1, code2) == (0, 0)
    assert pid1 is not None and pid2 is not None and pid1 != pid2
    assert process_gone(pid1)
    run(worker.aclose())
    assert process_gone(pid2)
    assert worker.pid is None


def test_hundred_concurrent_children(tmp_path: Path) -> None:
    async def main() -> list[int]:
        worker = ForkWorker()
        try:
            return await asyncio.gather(
                *(
                    worker.run(
                        module="m",
                        argv=[str(i)],
                        source="import sys, time; time.sleep(0.5); sys.exit(int(sys.argv[1]) % 7)",
                        source_path=tmp_path / f"w{i}" / "m.py",
                        cwd=tmp_path / f"w{i}",
                        env=dict(os.environ),
                        log_path=tmp_path / "logs" / f"{i}.log",
                    )
                    for i in range(100)
                    if (tmp_path / f"w{i}").mkdir() is None
                )
            )
        finally:
            await worker.aclose()

    assert run(main()) == [i % 7 for i in range(100)]


def test_large_requests_do_not_block_the_loop(tmp_path: Path) -> None:
    payload = "x" * 2_000_000  # far more than a pipe holds: written as the worker reads

    async def main() -> list[int]:
        worker = ForkWorker()
        try:
            return await asyncio.gather(
                *(
                    worker.run(
                        module="m",
                        argv=[payload],
                        source="import sys; sys.exit(len(sys.argv[1]) % 251)",
                        source_path=tmp_path / f"w{i}" / "m.py",
                        cwd=tmp_path / f"w{i}",
                        env=dict(os.environ),
                        log_path=tmp_path / "logs" / f"{i}.log",
                    )
                    for i in range(10)
                    if (tmp_path / f"w{i}").mkdir() is None
                )
            )
        finally:
            await worker.aclose()

    assert run(main()) == [2_000_000 % 251] * 10


def test_a_child_that_fails_unexpectedly_exits_and_the_worker_keeps_serving(
    tmp_path: Path,
) -> None:
    """A child exits where it was forked: an error it does not expect while preparing the
    attempt (a variable the environment cannot hold) fails that attempt, with its traceback
    in the log, and never falls back into the worker's loop."""

    async def main() -> tuple[int, int]:
        worker = ForkWorker()
        try:
            failed = await run_source(worker, tmp_path, ECHO_ARGS, [], {"BAD": "a\0b"})
            ok = await run_source(worker, tmp_path, ECHO_ARGS, ["c"], {"ONLY_HERE": "2"})
            return failed, ok
        finally:
            await worker.aclose()

    assert run(main()) == (1, 0)
    log = (tmp_path / "log.txt").read_text()
    assert "ValueError: embedded null byte" in log
    assert log.endswith(f"['c'] {tmp_path / 'work'} 2 __main__ {tmp_path / 'work'}\n")


@pytest.mark.parametrize("relative", [False, True])
def test_the_source_file_is_written_before_the_module_runs(tmp_path: Path, relative: bool) -> None:
    """The worker writes the source while the child starts; the child runs it only once it
    is there, a relative path is relative to the attempt's cwd, and a source that cannot be
    written fails the attempt with the reason in its log (the worker serves on)."""
    work = tmp_path / "work"
    work.mkdir()
    source = "import sys\nprint('ran', open(sys.argv[1]).read() == sys.argv[2])\n"
    path = Path("mod.py") if relative else work / "mod.py"

    async def one(source_path: Path, argv: list[str]) -> int:
        return await worker.run(
            module="mod",
            argv=argv,
            source=source,
            source_path=source_path,
            cwd=work,
            env={},
            log_path=tmp_path / "log.txt",
        )

    async def main() -> tuple[int, int]:
        try:
            missing = await one(work / "no-such-dir" / "mod.py", [])
            written = await one(path, [str(work / "mod.py"), source])
            return missing, written
        finally:
            await worker.aclose()

    worker = ForkWorker()
    assert run(main()) == (1, 0)
    assert (tmp_path / "log.txt").read_text().splitlines() == [
        "sluice: could not prepare the task: [Errno 2] No such file or directory: "
        f"'{work / 'no-such-dir' / 'mod.py'}'",
        "ran True",
    ]
