"""``/experiments``: create, get, list, archive, unarchive, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from sluice.server.auth import require_token
from sluice.server.config import ServerState, state_of
from sluice.server.errors import bad_request, conflict, not_found
from sluice.server.kfp_filters import list_response
from sluice.server.limits import Description, LimitedRoute, Name
from sluice.server.serialize import experiment_json
from sluice.store.models import ExperimentRow, RecurringRunRow, RunRow
from sluice.store.repository import new_id

router = APIRouter(
    tags=["experiments"], dependencies=[Depends(require_token)], route_class=LimitedRoute
)

COLUMNS = {
    "experiment_id": ExperimentRow.id,
    "id": ExperimentRow.id,
    "display_name": ExperimentRow.display_name,
    "name": ExperimentRow.display_name,
    "created_at": ExperimentRow.created_at,
    "last_run_created_at": ExperimentRow.last_run_created_at,
    "description": ExperimentRow.description,
    "namespace": ExperimentRow.namespace,
    "storage_state": ExperimentRow.storage_state,
}


class ExperimentIn(BaseModel):
    """The body of CreateExperiment (output-only fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name
    description: Description | None = None
    namespace: Name | None = None


def _experiment_named(state: ServerState, namespace: str, name: str) -> ExperimentRow | None:
    with state.store.session() as session:
        return session.scalar(
            select(ExperimentRow).where(
                ExperimentRow.namespace == namespace, ExperimentRow.display_name == name
            )
        )


@router.post("/experiments")
def create_experiment(body: ExperimentIn, request: Request) -> dict[str, Any]:
    """Create an experiment, or return the one of that name in the namespace.

    Idempotent by name: ``kfp.Client`` looks an experiment up and creates it when it is
    missing, so concurrent first submissions all create "Default"; each of them must get
    the same experiment back rather than a 409 for all but one.
    """
    state = state_of(request)
    name = body.display_name.strip()
    if not name:
        raise bad_request("experiment display_name must be 1 to 256 characters")
    namespace = body.namespace or ""
    existing = _experiment_named(state, namespace, name)
    if existing is not None:
        return experiment_json(existing)
    row = ExperimentRow(
        id=new_id(), display_name=name, description=body.description or None, namespace=namespace
    )
    try:
        with state.store.session() as session:
            session.add(row)
    except IntegrityError as exc:
        # Created by a concurrent request between the lookup and the insert.
        existing = _experiment_named(state, namespace, name)
        if existing is None:
            raise conflict(f"an experiment named '{name}' already exists") from exc
        return experiment_json(existing)
    return experiment_json(row)


def get_experiment_row(state: ServerState, experiment_id: str) -> ExperimentRow:
    """The experiment, or 404."""
    with state.store.session() as session:
        row = session.get(ExperimentRow, experiment_id)
    if row is None:
        raise not_found(f"no experiment '{experiment_id}'")
    return row


@router.get("/experiments/{experiment_id}")
def get_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """One experiment."""
    return experiment_json(get_experiment_row(state_of(request), experiment_id))


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
    query = select(ExperimentRow)
    if namespace:
        query = query.where(ExperimentRow.namespace == namespace)
    return list_response(
        state_of(request).store,
        query,
        key="experiments",
        columns=COLUMNS,
        tiebreak=ExperimentRow.id,
        to_json=experiment_json,
        filter=filter,
        sort_by=sort_by,
        page_token=page_token,
        page_size=page_size,
    )


def _set_storage(request: Request, experiment_id: str, storage: str) -> dict[str, Any]:
    state = state_of(request)
    get_experiment_row(state, experiment_id)
    with state.store.session() as session:
        session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id)
            .values(storage_state=storage)
        )
        if storage == "ARCHIVED":
            # As KFP: archiving an experiment archives its runs and stops its schedules.
            session.execute(
                update(RunRow)
                .where(RunRow.experiment_id == experiment_id)
                .values(storage_state="ARCHIVED")
            )
            session.execute(
                update(RecurringRunRow)
                .where(RecurringRunRow.experiment_id == experiment_id)
                .values(status="DISABLED")
            )
    if storage == "ARCHIVED" and state.scheduler is not None:
        state.scheduler.wake()
    return {}


@router.post("/experiments/{experiment_id}:archive")
def archive_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Archive an experiment, its runs, and disable its recurring runs."""
    return _set_storage(request, experiment_id, "ARCHIVED")


@router.post("/experiments/{experiment_id}:unarchive")
def unarchive_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Make an archived experiment available again (its runs stay archived, as in KFP)."""
    return _set_storage(request, experiment_id, "AVAILABLE")


@router.delete("/experiments/{experiment_id}")
def delete_experiment(experiment_id: str, request: Request) -> dict[str, Any]:
    """Delete an experiment; its runs are kept."""
    state = state_of(request)
    get_experiment_row(state, experiment_id)
    with state.store.session() as session:
        row = session.get(ExperimentRow, experiment_id)
        if row is not None:
            session.delete(row)
    return {}
