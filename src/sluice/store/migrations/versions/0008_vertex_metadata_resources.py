"""Vertex AI metadata resources: artifacts and executions users create through its API.

An execution a user records (``aiplatform.start_execution``) has no run and no task, so
``executions.run_id`` and ``task_id`` become nullable; artifacts and executions gain the
fields of Vertex's resources (resource id, location, description, state, ...). Existing
rows keep their meaning: every artifact is LIVE, and no row has a resource id or location.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="LIVE")
        )
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("resource_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("location", sa.String(length=512), nullable=True))
        batch_op.create_unique_constraint(
            "uq_artifacts_location_resource_id", ["location", "resource_id"]
        )
    # On SQLite this rebuilds the table (a column's NOT NULL cannot be altered in place);
    # store/db.py runs migrations with foreign keys off, so the rebuild's DROP TABLE does
    # not cascade into events and associations.
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.alter_column("run_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("task_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("resource_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("location", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("display_name", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("metadata", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("schema_version", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            "uq_executions_location_resource_id", ["location", "resource_id"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM executions WHERE run_id IS NULL OR task_id IS NULL")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_executions_location_resource_id", type_="unique")
        for column in (
            "updated_at",
            "schema_version",
            "metadata",
            "description",
            "display_name",
            "location",
            "resource_id",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("task_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column("run_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_artifacts_location_resource_id", type_="unique")
        for column in ("location", "resource_id", "description", "state"):
            batch_op.drop_column(column)
