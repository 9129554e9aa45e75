"""The shepherd: a small supervisor every host task process runs under.

Started as ``python -I -S -c <bootstrap> <executors dir> GRACE N [ON_ORPHAN...] -- CMD...``
(see :func:`sluice.executors.processes.shepherd_command`). Its stdin is a pipe the
orchestrator never writes to: when the orchestrator dies, for whatever reason, the kernel
closes the pipe and the shepherd sees EOF, kills the task and runs the ``ON_ORPHAN`` command
(removing a container, say). On SIGTERM (a cancel) it passes SIGTERM on and SIGKILLs after
the grace period. When the task ends, whatever it left behind is killed and the shepherd
exits as the task did. It is a subreaper, so descendants that left the task's process group
are reparented to it and killed too (see :mod:`sluice.executors.reaper` for the tools).

Like :mod:`sluice.executors.reaper`, it imports nothing but the standard library (each of
contextlib, json, typing, uuid would cost milliseconds before every host task); it is
imported as the top-level module ``shepherd`` with the executors directory on ``sys.path``.
"""

from __future__ import annotations

import os
import select
import stat
import sys
import time

TYPE_CHECKING = False  # typing itself is not imported: mypy treats this name as True
if TYPE_CHECKING:
    import signal
    from typing import NoReturn

    from sluice.executors import reaper
else:
    try:  # the C module: `signal` wraps it in enums, and importing enum takes milliseconds
        import _signal as signal
    except ImportError:
        import signal
    if __package__:  # imported as part of the sluice package (tests, tools)
        from sluice.executors import reaper
    else:  # the shepherd's own interpreter: the executors directory is on sys.path
        import reaper

__all__ = ["main", "shepherd"]


def _spawn(command: list[str], wake: tuple[int, int]) -> int:
    """Fork the task in a session of its own with stdin on /dev/null; returns its pid."""
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        signal.set_wakeup_fd(-1)
        # Python ignores SIGPIPE and XFSZ; the task gets the defaults, as subprocess gives.
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        for fd in wake:
            os.close(fd)
        os.execvp(command[0], command)
    except OSError as exc:
        message = f"sluice: cannot execute '{command[0]}': {exc.strerror or exc}\n"
        try:
            os.write(2, message.encode("utf-8", "replace"))
        finally:
            os._exit(127 if isinstance(exc, FileNotFoundError) else 126)
    except BaseException:
        os._exit(127)
    raise AssertionError("unreachable")


def _signal_tree(main: int, sig: int) -> None:
    """``sig`` to the task's group and to every other descendant (those that left it).

    Each process gets it once: the group's members are left out of the second pass, or a
    task that traps SIGTERM would see two (and might run its handler twice).
    """
    reaper.signal_group(main, sig)
    reaper.signal_each(
        [pid for pid in reaper.descendants(os.getpid()) if not _in_group(pid, main)], sig
    )


def _in_group(pid: int, pgid: int) -> bool:
    try:
        return os.getpgid(pid) == pgid
    except (ProcessLookupError, PermissionError):
        return True  # gone: nothing to signal


def _exit_like(status: int) -> NoReturn:
    """Exit with the task's exit code, or die of the signal that killed it."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the task's crash, not ours
        except (ImportError, OSError, ValueError):
            pass
        try:  # noqa: SIM105
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass  # refused for SIGKILL and SIGSTOP, which need none
        try:  # noqa: SIM105
            os.kill(os.getpid(), sig)
        except OSError:
            pass  # then exit as a shell reports a signal
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _on_orphaned(main: int, cleanup: list[str]) -> NoReturn:
    """The orchestrator is gone: kill the task at once, run the cleanup command, exit."""
    reaper.kill_everything([main])
    if cleanup:
        try:
            import subprocess

            subprocess.run(
                cleanup,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=60,
                check=False,
            )
        except Exception:  # best effort: nobody is left to tell
            pass
    os._exit(1)


def shepherd(grace: float, cleanup: list[str], command: list[str]) -> NoReturn:
    """Run ``command`` to its end, as described in the module docstring; never returns."""
    reaper.set_subreaper()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    for sig in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)  # the wakeup fd does the work
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the orchestrator decides, through SIGTERM
    main = _spawn(command, (wake_r, wake_w))
    poller = select.poll()
    # The lifeline is our stdin when it is a pipe (or socket); anything else cannot signal EOF.
    lifeline = stat.S_ISFIFO(os.fstat(0).st_mode) or stat.S_ISSOCK(os.fstat(0).st_mode)
    if lifeline:
        poller.register(0, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    status: int | None = None
    kill_at: float | None = None
    while status is None:
        timeout = None if kill_at is None else max(0.0, kill_at - time.monotonic()) * 1000
        for fd, _ in poller.poll(timeout):
            if fd == 0:
                try:
                    data = os.read(0, 4096)
                except OSError:
                    data = b""
                if not data:
                    _on_orphaned(main, cleanup)
            else:
                try:
                    received = os.read(wake_r, 4096)
                except BlockingIOError:
                    received = b""
                if signal.SIGTERM in received and kill_at is None:
                    _signal_tree(main, signal.SIGTERM)
                    kill_at = time.monotonic() + grace
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == main:
                status = code
        if status is None and kill_at is not None and time.monotonic() >= kill_at:
            _signal_tree(main, signal.SIGKILL)
            kill_at = time.monotonic() + 3600.0  # now just wait for it
    # Stragglers die with the task, as in a container's teardown.
    reaper.kill_everything([main])
    _exit_like(status)


def main() -> NoReturn:
    """``shepherd.py GRACE N [N words of ON_ORPHAN] -- COMMAND...``: the shepherd's entry point."""
    args = sys.argv[1:]
    try:
        grace, count = float(args[0]), int(args[1])
        cleanup, separator, command = args[2 : 2 + count], args[2 + count], args[3 + count :]
    except (IndexError, ValueError):
        separator, command = "", []
    if separator != "--" or not command:
        sys.stderr.write("usage: shepherd.py GRACE N [ON_ORPHAN...] -- COMMAND...\n")
        os._exit(2)
    shepherd(grace, cleanup, command)


if __name__ == "__main__":
    main()
