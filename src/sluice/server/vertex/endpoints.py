"""``/v1/projects/{p}/locations/{l}/endpoints``: endpoints, deployments, predictions.

``Endpoint.create`` (an operation whose response is the Endpoint), ``get``, ``list``,
``update``, ``delete``; ``model.deploy(endpoint=...)`` (``:deployModel``, answered once the
model's process is ready), ``undeploy``/``undeploy_all`` (``:undeployModel``) and
``endpoint.predict`` (``:predict``, forwarded to a deployed model's process).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.config import state_of
from sluice.server.limits import Name, Text
from sluice.server.vertex import registry_shapes as rshapes
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.paging import page_size
from sluice.server.vertex.pipeline_jobs import PREFIX, location_of
from sluice.service.endpoints import EndpointService
from sluice.store.registry_models import EndpointRow

router = APIRouter(route_class=VertexRoute)
ENDPOINT = PREFIX + "/endpoints/{endpoint}"


class EndpointIn(BaseModel):
    """An Endpoint as created or patched."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    description: Text | None = None
    labels: dict[str, Name] | None = None
    trafficSplit: dict[str, int] | None = None


class DeployedModelIn(BaseModel):
    """``deployedModel`` of ``deployModel``."""

    model_config = ConfigDict(extra="ignore")

    model: Text
    displayName: Name | None = None
    dedicatedResources: dict[str, Any] = Field(default_factory=dict)
    automaticResources: dict[str, Any] | None = None


class DeployIn(BaseModel):
    """The body of ``deployModel``."""

    model_config = ConfigDict(extra="ignore")

    deployedModel: DeployedModelIn
    trafficSplit: dict[str, int] | None = None


class UndeployIn(BaseModel):
    """The body of ``undeployModel``."""

    model_config = ConfigDict(extra="ignore")

    deployedModelId: Name
    trafficSplit: dict[str, int] | None = None


class PredictIn(BaseModel):
    """The body of ``predict``."""

    model_config = ConfigDict(extra="allow")

    instances: list[Any] = Field(default_factory=list)
    parameters: Any = None


def service_of(request: Request) -> EndpointService:
    """The endpoints of the server's store, served by its supervisor."""
    state = state_of(request)
    supervisor = state.serving
    return EndpointService(state.store, state.config.settings, supervisor)


def _json(service: EndpointService, row: EndpointRow) -> dict[str, Any]:
    return rshapes.endpoint_json(row, service.deployments(row))


@router.post(PREFIX + "/endpoints")
def create_endpoint(
    project: str,
    location: str,
    body: EndpointIn,
    request: Request,
    endpointId: str | None = None,
) -> dict[str, Any]:
    """Create an endpoint (named by a number unless ``endpointId``); the operation is done."""
    service = service_of(request)
    row = service.create(
        location_of(project, location),
        endpoint_id=endpointId,
        display_name=body.displayName or "",
        description=body.description,
        labels=body.labels,
    )
    return rshapes.endpoint_operation(row, [])


@router.get(PREFIX + "/endpoints")
def list_endpoints(
    project: str,
    location: str,
    request: Request,
    filter: str | None = None,
    pageSize: int | None = None,
    pageToken: str | None = None,
) -> dict[str, Any]:
    """The location's endpoints, newest first, in one page (``display_name="x"`` filters)."""
    page_size(pageSize)
    service = service_of(request)
    rows = service.list_endpoints(location_of(project, location))
    wanted = _display_name_filter(filter)
    if wanted is not None:
        rows = [r for r in rows if r.display_name == wanted]
    return {"endpoints": [_json(service, row) for row in rows]}


