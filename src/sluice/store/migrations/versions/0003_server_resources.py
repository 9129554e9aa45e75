"""Server resources: experiments, pipelines and versions, recurring runs; KFP run fields.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:04:15.543427
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("namespace", sa.String(length=256), nullable=False),
        sa.Column("storage_state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "display_name", name="uq_experiments_namespace_name"),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_created_at"), ["created_at"], unique=False)

    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("namespace", sa.String(length=256), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "name", name="uq_pipelines_namespace_name"),
    )
    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pipelines_created_at"), ["created_at"], unique=False)

    op.create_table(
        "recurring_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("experiment_id", sa.String(length=36), nullable=True),
        sa.Column("namespace", sa.String(length=256), nullable=False),
        sa.Column("service_account", sa.String(length=256), nullable=True),
        sa.Column("pipeline_spec", sa.JSON(), nullable=True),
        sa.Column("pipeline_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_version_id", sa.String(length=36), nullable=True),
        sa.Column("runtime_config", sa.JSON(), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("no_catchup", sa.Boolean(), nullable=False),
        sa.Column("max_run_count", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_slot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runs_started", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recurring_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurring_runs_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recurring_runs_experiment_id"), ["experiment_id"], unique=False
        )

    op.create_table(
        "pipeline_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pipeline_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("pipeline_spec", sa.JSON(), nullable=False),
        sa.Column("code_source_url", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipelines.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pipeline_id", "name", name="uq_pipeline_versions_pipeline_name"),
    )
    with op.batch_alter_table("pipeline_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipeline_versions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pipeline_versions_pipeline_id"), ["pipeline_id"], unique=False
        )

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("experiment_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("pipeline_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("pipeline_version_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("recurring_run_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column(
                "storage_state", sa.String(length=16), nullable=False, server_default="AVAILABLE"
            )
        )
        batch_op.add_column(
            sa.Column("namespace", sa.String(length=256), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("service_account", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_experiment_id"), ["experiment_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_runs_recurring_run_id"), ["recurring_run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_recurring_run_id"))
        batch_op.drop_index(batch_op.f("ix_runs_experiment_id"))
        batch_op.drop_column("scheduled_at")
        batch_op.drop_column("service_account")
        batch_op.drop_column("namespace")
        batch_op.drop_column("storage_state")
        batch_op.drop_column("recurring_run_id")
        batch_op.drop_column("pipeline_version_id")
        batch_op.drop_column("pipeline_id")
        batch_op.drop_column("experiment_id")
        batch_op.drop_column("description")

    with op.batch_alter_table("pipeline_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_versions_pipeline_id"))
        batch_op.drop_index(batch_op.f("ix_pipeline_versions_created_at"))

    op.drop_table("pipeline_versions")
    with op.batch_alter_table("recurring_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_runs_experiment_id"))
        batch_op.drop_index(batch_op.f("ix_recurring_runs_created_at"))

    op.drop_table("recurring_runs")
    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipelines_created_at"))

    op.drop_table("pipelines")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_created_at"))

    op.drop_table("experiments")
