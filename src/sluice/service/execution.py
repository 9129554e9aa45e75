"""Executing the server's runs: a bounded number at a time, in submission order, crash-safe.

:class:`RunWorker` is what the server's worker process (:mod:`sluice.service.worker`) runs:
it claims the store's server runs (``executed_by == "server"``) with a lease
(:mod:`sluice.service.run_leases`) and executes them with
:func:`sluice.engine.runner.execute_run` on its own event loop, never in the API's
process. It keeps nothing that matters in memory: the store is the queue, the leases say
which server executes what and the run locks (:mod:`sluice.store.locks`) keep two
processes from executing one run, so a worker killed at any moment is replaced by one
that picks up where it was, and on PostgreSQL another server takes over the runs of a
server that died once their leases expire (see "Nothing is lost" in
``docs/architecture.md`` and ``docs/scale.md``).

A run ``sluice run`` or the Python API created (``executed_by == "local"``) is executed by
that process; picking it up here too would run its tasks twice.

Cancelling is asked through the store: the API moves a run the worker executes to
CANCELING and wakes the worker, which stops the run's tasks and records it CANCELED.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sluice.config import Settings
from sluice.engine.runner import ABANDONED_REASON, RunOptions, execute_run
from sluice.errors import RunBusyError, UserInputError
from sluice.executors import registry
from sluice.executors.base import ExecutionRequest, ExecutionResult, Executor
from sluice.service.run_leases import (
    DEFAULT_HEARTBEAT_SECONDS,
    DEFAULT_LEASE_SECONDS,
    WorkerLeases,
    new_owner_id,
)
from sluice.states import FINAL_RUN_STATES, RunState
from sluice.store.locks import HeldLock, try_lock_run
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

__all__ = ["DEFAULT_POLL_SECONDS", "SHARED_EXECUTORS", "RunWorker", "cancel_unowned"]

logger = logging.getLogger(__name__)

# Runs created while a wake-up was lost, or by another process, are only seen by polling;
# a second is quick enough for humans and costs one indexed query.
DEFAULT_POLL_SECONDS = 1.0

# Executors one worker shares between all the runs it executes: the local executor's fork
# worker is warm once and every run's tasks fork from it. Others (containers, packages'
# executors) may keep per-run state, so each run gets its own, as `sluice run` does.
SHARED_EXECUTORS = frozenset({"local"})


class _Borrowed:
    """An executor a run uses but does not own: closing it at the run's end does nothing."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self.uses_images = executor.uses_images

    def __getattr__(self, name: str) -> Any:
        # Whatever else the engine asks an executor besides execute() (its GPU pool, whether
        # it stages object-store artifacts where the attempt runs) is the shared one's.
        if name == "_executor":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self._executor, name)

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt in the shared executor."""
        return await self._executor.execute(request)

    async def aclose(self) -> None:
        """Leave the shared executor open: the worker closes it when it stops."""


def cancel_unowned(store: Store, run_id: str) -> bool:
    """Mark CANCELED a run nobody executes, its dead attempts abandoned; False if owned."""
    held = try_lock_run(store.engine, run_id)
    if not isinstance(held, HeldLock):
        return False
    with held:
        row = store.get_run(run_id)
        if row is None or RunState(row.state).is_final:
            return True
        store.abandon_attempts(run_id, ABANDONED_REASON)
        store.transition_run(run_id, RunState.CANCELED, error="canceled", finished=True)
    return True


class RunWorker:
    """Executes the store's PENDING server runs, at most ``max_concurrent_runs`` at once.

    Args:
        store: the server's store.
        settings: where task working files and virtualenvs go.
        max_concurrent_runs: runs executing at once; the others wait PENDING, oldest first.
        poll_seconds: how often the store is checked without a :meth:`wake`.
        owner: the lease owner id of this worker's server (default: a new one).
        lease_seconds: how long a claimed run's lease lasts unless renewed.
        heartbeat_seconds: how often the leases are renewed.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        max_concurrent_runs: int,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        if max_concurrent_runs < 1:
            raise UserInputError(
                f"max concurrent runs must be at least 1, not {max_concurrent_runs}"
            )
        self.store = store
        self.settings = settings
        self.max_concurrent_runs = max_concurrent_runs
        self.poll_seconds = poll_seconds
        self._repo = RunRepository(store)
        self._running: dict[str, asyncio.Task[None]] = {}
        self._canceling: set[str] = set()
        # Runs whose lease was lost: stopped here and left RUNNING for their next holder.
        self._lost: set[str] = set()
        # Interrupted runs another process (`sluice runs resume`) was found executing.
        self._busy: set[str] = set()
        self.leases = WorkerLeases(
            store,
            owner=owner or new_owner_id(),
            lease_seconds=lease_seconds,
            heartbeat_seconds=heartbeat_seconds,
        )
        self._shared: dict[str, Executor] = {}
        self._stopping = False
        self._wake_event: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    @property
    def running_run_ids(self) -> list[str]:
        """Ids of the runs this worker is executing now."""
        return list(self._running)

    async def start(self) -> None:
        """Close what dead processes left behind, then start claiming and executing runs.

        Runs left RUNNING or CANCELING by a dead server are claimed like PENDING ones (and
        before them) once their leases are free: see :meth:`_dispatch`.
        """
        self._wake_event = asyncio.Event()
        self._stopping = False
        self._abandon_leftovers()
        # The first claim before start() returns: a run a dead server left CANCELING is
        # CANCELED by the time the server says it is ready (the loop retries on errors).
        try:
            self._dispatch()
        except Exception:
            logger.exception("could not dispatch runs")
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="sluice-run-worker")

    def _abandon_leftovers(self) -> None:
        """Record as abandoned the attempts left RUNNING inside runs that have ended.

        Sluice before run locks resumed runs without closing their dead attempts; those
        runs will never execute again to close them. Any run's, not only the server's: an
        ended run is nobody's (its lock is still taken, in case a resume is starting it).
        """
        for run_id in self._repo.with_running_attempts(sorted(FINAL_RUN_STATES)):
            held = try_lock_run(self.store.engine, run_id)
            if isinstance(held, HeldLock):
                with held:
                    count = self.store.abandon_attempts(run_id, ABANDONED_REASON)
                logger.info("run %s: %d attempts left RUNNING recorded as abandoned", run_id, count)

    def wake(self) -> None:
        """Look at the store now (a run was created, retried or asked to cancel)."""
        if self._wake_event is not None:
            self._wake_event.set()

    async def _dispatch_loop(self) -> None:
        assert self._wake_event is not None
        # Checked as well as cancellation: Python 3.11's wait_for can swallow a cancel that
        # arrives just as the event is set.
        while not self._stopping:
            self._wake_event.clear()
            try:
                self._heartbeat()
            except Exception:
                logger.exception("could not renew run leases")
            try:
                self._cancel_requested()
                self._dispatch()
            except Exception:
                # A store hiccup (database locked, connection reset) must not stop the
                # worker from ever starting runs again: log it and try on the next tick.
                logger.exception("could not dispatch runs")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), timeout=self.poll_seconds)

    def _heartbeat(self) -> None:
        """Renew the leases of the runs executing here; stop those that were lost."""
        for run_id in self.leases.beat(self._running):
            task = self._running.get(run_id)
            if task is not None and run_id not in self._lost:
                logger.warning("run %s: lease lost; stopping it here", run_id)
                self._lost.add(run_id)
                task.cancel()

    def _cancel_requested(self) -> None:
        """Stop the runs executing here that the API moved to CANCELING."""
        if not self._running:
            return
        for run_id, _state in self._server_runs([RunState.CANCELING]):
            task = self._running.get(run_id)
            if task is not None and run_id not in self._canceling:
                logger.info("canceling run %s", run_id)
                self._canceling.add(run_id)
                task.cancel()

    def _dispatch(self) -> None:
        free = self.max_concurrent_runs - len(self._running)
        if free <= 0:
            return
        # Claimed with a lease: no other server's worker starts these; interrupted runs
        # (RUNNING or CANCELING, their last holder dead) come first.
        for run_id, state in self.leases.claim(free, exclude=list(self._running)):
            if state is RunState.PENDING:
                self._launch(run_id)
            elif state is RunState.CANCELING:
                if cancel_unowned(self.store, run_id):
                    logger.info("run %s was being canceled when its server stopped", run_id)
                self.leases.release([run_id])
            elif self._lock_free(run_id):
                logger.info("resuming run %s, left RUNNING by a process that died", run_id)
                self._launch(run_id)
            else:
                # `sluice runs resume` (or a dying worker) executes it: leave it be.
                self.leases.release([run_id])

    def _lock_free(self, run_id: str) -> bool:
        held = try_lock_run(self.store.engine, run_id)
        if isinstance(held, HeldLock):
            held.release()
            self._busy.discard(run_id)
            return True
        if run_id not in self._busy:  # said once, not on every tick
            self._busy.add(run_id)
            logger.warning("not executing run %s: %s executes it", run_id, held.describe())
        return False

    def _server_runs(
        self, states: list[RunState], limit: int | None = None
    ) -> list[tuple[str, RunState]]:
        """``(id, state)`` of the server's runs in ``states``, in submission order."""
        rows = self._repo.server_runs([s.value for s in states], limit)
        return [(run_id, RunState(state)) for run_id, state in rows]

    def _launch(self, run_id: str) -> None:
        task = asyncio.create_task(self._execute(run_id), name=f"sluice-run-{run_id}")
        self._running[run_id] = task
        task.add_done_callback(lambda _t: self._finished(run_id))

    def _finished(self, run_id: str) -> None:
        self._running.pop(run_id, None)
        canceled = run_id in self._canceling
        self._canceling.discard(run_id)
        if run_id in self._lost:
            self._lost.discard(run_id)
            return  # another server may execute it now: leave it and its lease be
        if self._stopping:
            return  # stop() releases the leases once every run has stopped
        if canceled:
            # Cancelled before execute_run began its own bookkeeping: record it here.
            try:
                cancel_unowned(self.store, run_id)
            except Exception:
                logger.exception("could not record run %s as canceled", run_id)
        try:
            self.leases.release([run_id])
        except Exception:  # it expires on its own
            logger.exception("could not release the lease of run %s", run_id)
        if self._wake_event is not None:
            self._wake_event.set()  # a slot is free: start the next waiting run

    def _executor_for(self, run_id: str) -> Executor | None:
        """The shared executor of the run's executor name, or None: the run makes its own."""
        row = self.store.get_run(run_id)
        if row is None:
            return None
        name = RunOptions.from_json(row.options or {}).executor
        if name not in SHARED_EXECUTORS:
            return None
        shared = self._shared.get(name)
        if shared is None:
            shared = self._shared[name] = registry.get(name, self.settings)
        return _Borrowed(shared)

    async def _execute(self, run_id: str) -> None:
        try:
            # In the executor the run's options name (the server's --executor when created).
            await execute_run(
                self.store,
                run_id,
                settings=self.settings,
                executor=self._executor_for(run_id),
                leave_running_on_cancel=lambda: self._stopping or run_id in self._lost,
            )
        except asyncio.CancelledError:
            raise
        except RunBusyError as exc:
            # Another process (`sluice runs resume`) executes it: it records the outcome.
            logger.warning("not executing run %s: %s", run_id, exc)
        except Exception as exc:
            # execute_run records its own failures once it has started; this catches the
            # ones before (an unreadable spec, a state it refuses), so the run does not
            # stay PENDING and get picked again every second.
            row = self.store.get_run(run_id)
            if row is not None and row.state == RunState.CANCELING.value:
                # Asked to cancel as it started (the transition to RUNNING was refused).
                cancel_unowned(self.store, run_id)
                return
            if row is not None and RunState(row.state).is_final:
                # Canceled (through any server) between its claim and its start.
                logger.info("run %s ended (%s) before it started here", run_id, row.state)
                return
            logger.exception("run %s failed in the engine", run_id)
            self._ensure_final(
                run_id, RunState.FAILED, f"sluice internal error: {type(exc).__name__}: {exc}"
            )

    def _ensure_final(self, run_id: str, state: RunState, error: str) -> None:
        row = self.store.get_run(run_id)
        if row is not None and not RunState(row.state).is_final:
            self.store.transition_run(run_id, state, error=error, finished=True)

    async def stop(self) -> None:
        """Stop executing without marking runs canceled: they resume when a worker starts."""
        self._stopping = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        tasks = list(self._running.values())
        stopped = [run_id for run_id in self._running if run_id not in self._lost]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()
        self._lost.clear()
        # Another server may resume them at once instead of waiting for the leases.
        with contextlib.suppress(Exception):
            self.leases.release(stopped)
        shared, self._shared = list(self._shared.values()), {}
        for executor in shared:
            with contextlib.suppress(Exception):
                await executor.aclose()
