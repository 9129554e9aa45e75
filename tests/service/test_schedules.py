"""PipelineJobSchedules over recurring runs: locations, pause, resume with or without
catch-up (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sluice.errors import FailedPreconditionError, NotFoundError
from sluice.server.scheduler import derived_columns, missed_until
from sluice.service.schedules import ScheduleService
from sluice.store.models import RecurringRunRow, as_utc
from sluice.store.repository import Store, new_id

HERE = "projects/p/locations/us-central1"
THERE = "projects/q/locations/europe-west4"
UTC = timezone.utc
T0 = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    else:
        yield Store(request.getfixturevalue("postgres_url"))


def _create(service: ScheduleService, location: str | None = HERE) -> RecurringRunRow:
    row = RecurringRunRow(
        id=new_id(),
        display_name="hourly",
        trigger={"cron_schedule": {"cron": "0 * * * *", "start_time": "2030-01-01T00:00:00Z"}},
        created_at=T0,
        updated_at=T0,
        location=location,
        labels={"team": "ml"},
    )
    return service.create(row, lambda created: created)


def test_locations_keep_their_schedules(store: Store) -> None:
    changes: list[str] = []
    service = ScheduleService(
        store, on_schedules_changed=lambda: changes.append("x"), derive=derived_columns
    )
    here, kfp = _create(service), _create(service, location=None)
    assert service.get(HERE, here.id).labels == {"team": "ml"}
    assert as_utc(service.get(HERE, here.id).next_run_at) == T0  # a slot on start_time counts
    with pytest.raises(NotFoundError, match=f"no schedule '{here.id}' in {THERE}"):
        service.get(THERE, here.id)
    for call in (lambda: service.pause(THERE, here.id), lambda: service.delete(THERE, here.id)):
        with pytest.raises(NotFoundError):
            call()
    assert [r.id for r in service.list(THERE).items] == [kfp.id]  # KFP's: every location
    assert {r.id for r in service.list(HERE).items} == {here.id, kfp.id}
    assert changes == ["x", "x"]


def test_resume_skips_missed_slots_unless_it_catches_up(store: Store) -> None:
    service = ScheduleService(store, derive=derived_columns)
    now = T0 + timedelta(hours=5, minutes=30)
    skipping, catching = _create(service), _create(service)
    for row in (skipping, catching):
        service.pause(HERE, row.id)
        paused = service.get(HERE, row.id)
        assert paused.status == "DISABLED" and paused.next_run_at is None
        assert paused.last_pause_at is not None
        service.pause(HERE, row.id)  # pausing a paused schedule changes nothing

    service.resume(HERE, skipping.id, catch_up=False, missed_until=lambda r: missed_until(r, now))
    service.resume(HERE, catching.id, catch_up=True, missed_until=lambda r: missed_until(r, now))
    skipped, caught = service.get(HERE, skipping.id), service.get(HERE, catching.id)
    # Without catch-up the 0:00 to 5:00 slots are recorded as handled: next is 6:00.
    assert as_utc(skipped.last_slot_at) == T0 + timedelta(hours=5)
    assert as_utc(skipped.next_run_at) == T0 + timedelta(hours=6)
    assert not skipped.catch_up
    # With it nothing is skipped: the 0:00 slot is due (the scheduler fires them in order).
    assert caught.last_slot_at is None and caught.catch_up
    assert as_utc(caught.next_run_at) == T0
    assert caught.last_resume_at is not None

    with pytest.raises(FailedPreconditionError, match="only a paused schedule can be resumed"):
        service.resume(HERE, caught.id, catch_up=False, missed_until=lambda r: None)
