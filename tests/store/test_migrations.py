"""Migrations keep existing rows meaning what they meant, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, text

from sluice.store.db import MIGRATIONS_DIR
from sluice.store.models import as_utc
from sluice.store.repository import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sluice.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _upgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert_run(url: str, run_id: str, experiment_id: str | None) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO runs (id, name, display_name, pipeline_name, pipeline_spec,"
                    " arguments, pipeline_root, options, state, outputs, storage_state,"
                    " namespace, experiment_id, created_at, updated_at) VALUES (:id, :id, :id,"
                    " 'p', '{}', '{}', '/tmp', '{}', 'PENDING', '{}', 'AVAILABLE', '',"
                    " :experiment, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": run_id, "experiment": experiment_id},
            )
    finally:
        engine.dispose()


def test_0005_gives_the_server_the_runs_it_executed_before(db_url: str) -> None:
    """Before 0005 the server executed the runs with an experiment; they stay its own."""
    _upgrade(db_url, "0004")
    _insert_run(db_url, "from-the-api", "exp")
    _insert_run(db_url, "from-sluice-run", None)
    store = Store(db_url)  # opening migrates to the newest revision
    server, local = store.get_run("from-the-api"), store.get_run("from-sluice-run")
    assert server is not None and server.executed_by == "server"
    assert local is not None and local.executed_by == "local"


def test_0007_keeps_recurring_runs_and_their_trigger_window(db_url: str) -> None:
    """0007 adds the Vertex schedule fields; the trigger's window becomes columns."""
    _upgrade(db_url, "0006")
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            for row_id, trigger in (
                (
                    "windowed",
                    '{"cron_schedule": {"cron": "0 2 * * *", "start_time": '
                    '"2030-01-01T00:00:00Z", "end_time": "2031-01-01T00:00:00Z"}}',
                ),
                ("open", '{"periodic_schedule": {"interval_second": 60}}'),
            ):
                connection.execute(
                    text(
                        "INSERT INTO recurring_runs (id, display_name, namespace,"
                        " runtime_config, trigger, max_concurrency, no_catchup, status,"
                        " runs_started, created_at, updated_at) VALUES (:id, :id, '', '{}',"
                        " :trigger, 1, false, 'ENABLED', 0, CURRENT_TIMESTAMP,"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"id": row_id, "trigger": trigger},
                )
    finally:
        engine.dispose()
    from sluice.store.models import as_utc
    from sluice.store.recurring_runs import RecurringRunRepository

    repo = RecurringRunRepository(Store(db_url))
    windowed, open_ended = repo.get("windowed"), repo.get("open")
    assert windowed is not None and open_ended is not None
    assert as_utc(windowed.start_at) is not None
    assert str(as_utc(windowed.start_at)) == "2030-01-01 00:00:00+00:00"
    assert str(as_utc(windowed.end_at)) == "2031-01-01 00:00:00+00:00"
    assert (open_ended.start_at, open_ended.end_at, open_ended.location) == (None, None, None)
    assert open_ended.labels == {} and open_ended.catch_up is False


def test_0010_keeps_every_run_of_a_slot_fired_twice(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two runs of one recurring-run slot would fail 0010's unique index: the first-created
    keeps the slot, the others move a microsecond aside; none is deleted."""
    _upgrade(db_url, "0009")
    slot = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
    runs = sa.table(
        "runs",
        sa.column("id", sa.String()),
        sa.column("recurring_run_id", sa.String()),
        sa.column("scheduled_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    fired = [  # (run, recurring run, slot, created)
        ("first", "nightly", slot, slot + timedelta(seconds=1)),
        ("again", "nightly", slot, slot + timedelta(seconds=2)),
        ("third", "nightly", slot, slot + timedelta(seconds=3)),
        # the instant just after the slot is taken already: the moved runs skip it
        ("next-to-it", "nightly", slot + timedelta(microseconds=1), slot),
        ("other-schedule", "hourly", slot, slot),
    ]
    for run_id, *_ in fired:
        _insert_run(db_url, run_id, "exp")
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            for run_id, recurring_run_id, scheduled_at, created_at in fired:
                connection.execute(
                    sa.update(runs)
                    .where(runs.c.id == run_id)
                    .values(
                        recurring_run_id=recurring_run_id,
                        scheduled_at=scheduled_at,
                        created_at=created_at,
                    )
                )
    finally:
        engine.dispose()

    with caplog.at_level(logging.WARNING, logger="sluice.store.migrations"):
        store = Store(db_url)  # opening migrates to the newest revision

    def slot_of(run_id: str) -> datetime | None:
        row = store.get_run(run_id)
        assert row is not None, f"run {run_id} was lost"
        return as_utc(row.scheduled_at)

    assert slot_of("first") == slot
    assert slot_of("again") == slot + timedelta(microseconds=2)
    assert slot_of("third") == slot + timedelta(microseconds=3)
    assert slot_of("next-to-it") == slot + timedelta(microseconds=1)
    assert slot_of("other-schedule") == slot
    moves = [r.getMessage() for r in caplog.records if r.name == "sluice.store.migrations"]
    assert len(moves) == 2 and all("(run first keeps it)" in m for m in moves)
    assert "run again" in moves[0] and "run third" in moves[1]
