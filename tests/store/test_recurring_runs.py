"""Recurring runs and the runs they start, in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from tests.store_rows import new_run

from sluice.errors import ConcurrencyLimitError
from sluice.states import RunState
from sluice.store.listing import ListQuery
from sluice.store.models import RecurringRunRow, RunRow
from sluice.store.recurring_runs import RecurringRunRepository
from sluice.store.recurring_slots import hold_place
from sluice.store.repository import Store, as_utc, new_id
from sluice.store.runs import RunRepository

T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)


def _add(repo: RecurringRunRepository, name: str, **fields: object) -> RecurringRunRow:
    row = RecurringRunRow(id=new_id(), display_name=name, **fields)
    started = repo.add(row, lambda r: r.runs_started)
    assert started == 0  # the column defaults are filled in before the answer is built
    return row


def test_add_update_delete(store: Store) -> None:
    repo = RecurringRunRepository(store)
    row = _add(repo, "nightly", experiment_id="e1")
    before = repo.get(row.id)
    assert before is not None
    out = repo.update(row.id, {"description": "d"}, lambda r: (r.description, r.updated_at))
    assert out is not None and out[0] == "d"
    assert repo.update("missing", {"description": "d"}, bool) is None
    status = repo.update(row.id, {"status": "DISABLED"}, lambda r: r.status, edited=False)
    assert status == "DISABLED"
    assert repo.enabled_ids() == []
    assert repo.delete(row.id) is True
    assert repo.delete(row.id) is False


def test_enabled_ids_oldest_first_and_pages(store: Store) -> None:
    repo = RecurringRunRepository(store)
    first = _add(repo, "a", created_at=T0, namespace="ns", experiment_id="e1")
    second = _add(repo, "b", created_at=T0.replace(year=2031), experiment_id="e2")
    _add(repo, "c", status="DISABLED")
    assert repo.enabled_ids() == [first.id, second.id]
    assert [r.id for r in repo.page(ListQuery(), experiment_id="e1").rows] == [first.id]
    assert [r.id for r in repo.page(ListQuery(), namespace="ns").rows] == [first.id]
    assert repo.page(ListQuery()).total_size == 3


def test_record_slot_only_moves_forward(store: Store) -> None:
    repo = RecurringRunRepository(store)
    row = _add(repo, "hourly", updated_at=T0)
    later = T0.replace(hour=2)
    repo.record_slot(row.id, later, 1)
    repo.record_slot(row.id, T0.replace(hour=1), 1)  # older: ignored
    stored = repo.detached(row.id)
    assert stored is not None
    assert as_utc(stored.last_slot_at) == later
    assert stored.runs_started == 1
    assert as_utc(stored.updated_at) == T0  # progress is not an edit


def test_runs_of_a_recurring_run_by_slot_and_state(store: Store) -> None:
    runs = RunRepository(store)
    row = new_run(
        store, recurring_run_id="rr", scheduled_at=T0, experiment_id="e", executed_by="server"
    )
    assert runs.run_of_slot("rr", T0) == row.id
    assert runs.run_of_slot("rr", T0.replace(hour=1)) is None
    assert runs.count_of_recurring("rr", ["PENDING", "RUNNING"]) == 1
    assert runs.count_of_recurring("rr", ["SUCCEEDED"]) == 0
    assert runs.server_runs(["PENDING"]) == [(row.id, "PENDING")]


def _slot_run(store: Store, recurring_run_id: str, slot: datetime) -> RunRow:
    return new_run(
        store, name=f"slot-{new_id()[:8]}", recurring_run_id=recurring_run_id, scheduled_at=slot
    )


def test_a_slot_run_past_max_concurrency_is_refused(store: Store) -> None:
    repo = RecurringRunRepository(store)
    row = _add(repo, "hourly", max_concurrency=2)
    _slot_run(store, row.id, T0)
    _slot_run(store, row.id, T0.replace(hour=1))
    with pytest.raises(ConcurrencyLimitError, match=r"2 active runs, its max_concurrency \(2\)"):
        _slot_run(store, row.id, T0.replace(hour=2))
    assert len(store.list_runs()) == 2  # nothing written
    first = store.list_runs()[0]
    store.transition_run(first.id, RunState.CANCELED, finished=True)
    _slot_run(store, row.id, T0.replace(hour=2))  # a place is free again


def test_concurrent_slot_runs_wait_for_each_other(postgres_url: str) -> None:
    """Two servers record runs of two slots at once: the second waits for the first's
    commit on the recurring run's row lock, then counts its run and is refused."""
    store = Store(postgres_url)
    row = _add(RecurringRunRepository(store), "hourly", max_concurrency=1)
    outcome: list[BaseException | RunRow] = []

    def second_server() -> None:
        try:
            outcome.append(_slot_run(store, row.id, T0.replace(hour=2)))
        except BaseException as exc:
            outcome.append(exc)

    with store.transaction() as first:  # the first server's insert, not yet committed
        hold_place(first.connection, row.id)
        first.create_run(
            name="first",
            display_name="first",
            pipeline_name="first-p",  # its own pipeline context: only the lock can hold B up
            pipeline_spec={},
            arguments={},
            pipeline_root="/tmp",
            options={},
            recurring_run_id=row.id,
            scheduled_at=T0.replace(hour=1),
        )
        holder = first.connection.scalar(text("SELECT pg_backend_pid()"))
        thread = threading.Thread(target=second_server)
        thread.start()
        # Autocommit: within one transaction pg_stat_activity keeps its first snapshot, so
        # the second server's connection, if new, would never show up.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            blocked = text(
                "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
            )
            deadline = time.monotonic() + 30
            while not watcher.scalar(blocked, {"pid": holder}):
                assert not outcome, f"the second insert did not wait: {outcome}"
                assert time.monotonic() < deadline, "the second insert never waited"
                time.sleep(0.01)
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], ConcurrencyLimitError), outcome
    assert [r.name for r in store.list_runs()] == ["first"]
