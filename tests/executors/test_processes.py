"""run_logged: output to the log, the whole process group killed on cancel and at exit."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from sluice.executors.processes import run_logged

from .support import run, wait_for_line
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


def test_cancel_sends_sigterm_and_lets_the_process_finish_within_the_grace(
    tmp_path: Path,
) -> None:
    """SIGTERM first; a process still winding down is not killed before the grace is over."""
    ready, release, log = tmp_path / "ready", tmp_path / "release", tmp_path / "log"
    # Notes the TERM and carries on until the test releases it: only then does it exit.
    script = (
        f"trap 'echo got TERM' TERM; echo $$ > {ready}; "
        f"while [ ! -e {release} ]; do sleep 0.05; done; echo released"
    )

    async def main() -> int:
        task = asyncio.create_task(
            run_logged(
                ["sh", "-c", script], cwd=tmp_path, env=dict(os.environ), log_path=log, grace=60
            )
        )
        pid = int(await wait_for_file(ready))
        task.cancel()
        await wait_for_line(log, "got TERM")
        release.touch()  # the process outlived the TERM, so no SIGKILL came before this
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        return pid

    assert process_gone(run(main()))
    # The shell reports the `sleep` the TERM killed; what matters is the order of the rest.
    assert [ln for ln in log.read_text().splitlines() if ln != "Terminated"] == [
        "got TERM",
        "released",
    ]


def test_sigterm_ignored_means_sigkill_after_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = f"trap '' TERM; echo $$ > {ready}; while true; do sleep 0.05; done"

    async def main() -> int:
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
        task.cancel()
        # Only a SIGKILL ends this process; the bound is a deadline, not a measurement.
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        return pid

    assert process_gone(run(main()))


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
