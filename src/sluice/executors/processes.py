"""Running one host process for an attempt: output to the log, killed with its tree on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import sys
from pathlib import Path

from sluice.executors.reaper import MARKER_VAR, kill_marked, new_marker

__all__ = [
    "KILL_GRACE_SECONDS",
    "append_log_line",
    "open_log",
    "run_logged",
    "shepherd_command",
    "signal_group",
]

#: How long a cancelled attempt gets between SIGTERM and SIGKILL.
KILL_GRACE_SECONDS = 3.0

# Beyond the grace, how long the shepherd gets to kill the task's tree and exit.
_SHEPHERD_SLACK_SECONDS = 15.0

_REAPER_DIR = str(Path(__file__).resolve().parent)
_SHEPHERD_BOOTSTRAP = (
    "import sys; sys.path.append(sys.argv.pop(1)); import shepherd; shepherd.main()"
)


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
    on_orphan: list[str] | None = None,
) -> int:
    """Run ``argv`` in a new session with stdout/stderr appended to ``log_path``.

    Returns the exit code (negative: killed by that signal). Cancelling the caller sends
    SIGTERM to the process and everything it started, then SIGKILL after ``grace`` seconds.
    When the main process ends, whatever it left behind is killed too, as a container's
    teardown would. The process runs under a shepherd (:mod:`sluice.executors.shepherd`), so it
    also dies when this process dies, even by SIGKILL; ``on_orphan`` is a command the shepherd
    runs then (e.g. removing a container).

    Raises:
        FileNotFoundError, PermissionError: ``argv[0]`` cannot be executed.
    """
    _check_executable(argv[0], cwd=cwd, env=env)
    env = {**env, MARKER_VAR: new_marker()}
    log_fd = open_log(log_path)
    try:
        proc = await asyncio.create_subprocess_exec(
            *shepherd_command(argv, grace=grace, on_orphan=on_orphan),
            cwd=cwd,
            env=env,
            # The shepherd's lifeline: never written to, closed by the kernel when we die.
            stdin=asyncio.subprocess.PIPE,
            stdout=log_fd,
            stderr=log_fd,
            start_new_session=True,  # terminal Ctrl-C goes to the orchestrator only
        )
    finally:
        os.close(log_fd)
    try:
        return await proc.wait()
    except BaseException:
        await _terminate(proc, grace)
        raise
    finally:
        if proc.returncode is None or proc.returncode == -signal.SIGKILL:
            # The shepherd may have been killed before it could clean up (any other signal
            # it handles, or it is passing on the task's). A scan of /proc takes
            # milliseconds, and only happens on this rare path.
            kill_marked(env[MARKER_VAR])
        if proc.stdin is not None:
            proc.stdin.close()


def shepherd_command(
    argv: list[str], *, grace: float = KILL_GRACE_SECONDS, on_orphan: list[str] | None = None
) -> list[str]:
    """The command line that runs ``argv`` under the shepherd (see :mod:`.shepherd`)."""
    # -I -S: no site-packages, no PYTHON* variables; only the standard library is needed.
    # Imported (not run as a script) so that its bytecode is cached.
    return [
        sys.executable,
        "-I",
        "-S",
        "-c",
        _SHEPHERD_BOOTSTRAP,
        _REAPER_DIR,
        repr(float(grace)),
        str(len(on_orphan or [])),
        *(on_orphan or []),
        "--",
        *argv,
    ]


def _check_executable(program: str, *, cwd: Path, env: dict[str, str]) -> None:
    """Raise as ``exec`` would for a program that is missing or not executable.

    The shepherd starts the program, so its ``exec`` error would only be an exit code.
    """
    if os.sep in program:
        path = cwd / program
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
        if path.is_dir() or not os.access(path, os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
        return
    if shutil.which(program, path=env.get("PATH", os.defpath)) is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)


async def _terminate(proc: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM the shepherd (it passes it on, and SIGKILLs after ``grace``); wait for it."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), grace + _SHEPHERD_SLACK_SECONDS)
    if proc.returncode is None:
        # A shepherd that does not answer: kill it; the caller sweeps up by the marker.
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(proc.wait())
