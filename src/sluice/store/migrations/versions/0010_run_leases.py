"""Run leases, and one run per recurring-run slot.

Several servers on one PostgreSQL share the server runs: the one executing a run holds a
lease on it (``lease_owner``, ``lease_expires_at``) that it renews while it executes, and
another server takes the run over once the lease has expired. A recurring run's slot
fires once across all servers: the unique index on ``(recurring_run_id, scheduled_at)``
refuses a second run for the same slot (NULLs are distinct, so runs of no recurring run
are not concerned).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
