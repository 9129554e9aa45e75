"""run_logged: output to the log, the whole process group killed on cancel and at exit."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sluice.executors.processes import run_logged

from .support import run
from .test_local import process_gone, wait_for_file


def test_output_exit_code_and_cwd(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "log.txt"
    code = run(
        run_logged(
            ["sh", "-c", 'echo out; echo err >&2; echo "$X $(pwd)"; exit 4'],
            cwd=tmp_path,
            env={**os.environ, "X": "x-value"},
            log_path=log,
        )
    )
    assert code == 4
    assert log.read_text() == f"out\nerr\nx-value {tmp_path}\n"


def test_cancel_kills_the_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"sleep 60 & echo $! > {pids}.tmp; echo $$ >> {pids}.tmp; mv {pids}.tmp {pids}; wait"

    async def main() -> list[int]:
        task = asyncio.create_task(
            run_logged(
                ["sh", "-c", script],
                cwd=tmp_path,
                env=dict(os.environ),
                log_path=tmp_path / "log",
                grace=0.5,
            )
        )
        found = [int(p) for p in (await wait_for_file(pids)).split()]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return found

    for pid in run(main()):
        assert process_gone(pid)


def test_sigterm_ignored_means_sigkill_after_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = f"trap '' TERM; echo $$ > {ready}; while true; do sleep 0.05; done"

    async def main() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(
            run_logged(
                ["sh", "-c", script],
                cwd=tmp_path,
                env=dict(os.environ),
                log_path=tmp_path / "log",
                grace=0.3,
            )
        )
        pid = int(await wait_for_file(ready))
        start = loop.time()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return pid, loop.time() - start

    pid, took = run(main())
    assert process_gone(pid)
    assert 0.25 < took < 5


def test_leftover_background_processes_are_killed_at_exit(tmp_path: Path) -> None:
    code = run(
        run_logged(
            ["sh", "-c", "sleep 60 & echo $!"],
            cwd=tmp_path,
            env=dict(os.environ),
            log_path=tmp_path / "log",
        )
    )
    assert code == 0
    assert process_gone(int((tmp_path / "log").read_text()))
