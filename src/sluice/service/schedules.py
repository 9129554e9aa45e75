"""Recurring runs as Vertex AI PipelineJobSchedules, within a location.

A schedule *is* a recurring run (:mod:`sluice.service.recurring_runs`): the server's
scheduler fires it, and ``kfp.Client().list_recurring_runs()`` shows it. One created
through Vertex's API belongs to its ``projects/{p}/locations/{l}``; one created through
the KFP API has no location and is seen from every one (as runs are, see
:mod:`sluice.service.pipeline_jobs`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sluice.errors import FailedPreconditionError, NotFoundError
from sluice.service.recurring_runs import Derive, RecurringRunService
from sluice.store.metadata_queries import Page
from sluice.store.models import RecurringRunRow, utcnow
from sluice.store.repository import Store
from sluice.store.schedule_filters import list_schedules, schedule_state

T = TypeVar("T")

__all__ = ["Page", "ScheduleService", "schedule_state"]


class ScheduleService:
    """The recurring runs of one store, seen from one Vertex AI location at a time.

    Args:
        store: the store.
        on_schedules_changed: called after any change (the server wakes its scheduler).
        derive: the columns kept from a row's trigger and progress (see
            :class:`RecurringRunService`).
    """

    def __init__(
        self,
        store: Store,
        *,
        on_schedules_changed: Callable[[], None] | None = None,
        derive: Derive | None = None,
    ) -> None:
        self.store = store
        self.recurring = RecurringRunService(
            store, on_schedules_changed=on_schedules_changed, derive=derive
        )

    def create(self, row: RecurringRunRow, answer: Callable[[RecurringRunRow], T]) -> T:
        """Record a checked schedule (``row.location`` set); ``answer(row)`` before the commit."""
        return self.recurring.create(row, answer)

    def get(self, location: str, schedule_id: str) -> RecurringRunRow:
        """The schedule with this id that ``location`` can see.

        Raises:
            NotFoundError: there is none.
        """
        row = self.recurring.repo.get(schedule_id)
        if row is None or row.location not in (None, location):
            raise NotFoundError(
                f"no schedule '{schedule_id}' in {location}; PipelineJobSchedule.list() shows them"
            )
        return row

    def list(
        self,
        location: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[RecurringRunRow]:
        """One page of the schedules ``location`` sees, matching a Vertex ``filter``.

        Raises:
            InvalidFilterError: the filter or order names an unknown field or does not parse.
        """
        return list_schedules(
            self.store, filter, order_by, location=location, limit=limit, page_token=page_token
        )

    def update(
        self,
        location: str,
        schedule_id: str,
        changes: Mapping[str, Any],
        answer: Callable[[RecurringRunRow], T],
    ) -> T:
        """Apply checked ``changes``; ``answer(row)`` is computed before the commit.

        Raises:
            NotFoundError: ``location`` has no such schedule.
        """
        self.get(location, schedule_id)
        return self.recurring.update(schedule_id, changes, answer)

    def pause(self, location: str, schedule_id: str) -> None:
        """Start no more runs (those started carry on); pausing a paused one changes nothing.

        Raises:
            NotFoundError: ``location`` has no such schedule.
        """
        row = self.get(location, schedule_id)
        if row.status != "ENABLED":
            return
        self._set(schedule_id, {"status": "DISABLED", "last_pause_at": utcnow()})

    def resume(
        self,
        location: str,
        schedule_id: str,
        *,
        catch_up: bool,
        missed_until: Callable[[RecurringRunRow], datetime | None],
    ) -> None:
        """Start runs again. Without ``catch_up`` the slots missed while paused are skipped
        (``missed_until(row)`` names the newest); with it they fire, oldest first, within
        ``max_run_count`` and ``max_concurrency`` (the scheduler's catch-up rule).

        Raises:
            NotFoundError: ``location`` has no such schedule.
            FailedPreconditionError: it is not paused (as on Vertex, only a PAUSED
                schedule can be resumed).
        """
        row = self.get(location, schedule_id)
        if row.status == "ENABLED":
            raise FailedPreconditionError(
                f"schedule '{schedule_id}' is {schedule_state(row)}, not PAUSED; only a "
                "paused schedule can be resumed"
            )
        changes: dict[str, Any] = {
            "status": "ENABLED",
            "catch_up": catch_up,
            "last_resume_at": utcnow(),
        }
        if not catch_up:
            skipped = missed_until(row)
            if skipped is not None:
                changes["last_slot_at"] = skipped
        self._set(schedule_id, changes)

    def _set(self, schedule_id: str, changes: Mapping[str, Any]) -> None:
        # A pause or resume is not an edit of the schedule: updated_at is kept, as the KFP
        # API's enable and disable keep it.
        found = self.recurring.repo.update(
            schedule_id, changes, bool, edited=False, derive=self.recurring.derive
        )
        if found is None:
            raise NotFoundError(f"no schedule '{schedule_id}'")
        self.recurring.notify_changed()

    def delete(self, location: str, schedule_id: str) -> None:
        """Delete the schedule; the runs it started are kept.

        Raises:
            NotFoundError: ``location`` has no such schedule.
        """
        self.get(location, schedule_id)
        self.recurring.delete(schedule_id)
