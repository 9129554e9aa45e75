"""Run ownership: who executes a run, the server's worker or the process that created it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Before this revision the server took a run for its own when it belonged to a KFP
experiment (``experiment_id`` set), which only runs created through the API or by a
schedule do; existing rows are backfilled by that rule, so nothing changes hands.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("executed_by", sa.String(length=16), nullable=False, server_default="local")
        )
    op.execute("UPDATE runs SET executed_by = 'server' WHERE experiment_id IS NOT NULL")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        # The worker's queue query: a server's runs in some states, oldest first.
        batch_op.create_index(
            "ix_runs_executed_by_state_created_at",
            ["executed_by", "state", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_executed_by_state_created_at")
        batch_op.drop_column("executed_by")
