"""Recurring runs listed with Vertex AI's schedules filter, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from sluice.errors import InvalidFilterError
from sluice.store.models import RecurringRunRow
from sluice.store.recurring_runs import RecurringRunRepository
from sluice.store.repository import Store, new_id
from sluice.store.schedule_filters import list_schedules, schedule_state

HERE = "projects/p/locations/us-central1"
UTC = timezone.utc


def _add(store: Store, name: str, **fields: Any) -> RecurringRunRow:
    values: dict[str, Any] = {
        "id": new_id(),
        "display_name": name,
        "trigger": {"cron_schedule": {"cron": "0 2 * * *"}},
        "created_at": datetime(2030, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2030, 1, 1, tzinfo=UTC),
        "location": HERE,
        "next_run_at": datetime(2030, 1, 2, tzinfo=UTC),
    }
    values.update(fields)
    return RecurringRunRepository(store).add(RecurringRunRow(**values), lambda row: row)


def _names(store: Store, filter: str | None, *, location: str = HERE) -> list[str]:
    page = list_schedules(store, filter, None, location=location, limit=50, page_token=None)
    return [row.display_name for row in page.items]


def test_vertex_fields_states_and_locations(store: Store) -> None:
    _add(store, "active")
    _add(store, "paused", status="DISABLED", next_run_at=None)
    _add(store, "used-up", max_run_count=2, runs_started=2)
    _add(store, "ended", next_run_at=None, end_at=datetime(2030, 1, 1, 12, tzinfo=UTC))
    _add(store, "elsewhere", location="projects/q/locations/us-east1")
    _add(store, "from-kfp", location=None, created_at=datetime(2031, 1, 1, tzinfo=UTC))

    # Newest first; a KFP recurring run (no location) is seen from every location.
    assert _names(store, None)[0] == "from-kfp"
    assert sorted(_names(store, None)) == ["active", "ended", "from-kfp", "paused", "used-up"]
    assert _names(store, None, location="projects/q/locations/us-east1") == [
        "from-kfp",
        "elsewhere",
    ]
    assert sorted(_names(store, 'state="ACTIVE"')) == ["active", "from-kfp"]
    assert _names(store, 'state="PAUSED"') == ["paused"]
    assert sorted(_names(store, 'state="COMPLETED"')) == ["ended", "used-up"]
    assert _names(store, "end_time:*") == ["ended"]
    assert sorted(_names(store, 'display_name:"e" AND NOT state="ACTIVE"')) == [
        "ended",
        "paused",
        "used-up",
    ]
    assert _names(store, 'next_run_time>"2030-01-01T12:00:00Z" AND display_name="a*"') == ["active"]
    assert _names(store, 'start_time>="2031-01-01T00:00:00Z"') == ["from-kfp"]  # its creation
    assert len(_names(store, "create_pipeline_job_request:*")) == 5


def test_the_python_state_agrees_with_the_sql_one(store: Store) -> None:
    rows = [
        _add(store, "a"),
        _add(store, "p", status="DISABLED"),
        _add(store, "c", max_run_count=1, runs_started=1),
        _add(store, "n", next_run_at=None),
    ]
    for row in rows:
        assert _names(store, f'state="{schedule_state(row)}" AND display_name="{row.display_name}"')


def test_an_unknown_field_is_named(store: Store) -> None:
    with pytest.raises(InvalidFilterError, match=r"unknown field 'colour'.*next_run_time"):
        _names(store, 'colour="red"')
