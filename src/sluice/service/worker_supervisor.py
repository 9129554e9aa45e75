"""The supervisor of the server's worker process: starts it, wakes it, restarts it, cancels.

``sluice server`` executes no run in its own process: the API shares one GIL, and a run's
engine (~10 ms of CPU per task) would queue every request behind it. It starts one worker
process (``python -m sluice.service.worker``, :mod:`sluice.service.worker`), which runs a
:class:`RunWorker` over the same store, sharing one fork worker across all its runs. This
module is the server's side of that process; :mod:`sluice.service.worker` is its own.

* **Waking** costs one byte: after creating or retrying a run (or asking one to cancel) the
  API writes to a pipe the worker reads. A wake-up that is lost (a full pipe, a worker being
  restarted) loses nothing: the worker also polls the store every ``poll_seconds``.
* **Supervision**: a worker that dies (``kill -9``, a crash) is started again; its runs'
  locks died with it, so the new one resumes them (tasks that finished are not run again).
* **Stopping**: when the server stops, the worker gets SIGTERM and stops without marking
  its runs canceled: they stay RUNNING and resume when a server starts again. A server
  killed outright closes the pipe: the worker sees end-of-file and stops the same way.
* **Cancel** goes through the store: :meth:`WorkerSupervisor.terminate` moves a run the
  worker executes to CANCELING and wakes it; the worker stops the run's tasks and records
  it CANCELED. A run another server's worker holds the lease of is moved to CANCELING the
  same way: that worker sees it on its next poll.
* **Leases**: the worker claims runs under this server's owner id
  (:mod:`sluice.service.run_leases`), which a restarted worker keeps, so it resumes its
  predecessor's runs at once; other servers wait for the leases to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import sluice
from sluice.config import Settings
from sluice.errors import ExecutorError, RunBusyError, RunNotFoundError, UserInputError
from sluice.service.execution import DEFAULT_POLL_SECONDS, cancel_unowned
from sluice.service.run_leases import (
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_LEASE_SECONDS,
    WorkerLeases,
    check_lease_settings,
    new_owner_id,
)
from sluice.service.worker import DB_URL_VARIABLE, READY_LINE
from sluice.states import IllegalTransitionError, RunState, can_transition_run
from sluice.store.locks import HeldLock, Owner, try_lock_run
from sluice.store.models import RunRow
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

__all__ = ["WorkerSupervisor", "owner_known"]

logger = logging.getLogger(__name__)

# A new worker opens (maybe migrates) the store and recovers interrupted runs first.
READY_TIMEOUT_SECONDS = 120.0
# How often the supervisor checks its worker is alive, and waits before restarting one
# that died (doubling, up to the maximum, while it keeps dying at start).
WATCH_SECONDS = 0.2
RESTART_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)
# How long a terminate waits for the worker to stop the run's tasks (the fork worker's
# SIGTERM grace is well within this); the run is returned as it is then.
CANCEL_WAIT_SECONDS = 60.0


class WorkerSupervisor:
    """Starts the worker process and keeps one alive; the server's :class:`RunExecutor`.

    Args:
        store: the server's store (the API's own handle; the worker opens its own).
        settings: the store URL, home and executor the worker uses.
        max_concurrent_runs: runs the worker executes at once.
        poll_seconds: how often the worker looks at the store without a wake-up.
        log_path: where the worker's output goes (default: the server's stderr).
        stop_timeout: seconds a stopping worker gets before SIGKILL.
        lease_seconds: how long the worker's lease on a run lasts unless renewed.
        heartbeat_seconds: how often the worker renews its leases.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        max_concurrent_runs: int,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        log_path: Path | None = None,
        stop_timeout: float = 30.0,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        if max_concurrent_runs < 1:
            raise UserInputError(
                f"max concurrent runs must be at least 1, not {max_concurrent_runs}"
            )
        check_lease_settings(lease_seconds, heartbeat_seconds)
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        # One id for the server's life: every worker it starts holds leases under it.
        self.owner = new_owner_id()
        self._leases = WorkerLeases(
            store,
            owner=self.owner,
            lease_seconds=lease_seconds,
            heartbeat_seconds=heartbeat_seconds,
        )
        self.store = store
        self.settings = settings
        self.max_concurrent_runs = max_concurrent_runs
        self.poll_seconds = poll_seconds
        self.log_path = log_path
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._wake_fd: int | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    # -- the process --------------------------------------------------------------------------

    @property
    def worker_pid(self) -> int | None:
        """The pid of the worker process now, or None when none is running."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    async def start(self) -> None:
        """Start the worker and wait until it has recovered interrupted runs.

        Raises:
            ExecutorError: the worker exited or did not get ready in time.
        """
        self._stopping = False
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="sluice-worker-supervisor")

    def _command(self, wake_fd: int, ready_fd: int) -> list[str]:
        return [
            *(sys.executable, "-m", "sluice.service.worker"),
            *("--home", str(self.settings.home)),
            *("--executor", self.settings.executor),
            *("--max-concurrent-runs", str(self.max_concurrent_runs)),
            *("--poll-seconds", str(self.poll_seconds)),
            *("--owner", self.owner),
            *("--lease-seconds", str(self.lease_seconds)),
            *("--heartbeat-seconds", str(self.heartbeat_seconds)),
            *("--wake-fd", str(wake_fd), "--ready-fd", str(ready_fd)),
        ]

    def _environment(self) -> dict[str, str]:
        # The worker must import this Sluice, even when it was put on sys.path by hand.
        source = str(Path(sluice.__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        return {
            **os.environ,
            "PYTHONPATH": source + (os.pathsep + path if path else ""),
            # Not on the command line, where `ps` would show a password in it.
            DB_URL_VARIABLE: self.settings.db_url,
            # The ray executor's cluster (`sluice server --ray-address`), read by its factory.
            **(
                {"SLUICE_RAY_ADDRESS": self.settings.ray_address}
                if self.settings.ray_address
                else {}
            ),
        }

    async def _spawn(self) -> None:
        wake_read, wake_write = os.pipe()
        ready_read, ready_write = os.pipe()
        log = open(self.log_path, "ab") if self.log_path is not None else None  # noqa: SIM115
        try:
            # Same process group as the server: a signal to the server's group (a
            # terminal's Ctrl-C, a supervisor's kill) reaches the worker too.
            proc = subprocess.Popen(
                self._command(wake_read, ready_write),
                pass_fds=(wake_read, ready_write),
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT if log is not None else None,
            )
        except OSError as exc:
            for fd in (wake_read, wake_write, ready_read, ready_write):
                os.close(fd)
            raise ExecutorError(f"could not start the run worker: {exc}") from exc
        finally:
            if log is not None:
                log.close()
        os.close(wake_read)
        os.close(ready_write)
        os.set_blocking(wake_write, False)
        old_fd, self._wake_fd, self._proc = self._wake_fd, wake_write, proc
        if old_fd is not None:
            os.close(old_fd)
        try:
            await self._until_ready(proc, ready_read)
        finally:
            os.close(ready_read)
        logger.info("run worker started (pid %d)", proc.pid)

    async def _until_ready(self, proc: subprocess.Popen[bytes], ready_fd: int) -> None:
        os.set_blocking(ready_fd, False)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            with contextlib.suppress(BlockingIOError):
                if os.read(ready_fd, len(READY_LINE)) == READY_LINE:
                    return
            if proc.poll() is not None:
                raise ExecutorError(
                    f"the run worker exited with {proc.returncode} as it started; see its log"
                )
            if time.monotonic() > deadline:
                raise ExecutorError("the run worker did not get ready in time")
            await asyncio.sleep(0.01)

    async def _watch(self) -> None:
        failures = 0
        while not self._stopping:
            await asyncio.sleep(WATCH_SECONDS)
            proc = self._proc
            if self._stopping or proc is None or proc.poll() is None:
                continue
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            logger.warning(
                "run worker (pid %d) exited with %s; starting another in %.1f s",
                proc.pid,
                proc.returncode,
                delay,
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._spawn()
                self.restarts += 1
                failures = 0
            except Exception:
                logger.exception("could not restart the run worker")
                failures += 1

    def wake(self) -> None:
        """Have the worker look at the store now; never blocks, safe from any thread."""
        fd = self._wake_fd
        if fd is None:
            return
        # A full pipe already holds a wake-up; a worker being replaced polls at start.
        with contextlib.suppress(OSError):
            os.write(fd, b"w")

    async def stop(self) -> None:
        """Stop the worker; its runs stay RUNNING and resume when a worker starts again."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            while proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            if proc.poll() is None:
                logger.warning("run worker (pid %d) did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.wait()
        fd, self._wake_fd = self._wake_fd, None
        if fd is not None:
            os.close(fd)

    # -- what the API asks of it --------------------------------------------------------------

    @property
    def running_run_ids(self) -> list[str]:
        """Ids of the server's runs the worker is executing now (it holds their locks)."""
        rows = RunRepository(self.store).server_runs(
            [RunState.RUNNING.value, RunState.CANCELING.value]
        )
        found = []
        for run_id, _state in rows:
            held = try_lock_run(self.store.engine, run_id)
            if isinstance(held, HeldLock):
                held.release()
            elif self._is_worker(held):
                found.append(run_id)
        return found

    def _is_worker(self, owner: Owner) -> bool:
        pid = self.worker_pid
        same_host = owner.host is None or owner.host == socket.gethostname()
        return pid is not None and owner.pid == pid and same_host

    async def terminate(self, run_id: str) -> RunRow:
        """Cancel a run: a PENDING one at once, a RUNNING one by having the worker stop it.

        Returns the run as it is afterwards (CANCELED, or still CANCELING if its tasks took
        longer than :data:`CANCEL_WAIT_SECONDS` to stop). A run that ended is left as it is.

        Raises:
            RunNotFoundError: no such run.
            RunBusyError: another process (`sluice runs resume`) executes the run.
        """
        row = self._get(run_id)
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        asked = False
        while not RunState(row.state).is_final and time.monotonic() < deadline:
            held = try_lock_run(self.store.engine, row.id)
            if isinstance(held, HeldLock):
                held.release()
                # Nobody executes it (PENDING, or left by a dead process): cancel it here.
                if cancel_unowned(self.store, row.id):
                    return self._get(row.id)
            elif (
                owner_known(held)
                and not self._is_worker(held)
                and not self._leases.held_by_another(row.id)
            ):
                raise RunBusyError(
                    f"run {row.name} is being executed by another process, not this server; "
                    "stop that process to cancel it"
                )
            elif row.state == RunState.RUNNING.value and not asked:
                # CANCELING first, so readers see the request while task processes wind down;
                # the worker executing it (this server's or, by its lease, another's) stops it.
                with contextlib.suppress(IllegalTransitionError):
                    self.store.transition_run(row.id, RunState.CANCELING)
                    asked = True
                self.wake()
            # PENDING with the worker holding the lock: it is starting the run; once it is
            # RUNNING it can be asked to stop.
            await asyncio.sleep(0.02)
            row = self._get(row.id)
        return row

    async def retry(self, run_id: str) -> RunRow:
        """Queue a FAILED or CANCELED run again; its finished tasks are reused.

        Raises:
            RunNotFoundError: no such run.
            UserInputError: the run is not FAILED or CANCELED.
        """
        row = self._get(run_id)
        if not can_transition_run(RunState(row.state), RunState.PENDING):
            raise UserInputError(
                f"run {row.name} is {row.state}; only a FAILED or CANCELED run can be retried"
            )
        # The old error and end time describe the previous attempt, not this one.
        self.store.transition_run(row.id, RunState.PENDING, reopened=True)
        self.wake()
        return self._get(row.id)

    def _get(self, run_id: str) -> RunRow:
        row = self.store.get_run(run_id)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'")
        return row


def owner_known(owner: Owner) -> bool:
    """Whether a lock's holder could be read (a lock just taken may not say yet)."""
    return owner.pid is not None
