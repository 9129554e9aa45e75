"""Create runs for the API and the scheduler: one path from a request to a PENDING run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sluice.client.local import prepare_run
from sluice.errors import InvalidArgumentError, InvalidPipelineError
from sluice.server.config import ServerState
from sluice.server.errors import ApiError, not_found
from sluice.store.models import (
    ExperimentRow,
    PipelineVersionRow,
    RecurringRunRow,
    RunRow,
    utcnow,
)
from sluice.store.repository import new_id

DEFAULT_EXPERIMENT = "Default"


def default_experiment(state: ServerState, namespace: str = "") -> ExperimentRow:
    """The "Default" experiment, created on first use as KFP does."""
    store = state.store
    with store.session() as session:
        row = session.scalar(
            select(ExperimentRow).where(
                ExperimentRow.namespace == namespace,
                ExperimentRow.display_name == DEFAULT_EXPERIMENT,
            )
        )
        if row is not None:
            return row
    try:
        with store.session() as session:
            row = ExperimentRow(id=new_id(), display_name=DEFAULT_EXPERIMENT, namespace=namespace)
            session.add(row)
        return row
    except IntegrityError:
        # Another request created it between the lookup and the insert.
        return default_experiment(state, namespace)


def resolve_experiment(state: ServerState, experiment_id: str | None) -> ExperimentRow:
    """The experiment with this id (404 if unknown), or the default one when None/empty."""
    if not experiment_id:
        return default_experiment(state)
    with state.store.session() as session:
        row = session.get(ExperimentRow, experiment_id)
    if row is None:
        raise not_found(
            f"no experiment '{experiment_id}'; GET /apis/v2beta1/experiments lists them"
        )
    return row


def submit_run(
    state: ServerState,
    *,
    pipeline: object,
    parameters: dict[str, Any],
    pipeline_root: str | None,
    display_name: str,
    description: str | None,
    experiment_id: str | None,
    pipeline_id: str | None = None,
    pipeline_version_id: str | None = None,
    recurring_run_id: str | None = None,
    scheduled_at: datetime | None = None,
    service_account: str | None = None,
    enable_caching: bool | None = None,
) -> RunRow:
    """Validate and record a PENDING run, then wake the run manager.

    Raises:
        ApiError: 404 for an unknown experiment.
        UserInputError: the pipeline or the parameters are invalid (nothing is written).
    """
    experiment = resolve_experiment(state, experiment_id)
    fields: dict[str, Any] = {
        "experiment_id": experiment.id,
        "description": description or None,
        "pipeline_id": pipeline_id,
        "pipeline_version_id": pipeline_version_id,
        "recurring_run_id": recurring_run_id,
        "scheduled_at": scheduled_at,
        "service_account": service_account or None,
        "namespace": experiment.namespace,
    }
    _store, row, _settings, _warnings = prepare_run(
        pipeline,
        parameters,
        pipeline_root=pipeline_root or None,
        enable_caching=enable_caching,
        experiment=experiment.display_name,
        display_name=display_name or None,
        run_fields=fields,
        settings=state.config.settings,
    )
    with state.store.session() as session:
        exp = session.get(ExperimentRow, experiment.id)
        if exp is not None:
            exp.last_run_created_at = row.created_at or utcnow()
    if state.manager is not None:
        state.manager.wake()
    return row


def _recurring_source(
    state: ServerState, row: RecurringRunRow
) -> tuple[object, str | None, str | None]:
    """The pipeline a recurring run starts: its embedded spec, or its (latest) version."""
    if row.pipeline_spec:
        return row.pipeline_spec, None, None
    with state.store.session() as session:
        if row.pipeline_version_id:
            version = session.get(PipelineVersionRow, row.pipeline_version_id)
        else:
            version = session.scalar(
                select(PipelineVersionRow)
                .where(PipelineVersionRow.pipeline_id == row.pipeline_id)
                .order_by(PipelineVersionRow.created_at.desc(), PipelineVersionRow.id.desc())
                .limit(1)
            )
    if version is None:
        raise InvalidPipelineError(
            f"recurring run '{row.display_name}': its pipeline version no longer exists"
        )
    return version.pipeline_spec, version.pipeline_id, version.id


def submit_recurring(state: ServerState, row: RecurringRunRow, slot: datetime) -> RunRow:
    """Start the run of one slot of a recurring run (the scheduler's ``submit``)."""
    pipeline, pipeline_id, version_id = _recurring_source(state, row)
    config = row.runtime_config or {}
    try:
        return submit_run(
            state,
            pipeline=pipeline,
            parameters=dict(config.get("parameters") or {}),
            pipeline_root=config.get("pipeline_root") or None,
            display_name=f"{row.display_name}-{slot:%Y%m%d%H%M%S}",
            description=row.description,
            experiment_id=row.experiment_id,
            pipeline_id=pipeline_id,
            pipeline_version_id=version_id,
            recurring_run_id=row.id,
            scheduled_at=slot,
            service_account=row.service_account,
        )
    except ApiError as exc:
        # The scheduler treats bad input as "this slot is handled"; an API error here is that.
        raise InvalidArgumentError(exc.message) from exc
