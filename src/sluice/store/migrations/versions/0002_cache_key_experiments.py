"""Cache key parts and cache clearing on executions, experiment context on runs, indexes
for the metadata API's default orders.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_key", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("cache_cleared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_executions_component", ["pipeline_name", "component_name", "id"], unique=False
        )
        batch_op.create_index("ix_executions_started", ["started_at", "id"], unique=False)
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.create_index("ix_contexts_created", ["created_at", "id"], unique=False)
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment_context_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_runs_experiment_context_id_contexts", "contexts", ["experiment_context_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.drop_index("ix_contexts_created")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_runs_experiment_context_id_contexts", type_="foreignkey")
        batch_op.drop_column("experiment_context_id")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_started")
        batch_op.drop_index("ix_executions_component")
        batch_op.drop_column("cache_cleared")
        batch_op.drop_column("cache_key")
