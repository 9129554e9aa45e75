"""Run leases, and one run per recurring-run slot.

Several servers on one PostgreSQL share the server runs: the one executing a run holds a
lease on it (``lease_owner``, ``lease_expires_at``) that it renews while it executes, and
another server takes the run over once the lease has expired. A recurring run's slot
fires once across all servers: the unique index on ``(recurring_run_id, scheduled_at)``
refuses a second run for the same slot (NULLs are distinct, so runs of no recurring run
are not concerned).

A database written before this revision may hold two runs of one slot (an older version
could fire a slot again after a crash, or from a second server). The upgrade keeps the
first-created run of such a slot where it is and moves each other run's ``scheduled_at``
later by a microsecond or more, to the nearest instant no run of that recurring run holds:
no run is deleted, every run keeps its recurring run, and each move is logged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

log = logging.getLogger("sluice.store.migrations")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


_RUNS = sa.table(
    "runs",
    sa.column("id", sa.String()),
    sa.column("recurring_run_id", sa.String()),
    sa.column("scheduled_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _move_duplicate_slots(connection: sa.Connection) -> None:
    """Give every run but the first of a doubly-fired slot its own ``scheduled_at``."""
    runs = _RUNS.c
    doubled = connection.execute(
        sa.select(runs.recurring_run_id, runs.scheduled_at)
        .where(runs.recurring_run_id.is_not(None), runs.scheduled_at.is_not(None))
        .group_by(runs.recurring_run_id, runs.scheduled_at)
        .having(sa.func.count() > 1)
    ).all()
    taken: dict[str, set[datetime]] = {}
    for recurring_run_id, slot in doubled:
        if recurring_run_id not in taken:
            taken[recurring_run_id] = set(
                connection.scalars(
                    sa.select(runs.scheduled_at).where(
                        runs.recurring_run_id == recurring_run_id,
                        runs.scheduled_at.is_not(None),
                    )
                )
            )
        held = taken[recurring_run_id]
        first, *others = connection.scalars(
            sa.select(runs.id)
            .where(runs.recurring_run_id == recurring_run_id, runs.scheduled_at == slot)
            .order_by(runs.created_at, runs.id)
        )
        moved_to = slot
        for run_id in others:
            while moved_to in held:
                moved_to += timedelta(microseconds=1)
            held.add(moved_to)
            connection.execute(
                sa.update(_RUNS).where(runs.id == run_id).values(scheduled_at=moved_to)
            )
            log.warning(
                "migration 0010: run %s was a second run of recurring run %s's slot %s "
                "(run %s keeps it); its scheduled_at is now %s",
                run_id,
                recurring_run_id,
                slot,
                first,
                moved_to,
            )


def upgrade() -> None:
    _move_duplicate_slots(op.get_bind())
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "uq_runs_recurring_slot", ["recurring_run_id", "scheduled_at"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("uq_runs_recurring_slot")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("lease_owner")
