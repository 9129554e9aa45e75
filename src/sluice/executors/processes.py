"""Running one host process for an attempt: output to the log, killed with its group on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

__all__ = ["KILL_GRACE_SECONDS", "append_log_line", "open_log", "run_logged", "signal_group"]

#: How long a cancelled attempt gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 3.0


def open_log(log_path: Path) -> int:
    """Open ``log_path`` for appending (parents created) and return the raw fd."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def append_log_line(log_path: Path, line: str) -> None:
    """Append one ``sluice:`` line to the attempt log (for errors before a process starts)."""
    fd = open_log(log_path)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8", "replace"))
    finally:
        os.close(fd)


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a process group, ignoring a group that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def run_logged(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    grace: float = KILL_GRACE_SECONDS,
) -> int:
    """Run ``argv`` in a new session with stdout/stderr appended to ``log_path``.

    Returns the exit code (negative: killed by that signal). Cancelling the caller sends
    SIGTERM to the whole process group, then SIGKILL after ``grace`` seconds. When the main
    process ends, whatever it left behind in its group is killed too, as a container's
    teardown would.

    Raises:
        FileNotFoundError, PermissionError: ``argv[0]`` cannot be executed.
    """
    log_fd = open_log(log_path)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_fd,
            stderr=log_fd,
            start_new_session=True,
        )
    finally:
        os.close(log_fd)
    try:
        return await proc.wait()
    except BaseException:
        await _terminate(proc, grace)
        raise
    finally:
        # The session id is the child's pid; the kernel keeps it reserved while any member of
        # the group lives, so this cannot hit an unrelated process.
        signal_group(proc.pid, signal.SIGKILL)


async def _terminate(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM the group, wait up to ``grace`` seconds, then SIGKILL it."""
    if proc.returncode is None:
        signal_group(proc.pid, signal.SIGTERM)
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), grace)
    signal_group(proc.pid, signal.SIGKILL)
    if proc.returncode is None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(proc.wait())
