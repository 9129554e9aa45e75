"""Keeping task processes from outliving the Sluice process that started them.

A task process must die when its attempt ends, when the attempt is cancelled, and when the
orchestrator (``sluice run``, ``sluice server``) dies, even by ``kill -9``; otherwise a
restarted server runs the task again while the orphan is still writing. Three tools:

* **the shepherd** (:mod:`sluice.executors.shepherd`): every host process runs under it
  (``python -I -S`` with
  ``GRACE N ON_ORPHAN... -- CMD``), a small stdlib-only supervisor. Its stdin is a pipe the
  orchestrator never writes to: when the orchestrator dies, for whatever reason, the kernel
  closes the pipe and the shepherd sees EOF and kills the task. A pipe is used rather than
  ``PR_SET_PDEATHSIG`` in the orchestrator because that signal follows the *thread* that
  forked (asyncio may spawn from any thread). On SIGTERM (a cancel) it passes SIGTERM on
  and SIGKILLs after the grace period. When the task ends, whatever it left behind is
  killed and the shepherd exits as the task did. Starting it costs a host task about one
  bare interpreter start (~10-15 ms).
* **a subreaper**: on Linux the shepherd and the fork worker are ``PR_SET_CHILD_SUBREAPER``,
  so descendants that called ``setsid`` (and so left the task's process group) are reparented
  to them when their parent exits, instead of to init, and can still be found and killed.
* **a marker**: every task process gets ``SLUICE_ATTEMPT_ID`` in its environment; when its
  supervisor itself was killed, the orchestrator finds stragglers by scanning
  ``/proc/*/environ`` for it.

On other platforms the pipe and process groups still work; descendants that leave their
process group cannot be tracked there and are left alone.

This module must import nothing but the standard library: the fork worker loads it by path,
and the shepherd imports it with ``python -I -S`` before every host task, so it
imports only what it needs (each of contextlib, json, typing, uuid would cost milliseconds).
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing itself is not imported: mypy treats this name as True
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable, Iterable
else:
    try:  # the C module: `signal` wraps it in enums, and importing enum takes milliseconds
        import _signal as signal
    except ImportError:
        import signal

__all__ = [
    "MARKER_VAR",
    "children_of",
    "descendants",
    "has_marker",
    "kill_everything",
    "kill_marked",
    "marked_processes",
    "new_marker",
    "open_children",
    "read_children",
    "set_parent_death_signal",
    "set_subreaper",
    "signal_each",
    "signal_group",
]

#: The environment variable that marks every process of one attempt.
MARKER_VAR = "SLUICE_ATTEMPT_ID"

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_LINUX = sys.platform.startswith("linux")
# Descendants can only be found through /proc (absent off Linux, and in some sandboxes).
_PROC = os.path.isdir("/proc/self/task")

#: How long the final SIGKILL sweep waits for a stubborn tree (processes stuck in the kernel).
_SWEEP_SECONDS = 10.0


def new_marker() -> str:
    """A fresh value for :data:`MARKER_VAR`."""
    return os.urandom(16).hex()


_PRCTL: list[Callable[..., int] | None] = []


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` (Linux), looked up once; None elsewhere."""
    if not _PRCTL:
        function: Callable[..., int] | None = None
        if _LINUX:
            try:
                import ctypes

                # No use_errno (nothing reads it): saving and restoring errno around each
                # call looks a thread-local up, pages a forked child would copy.
                function = ctypes.CDLL(None).prctl
            except (OSError, AttributeError, ImportError):
                function = None
        _PRCTL.append(function)
    return _PRCTL[0]


