"""Store models of the Model Registry and of endpoints (migration 0011).

- ``registered_models``: one version of a Vertex AI Model. The versions of a model share
  its ``model_id`` in a location; ``version_aliases`` holds its aliases (``default`` on
  exactly one version of a model). ``artifact_id`` is the ML-metadata artifact
  (``google.VertexModel``) that stands for it, ``source_artifact_id`` the artifact a
  pipeline run produced at its ``artifact_uri``, when there is one (its lineage).
- ``endpoints``: a Vertex AI Endpoint and its traffic split (deployed model id -> percent).
- ``deployed_models``: a model version deployed to an endpoint; ``port`` is where its
  serving process listens (kept so that it comes back there after a server restart).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sluice.store.base import Base, utcnow


class RegisteredModelRow(Base):
    """One version of a registered model (``projects/p/locations/l/models/{id}@{version}``)."""

    __tablename__ = "registered_models"
    __table_args__ = (
        UniqueConstraint("location", "model_id", "version_id", name="uq_registered_models_version"),
        Index("ix_registered_models_location_created", "location", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(512))
    model_id: Mapped[str] = mapped_column(String(128))
    version_id: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    version_description: Mapped[str | None] = mapped_column(Text, default=None)
    artifact_uri: Mapped[str] = mapped_column(Text, default="")
    # Vertex's ModelContainerSpec as the client sent it (imageUri, predictRoute, env, ...).
    container_spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version_aliases: Mapped[list[Any]] = mapped_column(default=list)
    artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="SET NULL"), default=None
    )
    source_artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EndpointRow(Base):
    """A Vertex AI Endpoint (``projects/p/locations/l/endpoints/{id}``)."""

    __tablename__ = "endpoints"
    __table_args__ = (
        UniqueConstraint("location", "endpoint_id", name="uq_endpoints_location_endpoint"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(512))
    endpoint_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Deployed model id -> percent of the traffic (the percents sum to 100, or it is empty).
    traffic_split: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeployedModelRow(Base):
    """A model version deployed to an endpoint, served by a process the server supervises."""

    __tablename__ = "deployed_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_row_id: Mapped[int] = mapped_column(
        ForeignKey("endpoints.id", ondelete="CASCADE"), index=True
    )
    model_row_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="RESTRICT"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(256))
    # Vertex's DedicatedResources as sent (machineSpec, min/maxReplicaCount); echoed only.
    dedicated_resources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    port: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
