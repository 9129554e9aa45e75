"""Vertex AI PipelineJobSchedule fields of a recurring run.

``location`` (``projects/{p}/locations/{l}``; NULL: created through the KFP API, seen in
every location), the ``labels`` its jobs get, the times Vertex filters schedules on
(``start_at``/``end_at`` from the trigger, ``next_run_at`` kept by the API and the
scheduler), and what the last pause and resume did.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _stamp(value: Any) -> datetime | None:
    # The API stores trigger times as "%Y-%m-%dT%H:%M:%SZ" (server/cron.normalize_trigger).
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def upgrade() -> None:
    with op.batch_alter_table("recurring_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=512), nullable=True))
        # Existing recurring runs have no labels: an empty JSON object on both databases.
        batch_op.add_column(
            sa.Column("labels", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("start_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("end_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("catch_up", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_pause_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_resume_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_recurring_runs_location", ["location"], unique=False)
    # The trigger's window as columns, for the rows there are; next_run_at is left to the
    # scheduler, which computes it on its first pass after the server starts.
    table = sa.table(
        "recurring_runs",
        sa.column("id", sa.String()),
        sa.column("trigger", sa.JSON()),
        sa.column("start_at", sa.DateTime(timezone=True)),
        sa.column("end_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    for row_id, trigger in bind.execute(sa.select(table.c.id, table.c.trigger)).all():
        body = dict(trigger or {})
        window = dict(body.get("cron_schedule") or body.get("periodic_schedule") or {})
        start, end = _stamp(window.get("start_time")), _stamp(window.get("end_time"))
        if start is not None or end is not None:
            bind.execute(
                table.update().where(table.c.id == row_id).values(start_at=start, end_at=end)
            )


def downgrade() -> None:
    with op.batch_alter_table("recurring_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_recurring_runs_location")
        for column in (
            "last_resume_at",
            "last_pause_at",
            "catch_up",
            "next_run_at",
            "end_at",
            "start_at",
            "labels",
            "location",
        ):
            batch_op.drop_column(column)
