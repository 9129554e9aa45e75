"""A warm fork worker kept between the runs of one process (``ForkWorker(keep_warm=True)``).

Starting a worker (a Python interpreter, then kfp's imports) costs a tenth of a second or
more: for a run of a few dozen quick tasks, as much as the tasks themselves. A
:class:`~sluice.executors.zygote_client.ForkWorker` that keeps warm hands its worker process
here when it is closed idle, and the next one started in this process (the next
``sluice.run`` of a notebook, the next run of a script) takes it instead of starting one.
One worker is kept at most; it is taken only if it still runs and was started with the
environment the new one would get (a worker's ``sys.path`` and imports come from the
environment it started in), Sluice's own ``SLUICE_*`` settings aside: neither the worker
nor kfp reads them, and every attempt's request says how its environment differs from the
one the worker started with (which :func:`take` hands back with the worker).

A worker asks the kernel for a signal when the *thread* that started it ends
(``PR_SET_PDEATHSIG`` is per thread), and a run's event loop thread ends with the run. So a
worker meant to outlive its run is started from a thread of this module that lives as long
as the process: it still dies with the process, even one killed with SIGKILL, and at
interpreter exit the kept one is closed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["park", "spawn", "take"]

_lock = threading.Lock()
_parked: tuple[subprocess.Popen[bytes], dict[str, str]] | None = None  # a worker, its env
_starter: ThreadPoolExecutor | None = None


def _popen(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        start_new_session=True,  # terminal Ctrl-C goes to the orchestrator only
    )


def spawn(argv: list[str], env: dict[str, str], *, keep_warm: bool) -> subprocess.Popen[bytes]:
    """Start a worker process: from this thread, or (``keep_warm``) from the long-lived one.

    Raises:
        OSError: the process could not be started.
    """
    global _starter
    if not keep_warm:
        return _popen(argv, env)
    with _lock:
        if _starter is None:
            _starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sluice-worker-start")
        starter = _starter
    return starter.submit(_popen, argv, env).result()


def park(proc: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    """Keep an idle worker (nothing running in it, nothing unread) for the next one.

    ``env`` is the environment the worker was started with.
    """
    global _parked
    with _lock:
        previous, _parked = _parked, (proc, env)
    if previous is not None:
        _close(previous[0])


def take(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], dict[str, str]] | None:
    """The kept worker and the environment it was started with, if it still runs and that
    environment is ``env`` (``SLUICE_*`` aside); else None."""
    global _parked
    with _lock:
        parked, _parked = _parked, None
    if parked is None:
        return None
    proc, started_with = parked
    if proc.poll() is not None or _key(started_with) != _key(env):
        _close(proc)
        return None
    return proc, started_with


def _key(env: dict[str, str]) -> dict[str, str]:
    """What of a worker's environment must match for another ForkWorker to take it."""
    return {k: v for k, v in env.items() if not k.startswith("SLUICE_")}


def _close(proc: subprocess.Popen[bytes]) -> None:
    """Stop a kept worker: EOF on its stdin (it exits), SIGTERM if it lingers; reap it."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)


def _forget_in_child() -> None:
    """A forked copy of this process owns neither the kept worker nor the starter thread
    (threads do not survive a fork): it starts its own when it needs one."""
    global _parked, _starter, _lock
    _parked, _starter, _lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)


@atexit.register
def _close_parked() -> None:
    global _parked
    with _lock:
        parked, _parked = _parked, None
    if parked is not None:
        _close(parked[0])
