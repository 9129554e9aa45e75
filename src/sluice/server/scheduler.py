"""The scheduler: starts the runs of enabled recurring runs when their slots come due.

Rules (Kubeflow semantics, plus Vertex's ``max_run_count``):

- A recurring run fires only while ENABLED and inside its trigger's start/end window.
  The first slot is the first one after ``start_time`` (or after creation).
- Catch-up (``no_catchup`` false): every slot missed while the server was down or the
  recurring run was disabled fires once, oldest first. With ``no_catchup`` only the latest
  missed slot fires and the older ones are dropped.
- ``max_concurrency``: while that many of its runs are PENDING, RUNNING or CANCELING, the
  due slot *waits* (it is not skipped); it fires once a run ends. The scheduler counts
  first, and the store counts again in the transaction that records the slot's run, under
  a lock on the recurring run (:mod:`sluice.store.recurring_slots`): two servers firing
  two slots at once cannot both take the last place.
- ``max_run_count``: once ``runs_started`` reaches it nothing more fires. The status stays
  ENABLED (Vertex would say COMPLETED); the API shows ``runs_started``.
- A slot never fires twice, across restarts and across servers too: ``last_slot_at`` is the
  newest slot handled, and before submitting, the scheduler looks for a run with the same
  ``(recurring_run_id, scheduled_at)``, so a crash between submitting and recording the
  slot does not repeat it. Several servers on one PostgreSQL each run a scheduler: the
  database's unique index on ``(recurring_run_id, scheduled_at)`` refuses the second run
  of a slot, and recording a slot counts it only once (``record_slot`` moves
  ``last_slot_at`` forward only).
- A slot whose submission fails on bad input (say the pipeline version was deleted) is
  logged and counted as handled, so a broken recurring run cannot spin; any other error is
  retried on the next pass.

``submit`` is called on the event loop's thread; it only records a PENDING run and wakes
the run manager's worker process, which executes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sluice.config import Settings
from sluice.errors import ConcurrencyLimitError, StoreConflictError, UserInputError
from sluice.server.cron import Trigger, parse_trigger, to_utc
from sluice.service.recurring_runs import RecurringRunService
from sluice.service.runs import RunService
from sluice.service.stores import Store
from sluice.states import ACTIVE_RUN_STATES
from sluice.store.models import RecurringRunRow, utcnow

log = logging.getLogger(__name__)

ACTIVE_STATES = tuple(sorted(ACTIVE_RUN_STATES))
MAX_SLEEP_SECONDS = 5.0


def next_slot(row: RecurringRunRow, trigger: Trigger) -> datetime | None:
    """The first slot of ``row`` not yet handled, or None when its end time has passed.

    That is the first slot after ``last_slot_at``; before any, the first at or after
    ``start_time``, or after creation.
    """
    if row.last_slot_at is not None:
        base = to_utc(row.last_slot_at)
    elif trigger.start_time is not None:
        # A cron slot falling exactly on start_time counts.
        base = trigger.start_time - timedelta(microseconds=1)
    else:
        base = to_utc(row.created_at)
    slot = trigger.schedule.next_after(base)
    if trigger.end_time is not None and slot > trigger.end_time:
        return None
    return slot


def next_run_time(row: RecurringRunRow, trigger: Trigger) -> datetime | None:
    """When ``row`` fires next: None while it is disabled or once nothing more fires."""
    # A row not yet inserted has None where its column defaults will go.
    if (row.status or "ENABLED") != "ENABLED":
        return None
    if row.max_run_count is not None and (row.runs_started or 0) >= row.max_run_count:
        return None
    return next_slot(row, trigger)


def derived_columns(row: RecurringRunRow) -> dict[str, Any]:
    """The columns kept from a recurring run's trigger and progress (migration 0007).

    ``start_at``/``end_at`` (the trigger's window) and ``next_run_at``; the services set
    them on every write (``RecurringRunService(derive=...)``), the scheduler keeps
    ``next_run_at`` as slots fire.
    """
    created = to_utc(row.created_at or utcnow())
    try:
        trigger = parse_trigger(row.trigger or {}, created_at=created)
    except UserInputError:  # an older version's unusable trigger: it never fires
        return {"start_at": None, "end_at": None, "next_run_at": None}
    return {
        "start_at": trigger.start_time,
        "end_at": trigger.end_time,
        "next_run_at": next_run_time(row, trigger),
    }


def missed_until(row: RecurringRunRow, now: datetime) -> datetime | None:
    """The newest slot of ``row`` due by ``now`` and not handled (None: none is due).

    Recording it as ``last_slot_at`` skips every missed slot (Vertex's resume without
    ``catch_up``): the next one to fire is then after ``now``.
    """
    try:
        trigger = parse_trigger(row.trigger or {}, created_at=to_utc(row.created_at))
    except UserInputError:
        return None
    first = next_slot(row, trigger)
    if first is None or first > now:
        return None
    limit = now if trigger.end_time is None else min(now, trigger.end_time)
    latest = trigger.schedule.latest_at_or_before(limit)
    return latest if latest is not None and latest >= first else None


class Scheduler:
    """Fires the due slots of every enabled recurring run in the store.

    Args:
        store: the run store holding the recurring runs.
        settings: the server's settings (kept for the submit callable's use).
        submit: starts one run of a recurring run for a slot; must record the run with
            ``recurring_run_id`` and ``scheduled_at=slot``.
        now: the clock (tests pass a controllable one).
        max_sleep: the longest pause between passes, in seconds.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        submit: Callable[[RecurringRunRow, datetime], object],
        now: Callable[[], datetime] = utcnow,
        max_sleep: float = MAX_SLEEP_SECONDS,
    ) -> None:
        self.store = store
        self.settings = settings
        self._submit = submit
        self._now = now
        self._max_sleep = max_sleep
        self._recurring = RecurringRunService(store)
        self._runs = RunService(store, settings)
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Recurring runs whose stored trigger cannot be used (written by an older version
        # that checked less): warned about once each, not on every pass.
        self._bad_triggers: set[tuple[str, str]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the scheduling loop as a task of the running event loop."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="sluice-scheduler")

    async def stop(self) -> None:
        """Stop the loop; a pass in progress finishes its current slot first."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def wake(self) -> None:
        """Re-read the schedules now (after a create, enable or update); safe from any thread."""
        loop, event = self._loop, self._wakeup
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            try:
                next_due = self.tick()
            except Exception:  # the loop must survive a database hiccup
                log.exception("scheduler pass failed")
                next_due = None
            delay = self._max_sleep
            if next_due is not None:
                until = (next_due - self._now()).total_seconds()
                delay = max(0.0, min(delay, until))
            self._wakeup.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    # -- one pass -----------------------------------------------------------------------------

    def tick(self) -> datetime | None:
        """Fire every slot due now; return when the next slot comes due (None: none known).

        Synchronous so that tests can drive it with a fake clock.
        """
        ids = self._recurring.enabled_ids()
        soonest: datetime | None = None
        for recurring_id in ids:
            try:
                due = self._advance(recurring_id)
            except Exception:  # one broken recurring run must not stop the others
                log.exception("recurring run %s: scheduling failed; retrying later", recurring_id)
                due = self._now() + timedelta(seconds=self._max_sleep)
            if due is not None and (soonest is None or due < soonest):
                soonest = due
        return soonest

    def _advance(self, recurring_id: str) -> datetime | None:
        """Fire the due slots of one recurring run; return its next future slot.

        Keeps the row's ``next_run_at`` as it goes: the next slot (in the past while
        ``max_concurrency`` holds it back), None once nothing more fires.
        """
        previous: datetime | None = None
        while True:
            row = self._recurring.snapshot(recurring_id)
            if row is None or row.status != "ENABLED":
                return None
            if row.max_run_count is not None and row.runs_started >= row.max_run_count:
                self._note_next(row, None)
                return None
            try:
                trigger = parse_trigger(row.trigger, created_at=to_utc(row.created_at))
            except UserInputError as exc:
                seen = (row.id, repr(row.trigger))
                if seen not in self._bad_triggers:
                    self._bad_triggers.add(seen)
                    log.warning("recurring run %s has a bad trigger: %s", row.id, exc)
                self._note_next(row, None)
                return None
            now = to_utc(self._now())
            slot = next_slot(row, trigger)
            self._note_next(row, slot)
            if slot is None or slot > now:
                return slot
            if row.no_catchup:
                limit = now if trigger.end_time is None else min(now, trigger.end_time)
                latest = trigger.schedule.latest_at_or_before(limit)
                if latest is not None and latest > slot:
                    slot = latest
            if self._active_runs(row.id) >= max(1, row.max_concurrency):
                # Kubeflow waits for a free place rather than skipping the slot; check
                # again on the next pass.
                return now + timedelta(seconds=self._max_sleep)
            if previous is not None and slot <= previous:
                # The slot was not recorded (someone else advanced it); never loop on it.
                return now + timedelta(seconds=self._max_sleep)
            try:
                self._fire(row, slot)
            except ConcurrencyLimitError:
                # Another server's run took the last place since the count above: wait.
                return now + timedelta(seconds=self._max_sleep)
            previous = slot

    def _note_next(self, row: RecurringRunRow, at: datetime | None) -> None:
        """Record ``next_run_at`` when it changed (most passes write nothing)."""
        stored = None if row.next_run_at is None else to_utc(row.next_run_at)
        if stored != at:
            self._recurring.record_next_run(row.id, at)

    def _active_runs(self, recurring_id: str) -> int:
        return self._runs.active_of_recurring(recurring_id)

    def _fire(self, row: RecurringRunRow, slot: datetime) -> None:
        """Submit the run of ``slot`` unless one exists, then record the slot as handled."""
        existing = self._runs.of_slot(row.id, slot)
        started = 0
        if existing is None:
            try:
                self._submit(row, slot)
                started = 1
            except StoreConflictError:
                if self._runs.of_slot(row.id, slot) is None:
                    raise  # not the slot's unique index: retried on the next pass
                # Another server fired this slot at the same moment: it is handled.
                log.info("recurring run %s: slot %s fired by another server", row.id, slot)
                started = 1
            except UserInputError as exc:
                log.warning("recurring run %s could not start its %s run: %s", row.id, slot, exc)
        else:
            # Submitted before a crash that kept the slot from being recorded.
            started = 1
        self._recurring.record_slot(row.id, slot, started)
