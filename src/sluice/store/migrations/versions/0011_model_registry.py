"""The Model Registry and endpoints: registered model versions, endpoints, deployed models.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(length=512), nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version_description", sa.Text(), nullable=True),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("container_spec", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("version_aliases", sa.JSON(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=True),
        sa.Column("source_artifact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["artifact_id"], ["artifacts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["source_artifact_id"], ["artifacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "location", "model_id", "version_id", name="uq_registered_models_version"
        ),
    )
    op.create_index(
        "ix_registered_models_location_created", "registered_models", ["location", "created_at"]
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(length=512), nullable=False),
        sa.Column("endpoint_id", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("traffic_split", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("location", "endpoint_id", name="uq_endpoints_location_endpoint"),
    )
    op.create_table(
        "deployed_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint_row_id", sa.Integer(), nullable=False),
        sa.Column("model_row_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("dedicated_resources", sa.JSON(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_row_id"], ["endpoints.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["model_row_id"], ["registered_models.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deployed_models_endpoint_row_id", "deployed_models", ["endpoint_row_id"])
    op.create_index("ix_deployed_models_model_row_id", "deployed_models", ["model_row_id"])


def downgrade() -> None:
    op.drop_index("ix_deployed_models_model_row_id", table_name="deployed_models")
    op.drop_index("ix_deployed_models_endpoint_row_id", table_name="deployed_models")
    op.drop_table("deployed_models")
    op.drop_table("endpoints")
    op.drop_index("ix_registered_models_location_created", table_name="registered_models")
    op.drop_table("registered_models")
