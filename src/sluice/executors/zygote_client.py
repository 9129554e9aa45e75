"""The client of the warm fork worker: the orchestrator's side of :mod:`sluice.executors.zygote`.

Starting Python and importing kfp costs a few hundred milliseconds per task. The worker pays
it once: it is a long-lived process that has imported ``kfp.dsl.executor_main`` and forks a
child per attempt. We talk to it over its stdin/stdout (one JSON object per line) and watch its
stdout with ``loop.add_reader``, so any number of attempts can wait at once without threads.
Multiprocessing's forkserver is not used on purpose: its children re-import the parent's
``__main__`` (the user's script) and its preload list is global state shared with user code.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.errors import ExecutorError
from sluice.executors import zygote_pool
from sluice.executors.processes import KILL_GRACE_SECONDS, signal_group
from sluice.executors.reaper import MARKER_VAR, kill_marked, new_marker

__all__ = [
    "ATTEMPT_MAIN_PATH",
    "RUN_MODULE_BOOTSTRAP",
    "ZYGOTE_PATH",
    "ForkWorker",
    "ForkWorkerDied",
]


class ForkWorkerDied(ExecutorError):
    """The fork worker died while an attempt ran in it: a system failure, not the task's.

    The attempt's processes were killed; running it again (in a new worker) is safe.
    """


# The worker loads zygote.py (and an attempt's process attempt_main.py) by path: importing the
# `sluice` package would drag the engine, the store and SQLAlchemy into every task's interpreter.
_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_sluice_zygote', sys.argv.pop(1))\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "module.main()\n"
)
_ZYGOTE_PATH = str(Path(__file__).resolve().with_name("zygote.py"))
# What a forked child runs also runs an attempt as a plain subprocess (a venv's Python,
# PYTHON* variables): `python -c RUN_MODULE_BOOTSTRAP ATTEMPT_MAIN_PATH EXCEPTION_FILE MODULE
# ARGS...`.
RUN_MODULE_BOOTSTRAP = _BOOTSTRAP.replace("module.main()", "module.run_main()")
ZYGOTE_PATH = _ZYGOTE_PATH
ATTEMPT_MAIN_PATH = str(Path(__file__).resolve().with_name("attempt_main.py"))


def _environment_change(started_with: dict[str, str], env: dict[str, str]) -> dict[str, Any]:
    """How an attempt's ``env`` differs from the worker's own: the request's ``env_set`` and
    ``env_unset``.

    Most of an attempt's environment is the orchestrator's, as the worker's is: sending
    only the difference keeps each request small, and a child that changes only what
    differs touches little of the memory it shares with the worker.
    """
    return {
        "env_set": {k: v for k, v in env.items() if started_with.get(k) != v},
        "env_unset": [k for k in started_with if k not in env],
    }


def _consume(future: asyncio.Future[int]) -> None:
    """Mark a future's exception as seen: it may fail after its waiter was cancelled."""
    if not future.cancelled():
        future.exception()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask a worker to exit (it kills its children on SIGTERM), if it still runs."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGTERM)


@dataclass
class _Attempt:
    exit: asyncio.Future[int]
    marker: str
    pid: int | None = None


