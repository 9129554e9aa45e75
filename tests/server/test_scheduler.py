"""The scheduler's rules, driven by a controllable clock on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from tests.store_rows import new_run

from sluice.config import Settings
from sluice.errors import InvalidArgumentError
from sluice.server.scheduler import Scheduler
from sluice.states import RunState
from sluice.store.models import RecurringRunRow, RunRow
from sluice.store.repository import Store, as_utc, new_id

UTC = timezone.utc
T0 = datetime(2030, 1, 1, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """A submit callable that records a real PENDING run, as submit_run does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[tuple[str, datetime]] = []

    def __call__(self, recurring: RecurringRunRow, slot: datetime) -> RunRow:
        self.calls.append((recurring.id, slot))
        return new_run(
            self.store,
            name=f"{recurring.display_name}-{new_id()[:8]}",
            display_name=recurring.display_name,
            recurring_run_id=recurring.id,
            scheduled_at=slot,
        )

    def slots(self) -> list[datetime]:
        return [slot for _, slot in self.calls]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    else:
        yield Store(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(home=tmp_path, db_url=f"sqlite:///{tmp_path / 'unused.db'}")


def add_recurring(store: Store, **fields: Any) -> str:
    values: dict[str, Any] = {
        "id": new_id(),
        "display_name": "nightly",
        "trigger": {"periodic_schedule": {"interval_second": 3600}},
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(fields)
    with store.session() as session:
        session.add(RecurringRunRow(**values))
    return str(values["id"])


def recurring(store: Store, rid: str) -> RecurringRunRow:
    with store.session() as session:
        row = session.get(RecurringRunRow, rid)
        assert row is not None
        return row


def finish_all(store: Store) -> None:
    for run in store.runs_in_states([RunState.PENDING, RunState.RUNNING]):
        if run.state == RunState.PENDING:
            store.transition_run(run.id, RunState.RUNNING)
        store.transition_run(run.id, RunState.SUCCEEDED)


def make(store: Store, settings: Settings, clock: Clock) -> tuple[Scheduler, Recorder]:
    recorder = Recorder(store)
    return Scheduler(store, settings, submit=recorder, now=clock), recorder


def test_interval_slots_fire_once_each(store: Store, settings: Settings) -> None:
    clock = Clock(T0 + timedelta(minutes=30))
    rid = add_recurring(store, max_concurrency=10)
    scheduler, rec = make(store, settings, clock)
    assert scheduler.tick() == T0 + timedelta(hours=1)
    assert rec.calls == []
    clock.now = T0 + timedelta(hours=1)
    scheduler.tick()
    scheduler.tick()
    assert rec.calls == [(rid, T0 + timedelta(hours=1))]
    row = recurring(store, rid)
    assert as_utc(row.last_slot_at) == T0 + timedelta(hours=1)
    assert row.runs_started == 1
    (run,) = store.list_runs()
    assert run.recurring_run_id == rid
    assert as_utc(run.scheduled_at) == T0 + timedelta(hours=1)


def test_catch_up_fires_every_missed_slot_in_order(store: Store, settings: Settings) -> None:
    rid = add_recurring(store, max_concurrency=10)
    clock = Clock(T0 + timedelta(hours=5, minutes=10))  # "the server was down" for 5 slots
    scheduler, rec = make(store, settings, clock)
    assert scheduler.tick() == T0 + timedelta(hours=6)
    assert rec.slots() == [T0 + timedelta(hours=h) for h in range(1, 6)]
    assert recurring(store, rid).runs_started == 5


def test_no_catchup_fires_only_the_latest_missed_slot(store: Store, settings: Settings) -> None:
    rid = add_recurring(
        store,
        no_catchup=True,
        trigger={"cron_schedule": {"cron": "0 0 * * * *"}},  # hourly, Kubeflow dialect
    )
    clock = Clock(T0 + timedelta(hours=5, minutes=10))
    scheduler, rec = make(store, settings, clock)
    scheduler.tick()
    assert rec.slots() == [T0 + timedelta(hours=5)]
    assert as_utc(recurring(store, rid).last_slot_at) == T0 + timedelta(hours=5)


def test_max_concurrency_waits_instead_of_skipping(store: Store, settings: Settings) -> None:
    add_recurring(store, max_concurrency=2)
    clock = Clock(T0 + timedelta(hours=4, minutes=1))
    scheduler, rec = make(store, settings, clock)
    scheduler.tick()
    assert rec.slots() == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    scheduler.tick()
    assert len(rec.calls) == 2  # still at the limit
    finish_all(store)
    scheduler.tick()
    # The waiting slots fire, not skipped, oldest first.
    assert rec.slots()[2:] == [T0 + timedelta(hours=3), T0 + timedelta(hours=4)]


def test_max_run_count_stops_firing(store: Store, settings: Settings) -> None:
    rid = add_recurring(store, max_concurrency=10, max_run_count=3)
    clock = Clock(T0 + timedelta(hours=10, minutes=1))
    scheduler, rec = make(store, settings, clock)
    assert scheduler.tick() is None
    assert len(rec.calls) == 3
    row = recurring(store, rid)
    assert row.runs_started == 3
    assert row.status == "ENABLED"


def test_restart_never_fires_a_slot_twice(store: Store, settings: Settings) -> None:
    add_recurring(store, max_concurrency=10)
    clock = Clock(T0 + timedelta(hours=2, minutes=1))
    first, rec1 = make(store, settings, clock)
    first.tick()
    assert len(rec1.calls) == 2
    second, rec2 = make(store, settings, clock)  # a new server on the same store
    second.tick()
    assert rec2.calls == []
    clock.now = T0 + timedelta(hours=3)
    second.tick()
    assert rec2.slots() == [T0 + timedelta(hours=3)]


def test_run_submitted_before_a_crash_is_not_repeated(store: Store, settings: Settings) -> None:
    rid = add_recurring(store, max_concurrency=10)
    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    scheduler, rec = make(store, settings, clock)
    # The run of the 1:00 slot exists but the slot was never recorded (crash in between).
    rec(recurring(store, rid), T0 + timedelta(hours=1))
    rec.calls.clear()
    scheduler.tick()
    assert rec.calls == []
    row = recurring(store, rid)
    assert as_utc(row.last_slot_at) == T0 + timedelta(hours=1)
    assert row.runs_started == 1


def test_disabled_runs_do_not_fire_and_catch_up_when_enabled(
    store: Store, settings: Settings
) -> None:
    rid = add_recurring(store, max_concurrency=10, status="DISABLED")
    clock = Clock(T0 + timedelta(hours=3, minutes=1))
    scheduler, rec = make(store, settings, clock)
    scheduler.tick()
    assert rec.calls == []
    with store.session() as session:
        row = session.get(RecurringRunRow, rid)
        assert row is not None
        row.status = "ENABLED"
    scheduler.tick()
    assert rec.slots() == [T0 + timedelta(hours=h) for h in (1, 2, 3)]


def test_start_and_end_window(store: Store, settings: Settings) -> None:
    trigger = {
        "cron_schedule": {
            "cron": "0 0 * * * *",
            "start_time": "2030-01-01T02:00:00Z",
            "end_time": "2030-01-01T04:00:00Z",
        }
    }
    add_recurring(store, trigger=trigger, max_concurrency=10)
    clock = Clock(T0 + timedelta(hours=9))
    scheduler, rec = make(store, settings, clock)
    assert scheduler.tick() is None
    # A slot exactly on start_time counts; nothing after end_time fires.
    assert rec.slots() == [T0 + timedelta(hours=h) for h in (2, 3, 4)]


def test_bad_input_from_submit_consumes_the_slot(store: Store, settings: Settings) -> None:
    rid = add_recurring(store)
    calls: list[datetime] = []

    def failing(_row: RecurringRunRow, slot: datetime) -> object:
        calls.append(slot)
        raise InvalidArgumentError("pipeline version is gone")

    clock = Clock(T0 + timedelta(hours=1, minutes=1))
    scheduler = Scheduler(store, settings, submit=failing, now=clock)
    scheduler.tick()
    scheduler.tick()
    assert calls == [T0 + timedelta(hours=1)]
    row = recurring(store, rid)
    assert as_utc(row.last_slot_at) == T0 + timedelta(hours=1)
    assert row.runs_started == 0


class CountingClock(Clock):
    """A clock that counts how often the scheduler read it."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now


async def until(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Polls ``predicate`` (bounded) on the event loop: waits for an event, never times it."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.01)


def test_loop_fires_after_wake(store: Store, settings: Settings) -> None:
    clock = CountingClock(T0 + timedelta(hours=1, minutes=1))
    recorder = Recorder(store)
    # Without a wake-up the loop would sleep for an hour: only wake() can fire the slot.
    scheduler = Scheduler(store, settings, submit=recorder, now=clock, max_sleep=3600)
    # Not due for an hour; the loop reads the clock for it on every pass.
    add_recurring(store, created_at=clock.now, updated_at=clock.now)

    async def scenario() -> None:
        await scheduler.start()
        try:
            # The first pass is over once it read the clock: the loop now waits.
            await until(lambda: clock.reads > 0, "the first pass")
            assert recorder.calls == []
            add_recurring(store)
            scheduler.wake()
            await until(lambda: bool(recorder.calls), "the slot to fire")
        finally:
            await scheduler.stop()

    asyncio.run(scenario())
    assert recorder.slots() == [T0 + timedelta(hours=1)]


def test_next_run_at_is_kept_as_slots_fire(store: Store, settings: Settings) -> None:
    """The column Vertex's schedule filter reads: next slot, past while held, None at the end."""
    from sluice.server.scheduler import derived_columns, missed_until

    rid = add_recurring(store, max_concurrency=1, max_run_count=2)
    clock = Clock(T0 + timedelta(minutes=30))
    scheduler, rec = make(store, settings, clock)
    scheduler.tick()
    assert as_utc(recurring(store, rid).next_run_at) == T0 + timedelta(hours=1)
    clock.now = T0 + timedelta(hours=2, minutes=5)  # two slots due, one run at a time
    scheduler.tick()
    assert len(rec.calls) == 1
    # The 2:00 slot waits for the 1:00 run: behind schedule, next_run_at is in the past.
    assert as_utc(recurring(store, rid).next_run_at) == T0 + timedelta(hours=2)
    finish_all(store)
    scheduler.tick()
    assert len(rec.calls) == 2
    assert recurring(store, rid).next_run_at is None  # max_run_count reached

    paused = recurring(store, add_recurring(store, status="DISABLED"))
    assert derived_columns(paused)["next_run_at"] is None
    # Skipping what a paused schedule missed: the newest slot due by now.
    assert missed_until(paused, T0 + timedelta(hours=3, minutes=5)) == T0 + timedelta(hours=3)
    assert missed_until(paused, T0 + timedelta(minutes=5)) is None


def test_two_servers_racing_for_a_slot_start_one_run(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The second insert of a slot's run is refused by the database, not only by a check."""
    rid = add_recurring(store, max_concurrency=10)
    clock = Clock(T0 + timedelta(hours=1, seconds=1))
    first, _ = make(store, settings, clock)
    recorder = Recorder(store)

    def late_submit(row: RecurringRunRow, slot: datetime) -> RunRow:
        # The other server fires the slot after this one found no run for it.
        first.tick()
        return recorder(row, slot)

    second = Scheduler(store, settings, submit=late_submit, now=clock)
    with caplog.at_level(logging.INFO, logger="sluice.server.scheduler"):
        second.tick()
    assert len(recorder.calls) == 1  # it tried, and the unique index refused it
    assert "fired by another server" in caplog.text
    assert "scheduling failed" not in caplog.text
    (run,) = store.list_runs()
    assert as_utc(run.scheduled_at) == T0 + timedelta(hours=1)
    row = recurring(store, rid)
    assert as_utc(row.last_slot_at) == T0 + timedelta(hours=1)
    assert row.runs_started == 1
    second.tick()
    assert len(store.list_runs()) == 1


def test_two_servers_firing_two_slots_keep_max_concurrency(
    store: Store, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Each server counts a free place, then each records a run of a different slot: the
    store counts again under the recurring run's lock, and refuses the one too many."""
    rid = add_recurring(store, max_concurrency=1, no_catchup=True)
    # The other server's clock is an hour on: it fires the latest slot, 02:00.
    ahead, _ = make(store, settings, Clock(T0 + timedelta(hours=2, seconds=1)))
    recorder = Recorder(store)

    def late_submit(row: RecurringRunRow, slot: datetime) -> RunRow:
        # This server counted no active run and is about to record the 01:00 slot's.
        ahead.tick()
        return recorder(row, slot)

    behind = Scheduler(
        store, settings, submit=late_submit, now=Clock(T0 + timedelta(hours=1, seconds=1))
    )
    with caplog.at_level(logging.INFO, logger="sluice.server.scheduler"):
        behind.tick()
    assert "scheduling failed" not in caplog.text
    (run,) = store.list_runs()  # the 01:00 run was refused: one active run, not two
    assert as_utc(run.scheduled_at) == T0 + timedelta(hours=2)
    assert recurring(store, rid).runs_started == 1
