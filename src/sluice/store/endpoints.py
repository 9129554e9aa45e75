"""Endpoints and the models deployed to them: the ``endpoints`` and ``deployed_models`` tables.

An endpoint's traffic split names its deployed models by id; a deployment and the split
that makes room for it are written in one transaction, and so are an undeployment and the
split without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from sluice.errors import AlreadyExistsError, StoreConflictError
from sluice.store.model_registry import numbered, update_columns
from sluice.store.models import utcnow
from sluice.store.registry_models import DeployedModelRow, EndpointRow, RegisteredModelRow
from sluice.store.repository import Store


@dataclass(frozen=True)
class Deployment:
    """A deployed model with the model version it serves and the endpoint it is on."""

    deployed: DeployedModelRow
    model: RegisteredModelRow
    endpoint: EndpointRow


def create(
    store: Store,
    location: str,
    endpoint_id: str | None,
    *,
    display_name: str,
    description: str | None,
    labels: Mapping[str, Any],
) -> EndpointRow:
    """Record an endpoint; without an id it is named by its row id (a number, as on Vertex).

    Raises:
        AlreadyExistsError: the location has an endpoint of that id.
    """
    row = EndpointRow(
        location=location,
        endpoint_id=endpoint_id or f"new-{utcnow().timestamp()}",
        display_name=display_name,
        description=description,
        labels=dict(labels),
        traffic_split={},
    )
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            if endpoint_id is None:
                row.endpoint_id = numbered(row.id)
            session.flush()
            session.expunge(row)
    except StoreConflictError as exc:
        raise AlreadyExistsError(
            f"{location}/endpoints/{endpoint_id} already exists; choose another id"
        ) from exc
    return row


def get(store: Store, location: str, endpoint_id: str) -> EndpointRow | None:
    """The endpoint of this id in the location, or None."""
    with store.session() as session:
        return session.scalar(
            select(EndpointRow).where(
                EndpointRow.location == location, EndpointRow.endpoint_id == endpoint_id
            )
        )


def list_endpoints(store: Store, location: str) -> list[EndpointRow]:
    """The endpoints of a location, newest first."""
    with store.session() as session:
        return list(
            session.scalars(
                select(EndpointRow)
                .where(EndpointRow.location == location)
                .order_by(EndpointRow.created_at.desc(), EndpointRow.id.desc())
            ).all()
        )


def update_endpoint(store: Store, row_id: int, changes: Mapping[str, Any]) -> EndpointRow:
    """Set these columns of an endpoint (display name, description, labels, traffic split)."""
    return update_columns(store, EndpointRow, row_id, changes)


def delete_endpoint(store: Store, row_id: int) -> None:
    """Delete an endpoint (its deployments go with it)."""
    with store.session() as session:
        row = session.get(EndpointRow, row_id)
        if row is not None:
            session.delete(row)


def deployments(store: Store, endpoint_row_id: int | None = None) -> list[Deployment]:
    """The deployments of one endpoint (or of every endpoint), oldest first."""
    query = (
        select(DeployedModelRow, RegisteredModelRow, EndpointRow)
        .join(RegisteredModelRow, RegisteredModelRow.id == DeployedModelRow.model_row_id)
        .join(EndpointRow, EndpointRow.id == DeployedModelRow.endpoint_row_id)
        .order_by(DeployedModelRow.id)
    )
    if endpoint_row_id is not None:
        query = query.where(DeployedModelRow.endpoint_row_id == endpoint_row_id)
    with store.session() as session:
        return [Deployment(d, m, e) for d, m, e in session.execute(query).all()]


def deploy(
    store: Store,
    endpoint_row_id: int,
    model_row_id: int,
    *,
    display_name: str,
    dedicated_resources: Mapping[str, Any],
    traffic_split: Mapping[str, int],
) -> DeployedModelRow:
    """Record a deployment; ``traffic_split``'s key ``"0"`` stands for it (replaced by its id)."""
    with store.session() as session:
        endpoint = session.get(EndpointRow, endpoint_row_id, with_for_update=True)
        assert endpoint is not None, endpoint_row_id
        row = DeployedModelRow(
            endpoint_row_id=endpoint_row_id,
            model_row_id=model_row_id,
            display_name=display_name,
            dedicated_resources=dict(dedicated_resources),
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        endpoint.traffic_split = {
            (str(row.id) if key == "0" else key): value for key, value in traffic_split.items()
        }
        endpoint.updated_at = utcnow()
        session.flush()
        session.expunge(row)
    return row


def set_port(store: Store, deployed_id: int, port: int) -> None:
    """Where the deployment's serving process listens."""
    with store.session() as session:
        session.execute(
            update(DeployedModelRow).where(DeployedModelRow.id == deployed_id).values(port=port)
        )


def undeploy(
    store: Store, endpoint_row_id: int, deployed_id: int, traffic_split: Mapping[str, int]
) -> None:
    """Remove a deployment and set the endpoint's split without it."""
    with store.session() as session:
        endpoint = session.get(EndpointRow, endpoint_row_id, with_for_update=True)
        row = session.get(DeployedModelRow, deployed_id)
        if row is not None:
            session.delete(row)
        if endpoint is not None:
            endpoint.traffic_split = dict(traffic_split)
            endpoint.updated_at = utcnow()