def _display_name_filter(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    field, _, value = text.partition("=")
    if field.strip() != "display_name" or not value.strip():
        from sluice.server.errors import bad_request

        raise bad_request(f'endpoints filter on display_name="..." only (got {text!r})')
    return value.strip().strip('"')


@router.post(ENDPOINT + ":deployModel")
def deploy_model(
    project: str, location: str, endpoint: str, body: DeployIn, request: Request
) -> dict[str, Any]:
    """Deploy a model version; answered (a done operation) once its process is ready."""
    service = service_of(request)
    deployed = body.deployedModel
    deployment = service.deploy(
        location_of(project, location),
        endpoint,
        model=deployed.model,
        display_name=deployed.displayName,
        dedicated_resources=deployed.dedicatedResources or deployed.automaticResources or {},
        traffic_split=body.trafficSplit,
    )
    return rshapes.deploy_operation(
        deployment.endpoint, deployment, f"deploy-{deployment.deployed.id}"
    )


@router.post(ENDPOINT + ":undeployModel")
def undeploy_model(
    project: str, location: str, endpoint: str, body: UndeployIn, request: Request
) -> dict[str, Any]:
    """Stop serving a deployed model and remove it from the endpoint."""
    service = service_of(request)
    parent = location_of(project, location)
    service.undeploy(parent, endpoint, body.deployedModelId, body.trafficSplit)
    return rshapes.undeploy_operation(
        service.get(parent, endpoint), f"undeploy-{body.deployedModelId}"
    )


@router.post(ENDPOINT + ":predict")
def predict(
    project: str, location: str, endpoint: str, body: PredictIn, request: Request
) -> dict[str, Any]:
    """Predict with a deployed model picked by the traffic split."""
    prediction = service_of(request).predict(
        location_of(project, location), endpoint, body.model_dump(exclude_none=True)
    )
    model = prediction.deployment.model
    return {
        **prediction.body,
        "deployedModelId": str(prediction.deployment.deployed.id),
        "model": rshapes.model_name(model),
        "modelDisplayName": model.display_name,
        "modelVersionId": str(model.version_id),
    }


@router.get(ENDPOINT)
def get_endpoint(project: str, location: str, endpoint: str, request: Request) -> dict[str, Any]:
    """The endpoint with its deployed models and traffic split."""
    service = service_of(request)
    return _json(service, service.get(location_of(project, location), endpoint))


@router.patch(ENDPOINT)
def update_endpoint(
    project: str,
    location: str,
    endpoint: str,
    body: EndpointIn,
    request: Request,
    updateMask: str | None = None,
) -> dict[str, Any]:
    """Change the display name, description, labels or traffic split."""
    service = service_of(request)
    fields = body.model_dump(exclude_unset=True)
    columns = {
        "displayName": "display_name",
        "description": "description",
        "labels": "labels",
        "trafficSplit": "traffic_split",
    }
    wanted = [p.strip() for p in updateMask.split(",") if p.strip()] if updateMask else list(fields)
    changes = {
        columns[_camel(p)]: fields.get(_camel(p)) or ({} if _camel(p) != "displayName" else "")
        for p in wanted
        if _camel(p) in columns
    }
    row = service.update(location_of(project, location), endpoint, changes)
    return _json(service, row)


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(p.title() for p in rest)


@router.delete(ENDPOINT)
def delete_endpoint(project: str, location: str, endpoint: str, request: Request) -> dict[str, Any]:
    """Delete an endpoint with nothing deployed; the operation is done."""
    parent = location_of(project, location)
    service_of(request).delete(parent, endpoint)
    return shapes.empty_operation(parent, f"delete-{secrets.token_hex(8)}")


@router.get("/ui" + ENDPOINT.removeprefix("/v1") + "/operations/{operation}")
@router.get(ENDPOINT + "/operations/{operation}")
def poll_endpoint_operation(
    project: str, location: str, endpoint: str, operation: str, request: Request
) -> dict[str, Any]:
    """An endpoint's operation (create, deploy, undeploy) polled again: done."""
    service = service_of(request)
    row = service.get(location_of(project, location), endpoint)
    if operation.startswith("deploy-"):
        found = [d for d in service.deployments(row) if f"deploy-{d.deployed.id}" == operation]
        return rshapes.deploy_operation(row, found[0] if found else None, operation)
    if operation.startswith("undeploy-"):
        return rshapes.undeploy_operation(row, operation)
    return rshapes.endpoint_operation(row, service.deployments(row))
