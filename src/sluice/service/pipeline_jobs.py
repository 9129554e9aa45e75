"""Runs as Vertex AI PipelineJobs: create, get, list and delete within a location.

A PipelineJob *is* a run: :meth:`PipelineJobService.create` records it with
:meth:`RunService.create` (so it is executed, listed and shown like every run), with the
job id as the run's name and Vertex's labels, location (``projects/{p}/locations/{l}``)
and failure policy kept on the run. A run started any other way has no location and is
a PipelineJob of every location; a run created through Vertex's API belongs to its own.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from sluice.config import Settings
from sluice.errors import RunNotFoundError
from sluice.service.experiments import ExperimentService
from sluice.service.runs import RunDetails, RunExecutor, RunService
from sluice.store import metadata_queries
from sluice.store.metadata_queries import Page
from sluice.store.models import ArtifactRow, ContextRow, RunRow
from sluice.store.repository import Store
from sluice.store.run_filters import list_pipeline_jobs
from sluice.store.runs import RunRepository

__all__ = ["Page", "PipelineJobService"]


class PipelineJobService:
    """The runs of one store, seen from one Vertex AI location at a time.

    Args:
        store: the store.
        settings: where artifacts go and the defaults of new runs.
        executor: what executes runs in the background (see :class:`RunService`).
    """

    def __init__(
        self, store: Store, settings: Settings, executor: RunExecutor | None = None
    ) -> None:
        self.store = store
        self.runs = RunService(store, settings, executor)
        self.repo = RunRepository(store)

    def create(
        self,
        *,
        location: str,
        pipeline_spec: dict[str, Any],
        parameters: Mapping[str, Any],
        job_id: str | None = None,
        display_name: str | None = None,
        pipeline_root: str | None = None,
        labels: Mapping[str, str] | None = None,
        failure_policy: str | None = None,
        service_account: str | None = None,
    ) -> RunRow:
        """Validate and record a PENDING run for a PipelineJob (in the Default experiment).

        Raises:
            UserInputError: the spec, a parameter or the job id is invalid (nothing is
                written).
            RunNameTakenError: a run already has this job id.
        """
        return self.runs.create(
            pipeline=pipeline_spec,
            parameters=dict(parameters),
            pipeline_root=pipeline_root,
            display_name=display_name,
            service_account=service_account,
            run_name=job_id,
            labels=dict(labels or {}),
            location=location,
            failure_policy=failure_policy,
        )

    def get(self, location: str, job_id: str) -> RunRow:
        """The run named ``job_id`` (or with that id) that ``location`` can see.

        Raises:
            RunNotFoundError: there is none.
        """
        row = self.repo.by_name(job_id) or self.repo.get(job_id)
        if row is None or row.location not in (None, location):
            raise RunNotFoundError(
                f"no pipeline job '{job_id}' in {location}; PipelineJob.list() shows them"
            )
        return row

    def list(
        self,
        location: str,
        *,
        filter: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[RunRow]:
        """One page of the runs ``location`` sees, matching a Vertex ``filter``.

        Raises:
            InvalidFilterError: the filter or order names an unknown field or does not parse.
        """
        return list_pipeline_jobs(
            self.store,
            filter,
            order_by,
            location=location,
            limit=limit,
            page_token=page_token,
        )

    def details(self, row: RunRow) -> RunDetails:
        """The run with its tasks, their attempts and its history."""
        return self.repo.details(row)

    def artifacts(self, ids: Iterable[int]) -> dict[int, ArtifactRow]:
        """The artifacts with these ids (those still in the store)."""
        return self.store.get_artifacts(builtins.list(ids))

    def contexts(self, row: RunRow) -> tuple[ContextRow | None, ContextRow | None]:
        """The run's pipeline context and its own (PipelineRun) context."""
        found = []
        for context_id in (row.pipeline_context_id, row.run_context_id):
            found.append(
                None if context_id is None else metadata_queries.get_context(self.store, context_id)
            )
        return found[0], found[1]

    async def cancel(self, location: str, job_id: str) -> None:
        """Stop the job's run (nothing happens to one that has ended)."""
        await self.runs.cancel(self.get(location, job_id).id)

    def delete(self, location: str, job_id: str) -> None:
        """Delete the job's run (not while it executes).

        Raises:
            FailedPreconditionError: the run is active and something executes it.
        """
        self.runs.delete(self.get(location, job_id).id)

    def join_experiment(self, row: RunRow, experiment: str) -> None:
        """Put the run in the experiment of this name (created if missing)."""
        found = ExperimentService(self.store).create(experiment)
        self.repo.join_experiment(row.id, found.id, found.display_name)

    def run_of_context(self, context: ContextRow) -> RunRow | None:
        """The run whose PipelineRun context this is, if any."""
        if context.type != "system.PipelineRun":
            return None
        return self.repo.get(context.name)
