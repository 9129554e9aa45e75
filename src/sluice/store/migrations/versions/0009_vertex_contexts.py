"""Vertex AI contexts and TensorBoard bookkeeping.

Contexts get Vertex's fields (display name, description, schema version, labels, update
time) and parents (``addContextChildren``: an experiment run in its experiment); the
TensorBoard resources ``aiplatform.init(experiment=...)`` sets up get a table, and the
points of scalar time series another.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("schema_version", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("labels", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "context_parents",
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["contexts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["contexts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("child_id", "parent_id"),
    )
    op.create_index("ix_context_parents_parent_id", "context_parents", ["parent_id"])
    op.create_table(
        "tensorboard_resources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=512), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("parent_path", sa.String(length=1024), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("location", "path", name="uq_tensorboard_resources_location_path"),
    )
    op.create_index(
        "ix_tensorboard_resources_parent",
        "tensorboard_resources",
        ["location", "parent_path", "id"],
    )
    op.create_table(
        "tensorboard_scalars",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time_series_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("wall_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["time_series_id"], ["tensorboard_resources.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_tensorboard_scalars_series_step", "tensorboard_scalars", ["time_series_id", "step"]
    )


def downgrade() -> None:
    op.drop_index("ix_tensorboard_scalars_series_step", table_name="tensorboard_scalars")
    op.drop_table("tensorboard_scalars")
    op.drop_index("ix_tensorboard_resources_parent", table_name="tensorboard_resources")
    op.drop_table("tensorboard_resources")
    op.drop_index("ix_context_parents_parent_id", table_name="context_parents")
    op.drop_table("context_parents")
    with op.batch_alter_table("contexts", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("labels")
        batch_op.drop_column("schema_version")
        batch_op.drop_column("description")
        batch_op.drop_column("display_name")
