"""A recurring run's ``max_concurrency``, held across servers while a slot's run is recorded.

Every server runs a scheduler, and each counts a recurring run's active runs before firing
a slot. Counted apart from the insert, two servers firing two slots of one recurring run
at the same moment would both see a free place and start one run too many. So the count
runs in the transaction that inserts the slot's run (``Store.create_run``), after taking a
lock that every such transaction takes first: on PostgreSQL the recurring run's row,
``SELECT … FOR UPDATE``; on SQLite the database's one write lock (SQLite locks no rows,
and a read inside a transaction takes no lock, so a no-op write takes it). A second
firing waits for the first to commit, then counts its run too.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table, func, select, update

from sluice.errors import ConcurrencyLimitError
from sluice.states import ACTIVE_RUN_STATES
from sluice.store.models import RecurringRunRow, RunRow

_RECURRING = cast(Table, RecurringRunRow.__table__)
_RUNS = cast(Table, RunRow.__table__)
_ACTIVE = sorted(ACTIVE_RUN_STATES)


def hold_place(connection: Connection, recurring_run_id: str) -> None:
    """Lock the recurring run for this transaction and check it has room for one more run.

    Call it in the transaction that then inserts the run; the lock lasts until it ends.
    A recurring run that is gone has no limit left to keep (its run is recorded as before).

    Raises:
        ConcurrencyLimitError: ``max_concurrency`` of its runs are PENDING, RUNNING or
            CANCELING; nothing is written.
    """
    recurring = _RECURRING.c
    if connection.dialect.name == "sqlite":
        connection.execute(
            update(_RECURRING)
            .where(recurring.id == recurring_run_id)
            # Changes nothing (updated_at too: its onupdate would stamp it otherwise).
            .values(max_concurrency=recurring.max_concurrency, updated_at=recurring.updated_at)
        )
        limit = connection.scalar(
            select(recurring.max_concurrency).where(recurring.id == recurring_run_id)
        )
    else:
        limit = connection.scalar(
            select(recurring.max_concurrency)
            .where(recurring.id == recurring_run_id)
            .with_for_update()
        )
    if limit is None:
        return
    active = connection.scalar(
        select(func.count())
        .select_from(_RUNS)
        .where(_RUNS.c.recurring_run_id == recurring_run_id, _RUNS.c.state.in_(_ACTIVE))
    )
    if int(active or 0) >= max(1, int(limit)):
        raise ConcurrencyLimitError(
            f"recurring run '{recurring_run_id}' has {active} active runs, its "
            f"max_concurrency ({limit}); the slot waits until one ends"
        )
