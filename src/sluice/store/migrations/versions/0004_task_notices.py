"""Task failure details and notices: why a component failed, and what the user should know.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_details", sa.JSON(), nullable=True))
        # Existing tasks had no notices: an empty JSON list, on SQLite and PostgreSQL alike.
        batch_op.add_column(
            sa.Column("notices", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("notices")
        batch_op.drop_column("error_details")
