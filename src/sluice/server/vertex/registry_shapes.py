"""The JSON of Models, Endpoints, deployed models and their operations, as the SDK reads it.

Operations are answered done (an upload, an endpoint, a deployment is complete when the
call returns) and their names say what they were, so a poll can answer again without
any state of its own. ``response.@type`` must be exactly what the SDK expects.
"""

from __future__ import annotations

from typing import Any

from sluice.server.vertex import shapes
from sluice.service.endpoints import Deployment
from sluice.store.registry_models import EndpointRow, RegisteredModelRow

TYPE = "type.googleapis.com/google.cloud.aiplatform.v1."


def model_name(row: RegisteredModelRow) -> str:
    """``projects/p/locations/l/models/{id}``."""
    return f"{row.location}/models/{row.model_id}"


def model_json(
    row: RegisteredModelRow,
    first: RegisteredModelRow | None = None,
    deployed: list[Deployment] | None = None,
) -> dict[str, Any]:
    """A Model: one version, with the model's create time (its first version's)."""
    name = model_name(row)
    out: dict[str, Any] = {
        "name": name,
        "versionId": str(row.version_id),
        "versionAliases": list(row.version_aliases),
        "displayName": row.display_name,
        "artifactUri": row.artifact_uri,
        "containerSpec": dict(row.container_spec),
        "labels": dict(row.labels),
        "createTime": shapes.ts((first or row).created_at),
        "updateTime": shapes.ts(row.updated_at),
        "versionCreateTime": shapes.ts(row.created_at),
        "versionUpdateTime": shapes.ts(row.updated_at),
        "etag": str(int(row.updated_at.timestamp() * 1_000_000)),
        # Without it the SDK says the model "does not support deployment" and drops
        # machine_type from deploy().
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
        "deployedModels": [
            {
                "endpoint": f"{d.endpoint.location}/endpoints/{d.endpoint.endpoint_id}",
                "deployedModelId": str(d.deployed.id),
            }
            for d in deployed or []
        ],
    }
    if row.description:
        out["description"] = row.description
    if row.version_description:
        out["versionDescription"] = row.version_description
    if row.artifact_id is not None:
        out["metadataArtifact"] = (
            f"{row.location}/metadataStores/default/artifacts/{row.artifact_id}"
        )
    return out


def deployed_json(deployment: Deployment) -> dict[str, Any]:
    """A DeployedModel; ``privateEndpoints`` holds its own process's URLs (Sluice's)."""
    deployed, model = deployment.deployed, deployment.model
    out: dict[str, Any] = {
        "id": str(deployed.id),
        "model": model_name(model),
        "modelVersionId": str(model.version_id),
        "displayName": deployed.display_name,
        "createTime": shapes.ts(deployed.created_at),
        "dedicatedResources": dict(deployed.dedicated_resources),
    }
    if deployed.port is not None:
        spec = model.container_spec
        base = f"http://127.0.0.1:{deployed.port}"
        out["privateEndpoints"] = {
            "predictHttpUri": base + str(spec.get("predictRoute") or "/predict"),
            "healthHttpUri": base + str(spec.get("healthRoute") or "/health"),
        }
    return out


def endpoint_json(row: EndpointRow, deployments: list[Deployment]) -> dict[str, Any]:
    """An Endpoint with its deployed models and traffic split."""
    out: dict[str, Any] = {
        "name": f"{row.location}/endpoints/{row.endpoint_id}",
        "displayName": row.display_name,
        "labels": dict(row.labels),
        "deployedModels": [deployed_json(d) for d in deployments],
        "trafficSplit": {k: int(v) for k, v in row.traffic_split.items()},
        "createTime": shapes.ts(row.created_at),
        "updateTime": shapes.ts(row.updated_at),
        "etag": str(int(row.updated_at.timestamp() * 1_000_000)),
    }
    if row.description:
        out["description"] = row.description
    return out


def upload_operation(row: RegisteredModelRow) -> dict[str, Any]:
    """The finished operation of ``models:upload``."""
    name = model_name(row)
    return {
        "name": f"{name}/operations/upload-{row.version_id}",
        "done": True,
        "response": {
            "@type": TYPE + "UploadModelResponse",
            "model": name,
            "modelVersionId": str(row.version_id),
        },
    }


def endpoint_operation(row: EndpointRow, deployments: list[Deployment]) -> dict[str, Any]:
    """The finished operation of ``endpoints.create``: the whole Endpoint."""
    return {
        "name": f"{row.location}/endpoints/{row.endpoint_id}/operations/create",
        "done": True,
        "response": {"@type": TYPE + "Endpoint", **endpoint_json(row, deployments)},
    }


def deploy_operation(row: EndpointRow, deployment: Deployment | None, op: str) -> dict[str, Any]:
    """The finished operation of ``deployModel`` (``op`` ``deploy-{id}``)."""
    response: dict[str, Any] = {"@type": TYPE + "DeployModelResponse"}
    if deployment is not None:
        response["deployedModel"] = deployed_json(deployment)
    return {
        "name": f"{row.location}/endpoints/{row.endpoint_id}/operations/{op}",
        "done": True,
        "response": response,
    }


def undeploy_operation(row: EndpointRow, op: str) -> dict[str, Any]:
    """The finished operation of ``undeployModel`` (``op`` ``undeploy-{id}``)."""
    return {
        "name": f"{row.location}/endpoints/{row.endpoint_id}/operations/{op}",
        "done": True,
        "response": {"@type": TYPE + "UndeployModelResponse"},
    }
