"""Recurring runs (KFP's schedules): their rows and the scheduler's progress on them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, update

from sluice.store.listing import ListQuery, Page, list_page
from sluice.store.models import RecurringRunRow, utcnow
from sluice.store.repository import Store

T = TypeVar("T")

COLUMNS = {
    "recurring_run_id": RecurringRunRow.id,
    "display_name": RecurringRunRow.display_name,
    "created_at": RecurringRunRow.created_at,
    "updated_at": RecurringRunRow.updated_at,
    "description": RecurringRunRow.description,
    # the v1 API's names
    "id": RecurringRunRow.id,
    "name": RecurringRunRow.display_name,
}
LIST_KEYS = frozenset(COLUMNS)


class RecurringRunRepository:
    """Reads and writes of the ``recurring_runs`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, row: RecurringRunRow, answer: Callable[[RecurringRunRow], T]) -> T:
        """Insert ``row`` and return ``answer(row)``, computed before the commit.

        The column defaults (``runs_started``, ...) are filled in when ``answer`` sees the
        row; should ``answer`` raise, nothing is written.
        """
        with self.store.session() as session:
            session.add(row)
            session.flush()
            return answer(row)

    def get(self, recurring_run_id: str) -> RecurringRunRow | None:
        """The recurring run with this id, or None."""
        with self.store.session() as session:
            return session.get(RecurringRunRow, recurring_run_id)

    def page(
        self,
        query: ListQuery,
        *,
        namespace: str | None = None,
        experiment_id: str | None = None,
    ) -> Page[RecurringRunRow]:
        """One page of recurring runs (of one experiment and namespace, if given)."""
        where = []
        if experiment_id:
            where.append(RecurringRunRow.experiment_id == experiment_id)
        if namespace:
            where.append(RecurringRunRow.namespace == namespace)
        return list_page(
            self.store, RecurringRunRow, COLUMNS, query, tiebreak=RecurringRunRow.id, where=where
        )

    def update(
        self,
        recurring_run_id: str,
        changes: Mapping[str, Any],
        answer: Callable[[RecurringRunRow], T],
        *,
        edited: bool = True,
        derive: Callable[[RecurringRunRow], Mapping[str, Any]] | None = None,
    ) -> T | None:
        """Apply ``changes`` (column: value) and return ``answer(row)``; None if it is gone.

        ``edited`` also sets ``updated_at`` (a status change from enable/disable does not).
        ``derive(row)``, called once the changes are applied, gives more columns to set
        (those kept from the trigger and the progress: ``next_run_at``, ...).
        """
        with self.store.session() as session:
            row = session.get(RecurringRunRow, recurring_run_id)
            if row is None:
                return None
            for key, value in changes.items():
                setattr(row, key, value)
            for key, value in (derive(row) if derive is not None else {}).items():
                setattr(row, key, value)
            if edited:
                row.updated_at = utcnow()
            session.flush()
            return answer(row)

    def delete(self, recurring_run_id: str) -> bool:
        """Delete a recurring run (its runs are kept); False if there was none."""
        with self.store.session() as session:
            row = session.get(RecurringRunRow, recurring_run_id)
            if row is None:
                return False
            session.delete(row)
        return True

    # -- the scheduler ------------------------------------------------------------------------

    def enabled_ids(self) -> list[str]:
        """Ids of the ENABLED recurring runs, oldest first."""
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(RecurringRunRow.id)
                    .where(RecurringRunRow.status == "ENABLED")
                    .order_by(RecurringRunRow.created_at)
                )
            )

    def detached(self, recurring_run_id: str) -> RecurringRunRow | None:
        """A copy of the row, detached from any session (the scheduler reads it at leisure)."""
        with self.store.session() as session:
            row = session.get(RecurringRunRow, recurring_run_id)
            if row is not None:
                session.expunge(row)
            return row

    def record_next_run(self, recurring_run_id: str, at: datetime | None) -> None:
        """Keep ``next_run_at`` of an ENABLED recurring run (a paused one has none)."""
        with self.store.session() as session:
            session.execute(
                update(RecurringRunRow)
                .where(RecurringRunRow.id == recurring_run_id, RecurringRunRow.status == "ENABLED")
                .values(next_run_at=at, updated_at=RecurringRunRow.updated_at)
            )

    def record_slot(self, recurring_run_id: str, slot: datetime, started: int) -> None:
        """Record ``slot`` as handled and ``started`` more runs, unless a newer one is."""
        with self.store.session() as session:
            session.execute(
                update(RecurringRunRow)
                .where(
                    RecurringRunRow.id == recurring_run_id,
                    or_(
                        RecurringRunRow.last_slot_at.is_(None),
                        RecurringRunRow.last_slot_at < slot,
                    ),
                )
                .values(
                    last_slot_at=slot,
                    runs_started=RecurringRunRow.runs_started + started,
                    # Progress is not an edit of the recurring run: keep updated_at.
                    updated_at=RecurringRunRow.updated_at,
                )
            )
