"""Following a store's events: every committed state change once, even when ids commit
out of order (PostgreSQL hands out an id at insert, not at commit)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from tests.states import move_run
from tests.store_rows import new_run

from sluice.events import Event, RunStateChanged
from sluice.service.events import EventService
from sluice.states import RunState
from sluice.store.repository import Store


async def _collect(service: EventService, run_id: str, count: int, **options: float) -> list[Event]:
    got: list[Event] = []
    async for event in service.follow(run_id=run_id, poll_interval=0.05, **options):
        if event is not None:
            got.append(event)
        if len(got) == count:
            break
    return got


def test_an_id_committed_after_a_higher_one_is_still_followed(postgres_url: str) -> None:
    store = Store(postgres_url)
    run_id = new_run(store, name="late").id
    # A second connection inserts a history row of this run and holds its transaction
    # open, as an engine thread mid-transition does; the id is taken now.
    engine = sa.create_engine(postgres_url)
    late = engine.connect()
    held = late.begin()
    late.execute(
        sa.text(
            "INSERT INTO state_transitions (run_id, state, message, at) "
            "VALUES (:run, 'RUNNING', 'late', now())"
        ),
        {"run": run_id},
    )
    try:

        async def scenario() -> list[Event]:
            service = EventService(store)
            follower = asyncio.create_task(_collect(service, run_id, 3))
            await asyncio.sleep(0.3)  # it has read the creation
            move_run(store, run_id, RunState.RUNNING)  # a higher id commits first
            await asyncio.sleep(0.3)  # it has read that one too, past the open id
            await asyncio.to_thread(held.commit)
            return await asyncio.wait_for(follower, timeout=10)

        events = asyncio.run(scenario())
    finally:
        late.close()
        engine.dispose()
    assert all(isinstance(e, RunStateChanged) for e in events)
    messages = [(e.state, e.message) for e in events if isinstance(e, RunStateChanged)]
    assert messages[0][0] is RunState.PENDING
    assert (RunState.RUNNING, "late") in messages
    assert len({e.seq for e in events}) == 3  # each once


def test_a_hole_that_never_fills_holds_nothing_back(postgres_url: str) -> None:
    store = Store(postgres_url)
    run_id = new_run(store, name="hole").id
    engine = sa.create_engine(postgres_url)
    # An insert rolled back leaves its id unused for good.
    with engine.connect() as conn, conn.begin() as tx:
        conn.execute(
            sa.text(
                "INSERT INTO state_transitions (run_id, state, at) VALUES (:run, 'RUNNING', now())"
            ),
            {"run": run_id},
        )
        tx.rollback()
    engine.dispose()
    move_run(store, run_id, RunState.SUCCEEDED)  # PENDING -> RUNNING -> SUCCEEDED
    events = asyncio.run(_collect(EventService(store), run_id, 3))
    states = [e.state for e in events if isinstance(e, RunStateChanged)]
    assert states == [RunState.PENDING, RunState.RUNNING, RunState.SUCCEEDED]
