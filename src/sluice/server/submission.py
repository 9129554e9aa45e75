"""Create runs for the API and the scheduler: one path from a request to a PENDING run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sluice.errors import InvalidArgumentError, InvalidPipelineError, NotFoundError
from sluice.server import services
from sluice.server.config import ServerState
from sluice.service.experiments import DEFAULT_EXPERIMENT
from sluice.store.models import ExperimentRow, RecurringRunRow, RunRow

__all__ = ["DEFAULT_EXPERIMENT", "resolve_experiment", "submit_recurring", "submit_run"]


def resolve_experiment(state: ServerState, experiment_id: str | None) -> ExperimentRow:
    """The experiment with this id (404 if unknown), or the default one when None/empty."""
    return services.experiments(state).resolve(experiment_id)


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
    labels: dict[str, str] | None = None,
    location: str | None = None,
    failure_policy: str | None = None,
) -> RunRow:
    """Validate and record a PENDING run, then wake the run manager.

    Raises:
        NotFoundError: an unknown experiment.
        UserInputError: the pipeline or the parameters are invalid (nothing is written).
    """
    return services.runs(state).create(
        pipeline=pipeline,
        parameters=parameters,
        pipeline_root=pipeline_root,
        display_name=display_name,
        description=description,
        experiment_id=experiment_id,
        pipeline_id=pipeline_id,
        pipeline_version_id=pipeline_version_id,
        recurring_run_id=recurring_run_id,
        scheduled_at=scheduled_at,
        service_account=service_account,
        enable_caching=enable_caching,
        labels=labels,
        location=location,
        failure_policy=failure_policy,
    )


def _recurring_source(
    state: ServerState, row: RecurringRunRow
) -> tuple[object, str | None, str | None]:
    """The pipeline a recurring run starts: its embedded spec, or its (latest) version."""
    if row.pipeline_spec:
        return row.pipeline_spec, None, None
    repo = services.pipelines(state).repo
    if row.pipeline_version_id:
        version = repo.get_version(row.pipeline_version_id)
    else:
        version = repo.latest_version(row.pipeline_id or "")
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
            # A Vertex schedule's jobs: in its location, with its labels and failure policy.
            labels=dict(row.labels or {}),
            location=row.location,
            failure_policy=config.get("failure_policy") or None,
        )
    except NotFoundError as exc:
        # The scheduler treats bad input as "this slot is handled"; an unknown experiment
        # is that.
        raise InvalidArgumentError(str(exc)) from exc
