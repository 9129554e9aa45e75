"""Recurring runs: create, get, list, enable, disable, edit in place, delete.

The interface checks the request's shape (a trigger, a concurrency limit) and builds the
row; this service stores it and tells the scheduler that the schedules changed.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sluice.errors import NotFoundError
from sluice.store.listing import ListQuery, Page
from sluice.store.models import RecurringRunRow
from sluice.store.recurring_runs import LIST_KEYS, RecurringRunRepository
from sluice.store.repository import Store, new_id

T = TypeVar("T")
# Columns computed from a recurring run (see RecurringRunService's ``derive``).
Derive = Callable[[RecurringRunRow], Mapping[str, Any]]

__all__ = ["LIST_KEYS", "RecurringRunService"]


class RecurringRunService:
    """Recurring runs of one store.

    Args:
        store: the store.
        on_schedules_changed: called after any change (the server wakes its scheduler).
        derive: the columns kept from a row's trigger and progress (``start_at``,
            ``end_at``, ``next_run_at``), set on every write; the interface owns the cron
            rules, so it passes them in (the server's ``scheduler.derived_columns``).
    """

    def __init__(
        self,
        store: Store,
        *,
        on_schedules_changed: Callable[[], None] | None = None,
        derive: Derive | None = None,
    ) -> None:
        self.repo = RecurringRunRepository(store)
        self._on_changed = on_schedules_changed
        self.derive = derive

    def _changed(self) -> None:
        if self._on_changed is not None:
            self._on_changed()

    def notify_changed(self) -> None:
        """Tell whoever watches the schedules (the scheduler) of a change made elsewhere."""
        self._changed()

    @staticmethod
    def _missing(recurring_run_id: str) -> NotFoundError:
        return NotFoundError(f"no recurring run '{recurring_run_id}'")

    def create(self, row: RecurringRunRow, answer: Callable[[RecurringRunRow], T]) -> T:
        """Record a checked recurring run; ``answer(row)`` is computed before the commit.

        A row without an ``id`` gets a new one.
        """
        if not row.id:
            row.id = new_id()
        for key, value in (self.derive(row) if self.derive is not None else {}).items():
            setattr(row, key, value)
        out = self.repo.add(row, answer)
        self._changed()
        return out

    def get(self, recurring_run_id: str) -> RecurringRunRow:
        """The recurring run with this id.

        Raises:
            NotFoundError: there is none.
        """
        row = self.repo.get(recurring_run_id)
        if row is None:
            raise self._missing(recurring_run_id)
        return row

    def list(
        self,
        query: ListQuery,
        *,
        namespace: str | None = None,
        experiment_id: str | None = None,
    ) -> Page[RecurringRunRow]:
        """One page of recurring runs (of one experiment and namespace, if given)."""
        return self.repo.page(query, namespace=namespace, experiment_id=experiment_id)

    def page_of(self, *, offset: int, limit: int) -> Page[RecurringRunRow]:
        """Recurring runs, oldest first, from ``offset`` (Vertex's schedules list)."""
        return self.repo.page(ListQuery(offset=offset, limit=limit))

    def set_enabled(self, recurring_run_id: str, enabled: bool) -> None:
        """Enable or disable; slots missed while disabled follow the catch-up rule.

        Raises:
            NotFoundError: no such recurring run.
        """
        status = "ENABLED" if enabled else "DISABLED"
        found = self.repo.update(
            recurring_run_id, {"status": status}, bool, edited=False, derive=self.derive
        )
        if found is None:
            raise self._missing(recurring_run_id)
        self._changed()

    def update(
        self,
        recurring_run_id: str,
        changes: Mapping[str, Any],
        answer: Callable[[RecurringRunRow], T],
    ) -> T:
        """Apply checked ``changes`` in place; ``answer(row)`` is computed before the commit.

        Raises:
            NotFoundError: no such recurring run.
        """
        out = self.repo.update(recurring_run_id, changes, answer, derive=self.derive)
        if out is None:
            raise self._missing(recurring_run_id)
        self._changed()
        return out

    def delete(self, recurring_run_id: str) -> None:
        """Delete the schedule; the runs it started are kept (they still name it).

        Raises:
            NotFoundError: no such recurring run.
        """
        if not self.repo.delete(recurring_run_id):
            raise self._missing(recurring_run_id)
        self._changed()

    # -- the scheduler's progress -------------------------------------------------------------

    def enabled_ids(self) -> builtins.list[str]:
        """Ids of the ENABLED recurring runs, oldest first."""
        return self.repo.enabled_ids()

    def snapshot(self, recurring_run_id: str) -> RecurringRunRow | None:
        """A detached copy of a recurring run (None if deleted), for the scheduler to read."""
        return self.repo.detached(recurring_run_id)

    def record_next_run(self, recurring_run_id: str, at: datetime | None) -> None:
        """Keep when an ENABLED recurring run fires next (None: nothing more fires).

        Not an edit: ``updated_at`` is kept, and the scheduler is not woken.
        """
        self.repo.record_next_run(recurring_run_id, at)

    def record_slot(self, recurring_run_id: str, slot: datetime, started: int) -> None:
        """Record ``slot`` as handled (and ``started`` runs) unless a newer one is.

        Not an edit: ``updated_at`` is kept, and the scheduler is not woken.
        """
        self.repo.record_slot(recurring_run_id, slot, started)
