"""The in-process event bus: run and task state changes, task logs and notices.

The store's transition gate publishes a :class:`RunStateChanged` or
:class:`TaskStateChanged` after each state change commits, with the id of the change's
``state_transitions`` row as its :attr:`~RunStateChanged.seq`: the store stays the truth,
and a reader that missed events (an SSE client reconnecting with ``Last-Event-ID``)
re-reads the history rows after the last ``seq`` it saw. Within one run, ``seq`` only
grows; across runs it is the database's order of inserts.

Two kinds of event ride along with a state change and carry its ``seq`` (they are
published just after it, and re-derived from the history row's task, not stored
apart): :class:`TaskLogAvailable` (an attempt started; its output goes to ``log_path``)
and :class:`TaskNotice` (a one-off line for the user about the attempt).

One bus serves every :class:`~sluice.store.repository.Store` of one database URL in the
process (:func:`bus_for`), so the server and an engine thread share it. Subscribers get
events with :meth:`EventBus.subscribe` (a callback, run in the publishing thread) or
:meth:`EventBus.stream` (an async iterator for an asyncio loop in any thread).
Publishing never fails the publisher: a callback's exception is logged and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Union

from sluice.states import RunState, TaskState

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RunStateChanged:
    """A run moved to ``state`` (the first event of a run is its creation, PENDING)."""

    seq: int
    run_id: str
    state: RunState
    message: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class TaskStateChanged:
    """A task moved to ``state``; ``attempt`` is how many attempts it has had so far.

    ``message`` is the history row's message: the error of a FAILED, SKIPPED or
    CANCELED task, ``attempt N`` for a new attempt, a cache hit's source.
    """

    seq: int
    run_id: str
    task_id: str
    path: str
    display_name: str
    kind: str
    state: TaskState
    attempt: int = 0
    message: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class TaskLogAvailable:
    """An attempt of a task started; its output is appended to ``log_path`` as it runs."""

    seq: int
    run_id: str
    task_id: str
    path: str
    attempt: int
    log_path: str


@dataclass(frozen=True, kw_only=True)
class TaskNotice:
    """A line for the user about a task (``image python:3.11 is not used; ...``).

    Not a state change: views show it once, apart from the task's state.
    """

    seq: int
    run_id: str
    task_id: str
    path: str
    display_name: str
    kind: str
    message: str


Event = Union[RunStateChanged, TaskStateChanged, TaskLogAvailable, TaskNotice]  # noqa: UP007
EventCallback = Callable[[Event], None]


class Subscription:
    """One subscriber's registration; :meth:`close` (or leaving ``with``) ends it."""

    def __init__(self, bus: EventBus, deliver: EventCallback, run_id: str | None) -> None:
        self._bus = bus
        self.deliver = deliver
        self.run_id = run_id

    def wants(self, event: Event) -> bool:
        """Whether this subscriber asked for ``event`` (its run, or every run)."""
        return self.run_id is None or self.run_id == event.run_id

    def close(self) -> None:
        """Stop receiving events (idempotent)."""
        self._bus._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventStream:
    """Events for an asyncio consumer: ``async for event in bus.stream(run_id=...)``.

    Created inside the consumer's running loop; events published from any thread are
    handed to that loop. The queue is unbounded (a run's events are few, and the store
    keeps them anyway): a consumer that stops reading should :meth:`close` the stream.
    """

    def __init__(self, bus: EventBus, run_id: str | None) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscription = bus.subscribe(self._put, run_id=run_id)

    def _put(self, event: Event) -> None:
        if self._loop.is_closed():
            self._subscription.close()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._queue.put_nowait(event)
        else:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    async def get(self) -> Event:
        """The next event (waits for one)."""
        return await self._queue.get()

    def get_nowait(self) -> Event | None:
        """The next event if one is queued, else None (does not wait)."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def close(self) -> None:
        """Stop receiving events."""
        self._subscription.close()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Fans events out to subscribers; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Replaced, never mutated, so publish iterates a snapshot without holding the lock.
        self._subscriptions: tuple[Subscription, ...] = ()

    def subscribe(self, callback: EventCallback, *, run_id: str | None = None) -> Subscription:
        """Call ``callback`` with each event (of ``run_id`` only, if given).

        The callback runs in the publishing thread (the engine's) right after the change
        committed: it must be quick and must not write to the store.
        """
        subscription = Subscription(self, callback, run_id)
        with self._lock:
            self._subscriptions = (*self._subscriptions, subscription)
        return subscription

    def stream(self, *, run_id: str | None = None) -> EventStream:
        """An async iterator of events for the running loop (of ``run_id`` only, if given)."""
        return EventStream(self, run_id)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every subscriber that wants it; never raises."""
        for subscription in self._subscriptions:
            if not subscription.wants(event):
                continue
            try:
                subscription.deliver(event)
            except Exception:
                # A broken view must not fail the run that is publishing.
                logger.exception("event subscriber failed on %s", type(event).__name__)

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone listens (publishers may skip building events otherwise)."""
        return bool(self._subscriptions)

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions = tuple(s for s in self._subscriptions if s is not subscription)


_buses: dict[str, EventBus] = {}
_buses_lock = threading.Lock()


def bus_for(url: str) -> EventBus:
    """The process's bus for the store at database ``url`` (created on first use)."""
    with _buses_lock:
        bus = _buses.get(url)
        if bus is None:
            bus = _buses[url] = EventBus()
        return bus
