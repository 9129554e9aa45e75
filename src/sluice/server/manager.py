"""Executing the server's runs: a bounded number at a time, in submission order, crash-safe.

Runs submitted through the API are PENDING rows in the store. The manager runs them as
asyncio tasks on the server's event loop with :func:`sluice.engine.runner.execute_run`.
It keeps nothing that matters in memory: the store is the queue, so a server killed at
any moment picks up where it was when it starts again (see "Nothing is lost" in
``docs/architecture.md``).

Only server runs are the manager's: those created through the API or by a schedule, which
always belong to a KFP experiment (``experiment_id`` is set). A run that ``sluice run``
or the Python API created in the same store is executed by that process; picking it up
here too would run its tasks twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sluice.config import Settings
from sluice.engine.runner import ABANDONED_REASON, execute_run
from sluice.engine.states import FINAL_RUN_STATES, RunState, can_transition_run
from sluice.errors import RunBusyError, RunNotFoundError, UserInputError
from sluice.store.locks import HeldLock, try_lock_run
from sluice.store.models import RunRow
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

logger = logging.getLogger(__name__)

# Runs created by another process (a scheduler, a second API worker) are only seen by
# polling; a second is quick enough for humans and costs one indexed query.
DEFAULT_POLL_SECONDS = 1.0


class RunManager:
    """Executes the store's PENDING runs, at most ``max_concurrent_runs`` at once.

    Args:
        store: the server's store.
        settings: where task working files and virtualenvs go.
        max_concurrent_runs: runs executing at once; the others wait PENDING, oldest first.
        poll_seconds: how often the store is checked for new runs without a :meth:`wake`.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        max_concurrent_runs: int,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        if max_concurrent_runs < 1:
            raise UserInputError(
                f"max concurrent runs must be at least 1, not {max_concurrent_runs}"
            )
        self.store = store
        self.settings = settings
        self.max_concurrent_runs = max_concurrent_runs
        self.poll_seconds = poll_seconds
        self._running: dict[str, asyncio.Task[None]] = {}
        # Runs found RUNNING at start: resumed before any PENDING run is started.
        self._recovered: list[str] = []
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    @property
    def running_run_ids(self) -> list[str]:
        """Ids of the runs this manager is executing now."""
        return list(self._running)

    async def start(self) -> None:
        """Recover runs a dead process left behind, then start executing runs."""
        self._loop = asyncio.get_running_loop()
        self._wake_event = asyncio.Event()
        self._stopping = False
        self._recover()
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="sluice-run-manager")

    def _recover(self) -> None:
        # The server lock keeps other servers away, so a run still RUNNING or CANCELING now
        # was left by a process that died, unless `sluice runs resume` is executing it
        # (it holds the run's lock: execute_run refuses, and _execute leaves the run be).
        for run_id, state in self._server_runs([RunState.RUNNING, RunState.CANCELING]):
            if state is RunState.CANCELING:
                if self._cancel_unowned(run_id):
                    logger.info("run %s was being canceled when the server stopped", run_id)
            else:
                logger.info("resuming run %s, interrupted while RUNNING", run_id)
                self._recovered.append(run_id)
        self._abandon_leftovers()

    def _abandon_leftovers(self) -> None:
        """Record as abandoned the attempts left RUNNING inside runs that have ended.

        Sluice before run locks resumed runs without closing their dead attempts; those
        runs will never execute again to close them. Any run's, not only the server's: an
        ended run is nobody's (its lock is still taken, in case a resume is starting it).
        """
        ended = sorted(FINAL_RUN_STATES)
        run_ids = RunRepository(self.store).with_running_attempts(ended)
        for run_id in run_ids:
            held = try_lock_run(self.store.engine, run_id)
            if isinstance(held, HeldLock):
                with held:
                    count = self.store.abandon_attempts(run_id, ABANDONED_REASON)
                logger.info("run %s: %d attempts left RUNNING recorded as abandoned", run_id, count)

    def _cancel_unowned(self, run_id: str) -> bool:
        """Mark CANCELED a run nobody executes, its dead attempts abandoned; False if owned."""
        held = try_lock_run(self.store.engine, run_id)
        if not isinstance(held, HeldLock):
            return False
        with held:
            self.store.abandon_attempts(run_id, ABANDONED_REASON)
            self.store.transition_run(run_id, RunState.CANCELED, error="canceled", finished=True)
        return True

    def wake(self) -> None:
        """Look for runs to start now (after a run was created). Safe from any thread."""
        if self._loop is None or self._wake_event is None or self._loop.is_closed():
            return
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            self._wake_event.set()
        else:
            self._loop.call_soon_threadsafe(self._wake_event.set)

    async def _dispatch_loop(self) -> None:
        assert self._wake_event is not None
        # Checked as well as cancellation: Python 3.11's wait_for can swallow a cancel that
        # arrives just as the event is set.
        while not self._stopping:
            self._wake_event.clear()
            try:
                self._dispatch()
            except Exception:
                # A store hiccup (database locked, connection reset) must not stop the
                # server from ever starting runs again: log it and try on the next tick.
                logger.exception("could not dispatch runs")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake_event.wait(), timeout=self.poll_seconds)

    def _dispatch(self) -> None:
        free = self.max_concurrent_runs - len(self._running)
        while free > 0 and self._recovered:
            run_id = self._recovered.pop(0)
            if run_id not in self._running:
                self._launch(run_id)
                free -= 1
        if free <= 0:
            return
        # Runs launched but not yet RUNNING in the store are still PENDING: skip them.
        limit = free + len(self._running)
        for run_id, _state in self._server_runs([RunState.PENDING], limit=limit):
            if free <= 0:
                break
            if run_id not in self._running:
                self._launch(run_id)
                free -= 1

    def _server_runs(
        self, states: list[RunState], limit: int | None = None
    ) -> list[tuple[str, RunState]]:
        """``(id, state)`` of the server's runs in ``states``, in submission order."""
        rows = RunRepository(self.store).server_runs(states, limit)
        return [(run_id, RunState(state)) for run_id, state in rows]

    def _launch(self, run_id: str) -> None:
        task = asyncio.create_task(self._execute(run_id), name=f"sluice-run-{run_id}")
        self._running[run_id] = task
        task.add_done_callback(lambda _t: self._finished(run_id))

    def _finished(self, run_id: str) -> None:
        self._running.pop(run_id, None)
        if not self._stopping and self._wake_event is not None:
            self._wake_event.set()  # a slot is free: start the next waiting run

    async def _execute(self, run_id: str) -> None:
        try:
            # In the executor the run's options name (the server's --executor when created).
            await execute_run(
                self.store,
                run_id,
                settings=self.settings,
                leave_running_on_cancel=lambda: self._stopping,
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
            logger.exception("run %s failed in the engine", run_id)
            self._ensure_final(
                run_id, RunState.FAILED, f"sluice internal error: {type(exc).__name__}: {exc}"
            )

    def _ensure_final(self, run_id: str, state: RunState, error: str) -> None:
        row = self.store.get_run(run_id)
        if row is not None and not RunState(row.state).is_final:
            self.store.transition_run(run_id, state, error=error, finished=True)

    async def terminate(self, run_id: str) -> RunRow:
        """Cancel a run: a PENDING one at once, a RUNNING one by stopping its tasks.

        Returns the run as it is afterwards. A run that already ended is left as it is.

        Raises:
            RunNotFoundError: no such run.
        """
        row = self._get(run_id)
        state = RunState(row.state)
        if state.is_final:
            return row
        if row.id in self._recovered:
            self._recovered.remove(row.id)
        task = self._running.get(row.id)
        if task is None:
            # PENDING, or RUNNING/CANCELING with no one executing it here: nothing to stop.
            if not self._cancel_unowned(row.id):
                raise RunBusyError(
                    f"run {row.name} is being executed by another process, not this server; "
                    "stop that process to cancel it"
                )
            return self._get(row.id)
        # CANCELING first, so readers see the request while task processes wind down.
        self.store.transition_run(row.id, RunState.CANCELING)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        # A task cancelled before it began never reached execute_run's own bookkeeping.
        self._ensure_final(row.id, RunState.CANCELED, "canceled")
        return self._get(row.id)

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

    async def stop(self) -> None:
        """Stop executing without marking runs canceled: they resume when the server starts."""
        self._stopping = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._running.clear()
        self._recovered.clear()

    def _get(self, run_id: str) -> RunRow:
        row = self.store.get_run(run_id)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'")
        return row
