"""Run leases (claim, renew, takeover, release) and one run per recurring slot, on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from tests.states import move_run
from tests.store_rows import new_run

from sluice.errors import StoreConflictError
from sluice.states import RunState
from sluice.store.leases import RunLeases
from sluice.store.repository import Store, new_id

ALL = ["PENDING", "RUNNING", "CANCELING"]


def _run(store: Store, **fields: object) -> str:
    """A server's run (``executed_by="server"``), under a name of its own."""
    return new_run(store, name=new_id(), executed_by="server", **fields).id


def test_a_run_is_claimed_once_and_active_runs_come_first(store: Store) -> None:
    leases = RunLeases(store)
    first, second = _run(store), _run(store)
    active = _run(store)
    move_run(store, active, RunState.RUNNING)
    local = new_run(store, name=new_id(), display_name="local").id

    won = leases.claim("a", ALL, seconds=30, limit=2)
    assert won == [(active, "RUNNING"), (first, "PENDING")]
    # Held by a: b gets only what is left; a local run is never a server's.
    assert leases.claim("b", ALL, seconds=30, limit=10) == [(second, "PENDING")]
    assert leases.claim("c", ALL, seconds=30, limit=10) == []
    assert local not in {run_id for run_id, _ in leases.claim("a", ALL, seconds=30, limit=10)}
    holder = leases.holder(first)
    assert holder is not None and holder.owner == "a"


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew(store: Store) -> None:
    leases = RunLeases(store)
    run_id = _run(store)
    assert leases.claim("dead", ALL, seconds=0.2, limit=1) == [(run_id, "PENDING")]
    assert leases.claim("alive", ALL, seconds=30, limit=1) == []
    time.sleep(0.3)  # the lease's own duration, not a wait for a process
    assert leases.holder(run_id) is None
    assert leases.claim("alive", ALL, seconds=30, limit=1) == [(run_id, "PENDING")]
    assert leases.renew("dead", [run_id], seconds=30) == set()
    assert leases.renew("alive", [run_id], seconds=30) == {run_id}


def test_released_runs_are_claimable_at_once_and_steal_ignores_leases(store: Store) -> None:
    leases = RunLeases(store)
    run_id = _run(store)
    leases.claim("a", ALL, seconds=30, limit=1)
    leases.release("b", [run_id])  # not b's to release
    assert leases.claim("b", ALL, seconds=30, limit=1) == []
    leases.release("a", [run_id])
    assert leases.holder(run_id) is None
    assert leases.claim("b", ALL, seconds=30, limit=1) == [(run_id, "PENDING")]
    # The owner's own runs in progress are excluded; steal takes them from anyone.
    assert leases.claim("b", ALL, seconds=30, limit=1, exclude=[run_id]) == []
    assert leases.claim("c", ALL, seconds=30, limit=1, steal=True) == [(run_id, "PENDING")]


def test_a_lease_does_not_touch_the_runs_update_time(store: Store) -> None:
    leases = RunLeases(store)
    run_id = _run(store)
    before = store.get_run(run_id)
    leases.claim("a", ALL, seconds=30, limit=1)
    leases.renew("a", [run_id], seconds=30)
    after = store.get_run(run_id)
    assert before is not None and after is not None
    assert after.updated_at == before.updated_at


def test_concurrent_claimers_never_win_the_same_run(store: Store) -> None:
    leases = RunLeases(store)
    runs = {_run(store) for _ in range(12)}
    won: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def claimer(owner: str) -> None:
        barrier.wait()
        mine = won.setdefault(owner, [])
        for _ in range(6):
            got = RunLeases(store).claim(owner, ALL, seconds=30, limit=2, exclude=mine)
            mine += [run_id for run_id, _ in got]

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    claimed = [run_id for ids in won.values() for run_id in ids]
    assert sorted(claimed) == sorted(runs)  # each run once, none left
    assert len(claimed) == len(set(claimed))
    assert leases.claim("late", ALL, seconds=30, limit=20) == []


def test_the_database_allows_one_run_per_recurring_slot(store: Store) -> None:
    slot = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    _run(store, recurring_run_id="rr", scheduled_at=slot)
    _run(store, recurring_run_id="rr", scheduled_at=slot.replace(hour=13))
    _run(store, recurring_run_id="other", scheduled_at=slot)
    _run(store)  # runs of no recurring run are not concerned
    _run(store)
    with pytest.raises(StoreConflictError):
        _run(store, recurring_run_id="rr", scheduled_at=slot)
