"""Following the events of one run or of all runs: history first, then live, in seq order.

The store stays the truth. A follower subscribes to the in-process bus *before* it reads
the history, then reads the store again whenever the bus says something happened or a
poll interval passes without news (runs another process executes, on the same store,
publish on that process's bus, never on this one). Every state event it yields is read
from (or checked against) the history rows with an id above the last one it yielded, so
events come in ``seq`` order, none twice and none lost in the gap between the history
read and the subscription. :class:`~sluice.events.TaskNotice` lines are not stored: they
come from the bus as they are published, in this process only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Any

from sluice.errors import RunNotFoundError
from sluice.events import (
    Event,
    RunStateChanged,
    TaskLogAvailable,
    TaskNotice,
    TaskStateChanged,
)
from sluice.store.history import HistoryRepository
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

# How long a follower waits for a history id that was skipped when a higher one was read
# (a transaction still open on PostgreSQL), and how far below the newest id it looks.
GAP_GRACE = 5.0
GAP_WINDOW = 2000

EVENT_TYPES: dict[type[Any], str] = {
    RunStateChanged: "run_state",
    TaskStateChanged: "task_state",
    TaskLogAvailable: "task_log",
    TaskNotice: "task_notice",
}


def event_type(event: Event) -> str:
    """The wire name of ``event``'s kind: run_state, task_state, task_log, task_notice."""
    return EVENT_TYPES[type(event)]


def event_json(event: Event) -> str:
    """``event`` as one line of JSON (enums by value, times in ISO 8601)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    fields = {key: plain(value) for key, value in asdict(event).items()}
    return json.dumps({"type": event_type(event), **fields}, separators=(",", ":"))


class EventService:
    """The events of a store's runs, for a reader that follows them (the SSE endpoint)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.history = HistoryRepository(store)

    def check_run(self, run_id: str) -> None:
        """Raise :class:`RunNotFoundError` if there is no run ``run_id``."""
        if RunRepository(self.store).get(run_id) is None:
            raise RunNotFoundError(f"no run '{run_id}'; list runs with GET /apis/v2beta1/runs")

    def _read(
        self, last: int, pending: set[int], run_id: str | None
    ) -> tuple[list[Event], int, set[int], set[int]]:
        """One read of the history: the events to yield (new ones after ``last`` and late
        ones among ``pending``, in ``seq`` order), the highest id read, the ids now seen
        missing below it, and the ``pending`` ids that have arrived (of any run)."""
        new = self.history.events_after(last, run_id=run_id)
        top = max((event.seq for event in new), default=last)
        missing: set[int] = set()
        if top > last:
            low = max(last, top - GAP_WINDOW)
            missing = set(range(low + 1, top + 1)) - self.history.seqs_between(low, top)
        arrived: set[int] = set()
        late: list[Event] = []
        if pending:
            arrived = pending & self.history.seqs_between(min(pending) - 1, max(pending))
            late = self.history.events_of(arrived, run_id=run_id)
        return sorted(late + new, key=lambda event: event.seq), top, missing, arrived

    async def follow(
        self,
        *,
        run_id: str | None = None,
        after: int = 0,
        poll_interval: float = 0.5,
        idle_interval: float = 15.0,
    ) -> AsyncIterator[Event | None]:
        """Yield the events after ``seq`` ``after`` (of ``run_id``, or of every run), then
        each new one as it happens, until the consumer stops iterating.

        ``None`` is yielded after ``idle_interval`` seconds without an event (the caller's
        cue for a heartbeat). The store is read again at least every ``poll_interval``.
        """
        last = after
        # Ids above ``last``'s predecessors that had no row when a higher one was read: on
        # PostgreSQL a transaction that began earlier can still commit them. Each is looked
        # for until it arrives or GAP_GRACE seconds pass (a rolled-back insert leaves a
        # hole for good).
        pending: dict[int, float] = {}
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        # Subscribe first: whatever commits after this is on the bus or in the next read.
        async with self.store.events.stream(run_id=run_id) as stream:
            notices: list[TaskNotice] = []
            while True:
                found, top, missing, arrived = await asyncio.to_thread(
                    self._read, last, set(pending), run_id
                )
                now = loop.time()
                for seq in arrived:
                    pending.pop(seq, None)
                for seq in missing:
                    pending.setdefault(seq, now)
                for seq, since in list(pending.items()):
                    if now - since > GAP_GRACE:
                        del pending[seq]
                for event in found:
                    yield event
                last = max(last, top)
                # A notice comes after the state change it belongs to, which is read now.
                for notice in notices:
                    yield notice
                if found or notices:
                    idle_since = loop.time()
                    notices = []
                    if found:
                        continue  # there may be another page
                wait = min(poll_interval, max(0.0, idle_since + idle_interval - loop.time()))
                try:
                    live: Event | None = await asyncio.wait_for(stream.get(), timeout=wait)
                except asyncio.TimeoutError:
                    live = None
                # Drain what else is queued: the next read covers every state event.
                while live is not None:
                    if isinstance(live, TaskNotice):
                        notices.append(live)
                    live = stream.get_nowait()
                if not notices and loop.time() - idle_since >= idle_interval:
                    yield None
                    idle_since = loop.time()
