"""Vertex AI PipelineJob fields of a run: labels, location, failure policy.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        # Existing runs have no labels: an empty JSON object, on SQLite and PostgreSQL alike.
        batch_op.add_column(
            sa.Column("labels", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("location", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("failure_policy", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_runs_location", ["location"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_location")
        batch_op.drop_column("failure_policy")
        batch_op.drop_column("location")
        batch_op.drop_column("labels")