def set_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); False if not."""
    prctl = _prctl()
    return prctl is not None and prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def set_parent_death_signal(sig: int, parent: int) -> bool:
    """Have the kernel send ``sig`` when the parent dies (Linux); exit now if it already has.

    ``parent`` is the pid the caller expects as its parent: if it is already gone (we were
    reparented before the call), the signal would never come, so the process exits at once.
    Returns False where the platform has no such signal.
    """
    prctl = _prctl()
    if prctl is None or prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:
        os._exit(1)
    return True


def _parents() -> dict[int, int]:
    """``pid -> ppid`` of every process (Linux ``/proc``; {} elsewhere)."""
    table: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # it ended meanwhile
        # The command name may hold spaces and parentheses: fields follow the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and fields[0] != b"Z":
            table[int(name)] = int(fields[1])
    return table


def children_of(pid: int) -> list[int]:
    """Living or zombie children of ``pid`` (Linux; [] elsewhere).

    Reads ``/proc/<pid>/task/*/children`` (one small file per thread) when the kernel has it,
    else scans every process.
    """
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    try:
        for tid in threads:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                found.extend(int(child) for child in handle.read().split())
    except FileNotFoundError:
        return [child for child, parent in _parents().items() if parent == pid]
    except OSError:
        pass  # a thread ended meanwhile
    return found


def open_children(pid: int) -> int:
    """An fd of ``/proc/<pid>/task/<pid>/children`` (the children of a single-threaded
    process) for :func:`read_children`; -1 if there is no such file."""
    try:
        return os.open(f"/proc/{pid}/task/{pid}/children", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return -1


def read_children(fd: int) -> list[int] | None:
    """The pids in a children file opened by :func:`open_children`, read again from its
    start (the kernel makes the list anew at offset 0; the fork worker reads its own at every
    reap); None if it cannot be read."""
    if fd < 0:
        return None
    data = b""
    try:
        while chunk := os.pread(fd, 65536, len(data)):
            data += chunk
    except OSError:
        return None
    return [int(pid) for pid in data.split()]


def has_marker(pid: int, marker: str) -> bool:
    """Whether process ``pid`` was started with ``SLUICE_ATTEMPT_ID=<marker>``."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:
        return False  # gone, a zombie, or not ours to read
    return f"{MARKER_VAR}={marker}".encode() in environ.split(b"\0")


def descendants(root: int) -> list[int]:
    """Living (non-zombie) descendants of ``root``, parents before children ([] off Linux)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    queue = [root]
    while queue:
        for child in children.get(queue.pop(), ()):
            found.append(child)
            queue.append(child)
    return found


def marked_processes(marker: str) -> list[int]:
    """Pids whose environment holds ``SLUICE_ATTEMPT_ID=<marker>`` ([] off Linux)."""
    me = os.getpid()
    return [pid for pid in _parents() if pid != me and has_marker(pid, marker)]


def signal_each(pids: Iterable[int], sig: int) -> None:
    """Send ``sig`` to each of ``pids`` that still exists."""
    for pid in pids:
        try:  # noqa: SIM105 (no contextlib: see the module docstring)
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # already gone


def signal_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pgid``, if it still exists."""
    try:  # noqa: SIM105
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def kill_marked(marker: str, sig: int = signal.SIGKILL) -> list[int]:
    """Send ``sig`` to every process carrying ``marker``; returns their pids."""
    pids = marked_processes(marker)
    signal_each(pids, sig)
    return pids


def _reap_any() -> bool:
    """Reap exited children; False once this process has no children at all."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def kill_everything(groups: Iterable[int] = ()) -> None:
    """SIGKILL ``groups`` and every descendant of this process, and reap them all.

    With a subreaper, an empty child list means an empty tree: every descendant whose parent
    died was reparented here. Without one this kills what it can see and returns.
    """
    groups = list(groups)
    deadline = time.monotonic() + _SWEEP_SECONDS
    while True:
        for pgid in groups:
            signal_group(pgid, signal.SIGKILL)
        if not _reap_any():
            return
        left = descendants(os.getpid())
        signal_each(left, signal.SIGKILL)
        if (not left and not _PROC) or time.monotonic() > deadline:
            return
        time.sleep(0.005)
