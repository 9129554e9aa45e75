"""``/experiments``: create, get, list, archive, unarchive, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from sluice.server import services
from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.kfp_filters import list_json, list_query
from sluice.server.limits import Description, LimitedRoute, Name
from sluice.server.serialize import experiment_json
from sluice.service.experiments import LIST_KEYS

router = APIRouter(
    tags=["experiments"], dependencies=[Depends(require_token)], route_class=LimitedRoute
)


class ExperimentIn(BaseModel):
    """The body of CreateExperiment (output-only fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name
    description: Description | None = None
    namespace: Name | None = None


@router.post("/experiments")
def create_experiment(body: ExperimentIn, request: Request) -> dict[str, Any]:
    """Create an experiment, or return the one of that name in the namespace (idempotent)."""
    row = services.experiments(state_of(request)).create(
        body.display_name, description=body.description, namespace=body.namespace or ""
    )
    return experiment_json(row)


@router.get("/experiments/{experiment_id}")
def get_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """One experiment."""
    return experiment_json(services.experiments(state_of(request)).get(experiment_id))


@router.get("/experiments")
def list_experiments(
    request: Request,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,  # KFP's parameter name
    namespace: str | None = None,
) -> dict[str, Any]:
    """Experiments, filtered, sorted and paged as KFP does."""
    query = list_query(
        LIST_KEYS, filter=filter, sort_by=sort_by, page_token=page_token, page_size=page_size
    )
    page = services.experiments(state_of(request)).list(query, namespace=namespace)
    return list_json(page, key="experiments", to_json=experiment_json)


@router.post("/experiments/{experiment_id}:archive")
def archive_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Archive an experiment, its runs, and disable its recurring runs."""
    services.experiments(state_of(request)).archive(experiment_id)
    return {}


@router.post("/experiments/{experiment_id}:unarchive")
def unarchive_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Make an archived experiment available again (its runs stay archived, as in KFP)."""
    services.experiments(state_of(request)).unarchive(experiment_id)
    return {}


@router.delete("/experiments/{experiment_id}")
def delete_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Delete an experiment; its runs are kept."""
    services.experiments(state_of(request)).delete(experiment_id)
    return {}