class ForkWorker:
    """A warm Python worker that runs ``python3 -m <module>`` attempts by forking.

    The worker starts lazily on the first :meth:`run`, is restarted if it dies, and is bound to
    the event loop that started it (a different loop gets a fresh worker).

    Args:
        grace: seconds between SIGTERM and SIGKILL when an attempt is cancelled.
        keep_warm: :meth:`aclose` of an idle worker keeps its process for the next
            ForkWorker of this process to take, rather than stopping it
            (:mod:`sluice.executors.zygote_pool`).
    """

    def __init__(self, *, grace: float = KILL_GRACE_SECONDS, keep_warm: bool = False) -> None:
        self._grace = grace
        self._keep_warm = keep_warm
        self._env: dict[str, str] = {}
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._attempts: dict[int, _Attempt] = {}
        self._ids = itertools.count(1)
        self._buffer = b""
        self._outbox = bytearray()
        self._writing = False

    @property
    def pid(self) -> int | None:
        """The worker's pid, or None when it is not running."""
        return self._proc.pid if self._proc is not None else None

    async def run(
        self,
        *,
        module: str,
        argv: list[str],
        source: str,
        source_path: Path,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        exception_file: Path | None = None,
    ) -> int:
        """Fork a child that writes ``source`` to ``source_path`` and runs ``module`` as main.

        The child runs in ``cwd`` with exactly ``env`` and its own process group, its stdout and
        stderr appended to ``log_path``. Returns its exit code (negative: killed by a signal).
        Cancelling the caller kills the child's group (SIGTERM, SIGKILL after the grace). If the
        module raises, the child also records the exception in ``exception_file`` (see
        :func:`sluice.executors.base.read_component_exception`).

        Raises:
            ForkWorkerDied: the worker died during the attempt (the attempt's processes are gone).
            ExecutorError: the worker could not be started, or was closed during the attempt.
        """
        loop = asyncio.get_running_loop()
        self._ensure_started(loop)
        if not os.path.isdir(log_path.parent):
            log_path.parent.mkdir(parents=True, exist_ok=True)
        attempt_id = next(self._ids)
        future: asyncio.Future[int] = loop.create_future()
        future.add_done_callback(_consume)
        marker = new_marker()
        self._attempts[attempt_id] = _Attempt(future, marker)
        request = {
            "op": "run",
            "id": attempt_id,
            "cwd": str(cwd),
            **_environment_change(self._env, {**env, MARKER_VAR: marker}),
            "log": str(log_path),
            "source": source,
            "source_path": str(source_path),
            "module": module,
            "argv": argv,
            "exception_file": str(exception_file) if exception_file is not None else None,
        }
        self._send(request)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await self._kill(attempt_id, future)
            raise

    async def aclose(self) -> None:
        """Stop the worker; it kills any child still running.

        With ``keep_warm``, a worker with nothing running and nothing left to read or
        write is kept for the next ForkWorker of this process instead.
        """
        proc = self._proc
        if proc is None:
            return
        if self._park():
            return
        if self._writing and self._loop is not None and proc.stdin is not None:
            self._loop.remove_writer(proc.stdin.fileno())
            self._writing = False
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # EOF: the worker kills its children and exits
        for _ in range(200):
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.01)
        self._discard("the fork worker was closed", died=False)

    # -- internals -------------------------------------------------------------------------

    def _ensure_started(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._proc is not None and (self._loop is not loop or self._proc.poll() is not None):
            self._discard("the fork worker was restarted", died=self._proc.poll() is not None)
        if self._proc is not None:
            return
        env = dict(os.environ, _KFP_RUNTIME="true")
        taken = zygote_pool.take(env) if self._keep_warm else None
        if taken is not None:
            proc, env = taken  # requests are relative to the environment it started with
        else:
            try:
                proc = zygote_pool.spawn(
                    # Our pid: the worker asks for a signal when we die, and checks we live.
                    [sys.executable, "-c", _BOOTSTRAP, _ZYGOTE_PATH, str(os.getpid())],
                    env,
                    keep_warm=self._keep_warm,
                )
            except OSError as exc:
                raise ExecutorError(f"could not start the fork worker: {exc}") from exc
        assert proc.stdout is not None and proc.stdin is not None
        os.set_blocking(proc.stdout.fileno(), False)
        os.set_blocking(proc.stdin.fileno(), False)
        loop.add_reader(proc.stdout.fileno(), self._on_readable)
        self._proc, self._loop, self._buffer, self._env = proc, loop, b"", env
        self._outbox, self._writing = bytearray(), False
        # A worker nobody closed (or a dropped ForkWorker) still goes away, at the latest when
        # the orchestrator exits; it takes its running children with it.
        self._finalizer = weakref.finalize(self, _stop, proc)

    def _park(self) -> bool:
        """Hand an idle worker to :mod:`~sluice.executors.zygote_pool`; whether it was."""
        proc, loop = self._proc, self._loop
        idle = not (self._attempts or self._outbox or self._writing or self._buffer)
        if not (self._keep_warm and idle and proc is not None and proc.poll() is None):
            return False
        if loop is None or loop.is_closed() or proc.stdout is None:
            return False
        loop.remove_reader(proc.stdout.fileno())
        if self._finalizer is not None:
            self._finalizer.detach()
        self._proc = self._loop = self._finalizer = None
        zygote_pool.park(proc, self._env)
        return True

    def _send(self, message: dict[str, Any]) -> None:
        """Queue a message for the worker and write what the pipe takes right now.

        Never blocks: a blocked orchestrator would stop reading the worker's replies, and a
        worker blocked on a full reply pipe would stop reading requests.
        """
        if self._proc is None:
            raise ExecutorError("the fork worker is not running")
        self._outbox += (json.dumps(message) + "\n").encode()
        self._flush()

    def _flush(self) -> None:
        proc, loop = self._proc, self._loop
        if proc is None or proc.stdin is None or proc.stdin.closed or loop is None:
            return
        fd = proc.stdin.fileno()
        try:
            while self._outbox:
                written = os.write(fd, self._outbox)
                del self._outbox[:written]
        except BlockingIOError:
            if not self._writing:
                loop.add_writer(fd, self._flush)
                self._writing = True
            return
        except OSError:  # broken pipe: the worker is gone
            self._discard(f"the fork worker died (exit code {proc.poll()})")
            return
        if self._writing:
            loop.remove_writer(fd)
            self._writing = False

    def _on_readable(self) -> None:
        proc = self._proc
        if proc is None or proc.stdout is None:
            return
        try:
            data = os.read(proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
            self._discard(f"the fork worker died (exit code {proc.poll()})")
            return
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._dispatch(json.loads(line))

    def _dispatch(self, message: dict[str, Any]) -> None:
        attempt = self._attempts.get(message["id"])
        if attempt is None:
            return
        if "pid" in message:
            attempt.pid = message["pid"]
            return
        del self._attempts[message["id"]]
        if attempt.exit.done():
            return
        if "exit" in message:
            attempt.exit.set_result(int(message["exit"]))
        else:
            attempt.exit.set_exception(ExecutorError(str(message.get("error"))))

    def _discard(self, reason: str, *, died: bool = True) -> None:
        """Forget the worker: stop it, kill orphaned attempts, fail their waiters.

        Waiters get :class:`ForkWorkerDied` if ``died``, else a plain :class:`ExecutorError`.
        """
        proc, loop = self._proc, self._loop
        self._proc = self._loop = None
        if proc is not None:
            if loop is not None and not loop.is_closed():
                if proc.stdout is not None:
                    loop.remove_reader(proc.stdout.fileno())
                if proc.stdin is not None and self._writing:
                    loop.remove_writer(proc.stdin.fileno())
            self._outbox, self._writing = bytearray(), False
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # the worker kills its children on SIGTERM
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        attempts, self._attempts = self._attempts, {}
        for attempt in attempts.values():
            if attempt.pid is not None:
                signal_group(attempt.pid, signal.SIGKILL)  # orphans of a crashed worker
            if not attempt.exit.done():
                # The worker could not sweep up: find what the attempt started by its marker.
                kill_marked(attempt.marker)
                error = ForkWorkerDied(reason) if died else ExecutorError(reason)
                attempt.exit.set_exception(error)

    async def _kill(self, attempt_id: int, future: asyncio.Future[int]) -> None:
        """SIGTERM the attempt's group, then SIGKILL after the grace; wait for its exit."""
        for sig, wait in ((signal.SIGTERM, self._grace), (signal.SIGKILL, 5.0)):
            if future.done() or self._proc is None:
                return
            self._send({"op": "signal", "id": attempt_id, "sig": int(sig)})
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, ExecutorError):
                await asyncio.wait_for(asyncio.shield(future), wait)
