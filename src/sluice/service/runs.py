"""Runs: create from a pipeline and arguments, get, list, cancel, retry, resume, archive,
delete."""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sluice.config import Settings
from sluice.engine.context import json_ready
from sluice.engine.runner import RunOptions, create_run, execute_run
from sluice.engine.staging import check_pipeline_root
from sluice.errors import FailedPreconditionError, RunNotFoundError, UserInputError
from sluice.executors.base import Executor
from sluice.executors.registry import check_name, container_executor_name, resource_check
from sluice.service.experiments import ExperimentService
from sluice.service.stores import open_store
from sluice.spec.loader import load_pipeline
from sluice.spec.resources import check_resources
from sluice.spec.validate import check_pipeline, resolve_arguments
from sluice.states import ACTIVE_RUN_STATES, RunState
from sluice.store.listing import ListQuery, Page
from sluice.store.models import EXECUTED_BY_SERVER, ArtifactRow, RunRow, StateTransitionRow
from sluice.store.repository import Store
from sluice.store.runs import LIST_KEYS, RunDetails, RunRepository

__all__ = [
    "LIST_KEYS",
    "RunDetails",
    "RunExecutor",
    "RunService",
    "check_run_request",
    "creation_history",
    "default_parallelism",
    "open_store",
    "prepare_run",
]

_ACTIVE = tuple(ACTIVE_RUN_STATES)


def default_parallelism() -> int:
    """How many task processes a run keeps at once unless told otherwise."""
    # Task processes mostly wait on I/O or on each other; a few per core keeps a wide
    # ParallelFor moving without drowning a laptop.
    return max(8, 4 * (os.cpu_count() or 2))


def prepare_run(
    pipeline: object,
    arguments: Mapping[str, Any] | None = None,
    *,
    pipeline_root: str | os.PathLike[str] | None = None,
    enable_caching: bool | None = None,
    run_name: str | None = None,
    pipeline_name: str | None = None,
    cache_max_age: timedelta | None = None,
    allow_unsatisfiable_resources: bool = False,
    use_container: bool = False,
    max_parallel_tasks: int | None = None,
    experiment: str | None = None,
    display_name: str | None = None,
    run_fields: dict[str, Any] | None = None,
    settings: Settings | None = None,
    executor: str | None = None,
) -> tuple[Store, RunRow, Settings, list[str]]:
    """Load and validate a pipeline and record a PENDING run.

    Nothing is written unless every check passes. Returns the store, the run row,
    the settings and any warnings (unsatisfiable resources allowed, platform features).
    ``executor`` (default: ``docker``/``podman`` for ``use_container``, else the settings'
    executor) is stored with the run.
    """
    settings = settings or Settings.from_env()
    executor_name = _executor_name(executor, use_container, settings)
    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name)
    check_pipeline(loaded)
    resolved = resolve_arguments(loaded, arguments)
    cluster_check = resource_check(executor_name)  # an executor whose tasks run elsewhere
    if cluster_check is not None:
        warnings = cluster_check(
            loaded, settings, allow_unsatisfiable=allow_unsatisfiable_resources
        )
    else:
        warnings = check_resources(loaded, allow_unsatisfiable=allow_unsatisfiable_resources)
    root = (
        str(pipeline_root)
        if pipeline_root is not None
        else (loaded.spec.default_pipeline_root or str(settings.artifacts_dir))
    )
    if "://" not in root:
        root = str(Path(root).expanduser().absolute())
    check_pipeline_root(root)
    options = RunOptions(
        enable_caching=enable_caching,
        cache_max_age=cache_max_age,
        executor=executor_name,
        max_parallel_tasks=max_parallel_tasks or default_parallelism(),
    )
    store = open_store(settings)
    row = create_run(
        store,
        loaded,
        resolved,
        pipeline_root=root,
        run_name=run_name,
        options=options,
        experiment=experiment,
        display_name=display_name,
        fields=run_fields,
    )
    return store, row, settings, warnings


def _executor_name(name: str | None, use_container: bool, settings: Settings) -> str:
    """The executor a new run records (checked to exist).

    Raises:
        UnknownExecutorError: no executor has that name.
        UserInputError: ``use_container`` with an executor that is not a container one.
    """
    if use_container:
        if name is not None and name not in ("docker", "podman"):
            raise UserInputError(
                f"use_container (--use-container) means the docker or podman executor, not "
                f"'{name}'; give only one of them"
            )
        return name or container_executor_name()
    return check_name(name or settings.executor)


def check_run_request(
    pipeline: object,
    arguments: Mapping[str, Any] | None = None,
    *,
    pipeline_name: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a pipeline and its arguments as :func:`prepare_run` does, recording nothing.

    What a client runs before it submits to a server, so bad input fails fast and with
    the same messages as a local run. Returns the spec to submit (the compiled document
    when it has a platform spec, else its pipeline spec) and the arguments as JSON values.

    Raises:
        UserInputError: the pipeline or the arguments are invalid.
    """
    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name)
    check_pipeline(loaded)
    resolve_arguments(loaded, arguments)
    stored = loaded.to_dict()
    spec = stored if stored.get("platform_spec") else stored["pipeline_spec"]
    return spec, json_ready(dict(arguments or {}))


def creation_history(row: RunRow) -> list[StateTransitionRow]:
    """The state history of a run just created: its first row, written with it.

    ``Store.create_run`` stamps that row with the run's ``created_at``, so an answer to a
    create needs no read of what it just wrote.
    """
    return [StateTransitionRow(run_id=row.id, task_id=None, state=row.state, at=row.created_at)]


class RunExecutor(Protocol):
    """What executes runs in the background (the server's run manager)."""

    def wake(self) -> None:
        """Look for PENDING runs to start."""

    async def terminate(self, run_id: str) -> Any:
        """Stop a run: CANCELING, then CANCELED once its tasks are stopped."""

    async def retry(self, run_id: str) -> Any:
        """Execute a FAILED or CANCELED run again."""


class RunService:
    """Runs of one store.

    Args:
        store: the store.
        settings: where artifacts go and the defaults of new runs.
        executor: what executes runs in the background; None when nothing does (then
            runs are only recorded, and a PENDING run is canceled directly).
    """

    def __init__(
        self, store: Store, settings: Settings, executor: RunExecutor | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor
        self.repo = RunRepository(store)

    def create(
        self,
        *,
        pipeline: object,
        parameters: dict[str, Any],
        pipeline_root: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        experiment_id: str | None = None,
        pipeline_id: str | None = None,
        pipeline_version_id: str | None = None,
        recurring_run_id: str | None = None,
        scheduled_at: datetime | None = None,
        service_account: str | None = None,
        enable_caching: bool | None = None,
        run_name: str | None = None,
        labels: dict[str, str] | None = None,
        location: str | None = None,
        failure_policy: str | None = None,
    ) -> RunRow:
        """Validate and record a PENDING run in an experiment, then wake the executor.

        ``pipeline`` is anything :func:`sluice.spec.loader.load_pipeline` takes (a spec
        dict, a compiled file, a ``@dsl.pipeline`` function); it is loaded and checked
        here, once. The run is written in one transaction (with the experiment's last-run
        time), and the server's worker executes it (``executed_by="server"``). ``run_name``
        is the run's unique id (generated when None); ``labels``, ``location`` and
        ``failure_policy`` are Vertex AI's PipelineJob fields (see ``RunRow``).

        Raises:
            NotFoundError: no experiment has ``experiment_id``.
            UserInputError: the pipeline or the parameters are invalid (nothing is written).
        """
        experiment = ExperimentService(self.store).resolve(experiment_id)
        fields: dict[str, Any] = {
            "experiment_id": experiment.id,
            "description": description or None,
            "pipeline_id": pipeline_id,
            "pipeline_version_id": pipeline_version_id,
            "recurring_run_id": recurring_run_id,
            "scheduled_at": scheduled_at,
            "service_account": service_account or None,
            "namespace": experiment.namespace,
            # The server's worker executes it, not this (the API's) process.
            "executed_by": EXECUTED_BY_SERVER,
            "labels": dict(labels or {}),
            "location": location,
            "failure_policy": failure_policy,
        }
        _store, row, _settings, _warnings = prepare_run(
            pipeline,
            parameters,
            run_name=run_name,
            pipeline_root=pipeline_root or None,
            enable_caching=enable_caching,
            experiment=experiment.display_name,
            display_name=display_name or None,
            run_fields=fields,
            settings=self.settings,
        )
        if self.executor is not None:
            self.executor.wake()
        return row

    def get(self, run_id: str) -> RunRow:
        """The run with exactly this id.

        Raises:
            RunNotFoundError: there is none.
        """
        row = self.repo.get(run_id)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'")
        return row

    def resolve(self, reference: str) -> RunRow:
        """The run a reference names: an id, a unique id prefix, a name or display name.

        Raises:
            RunNotFoundError: none matches.
            AmbiguousRunError: several do.
        """
        return self.store.resolve_run(reference)

    def history(self, run_id: str) -> builtins.list[StateTransitionRow]:
        """The run's own state history (not its tasks'), oldest first."""
        return self.store.state_history(run_id)

    def active_of_recurring(self, recurring_run_id: str) -> int:
        """How many runs a recurring run started are PENDING, RUNNING or CANCELING."""
        return self.repo.count_of_recurring(recurring_run_id, _ACTIVE)

    def of_slot(self, recurring_run_id: str, slot: datetime) -> str | None:
        """The id of the run a recurring run started for ``slot``, if any."""
        return self.repo.run_of_slot(recurring_run_id, slot)

    def details(self, run_id: str) -> RunDetails:
        """A run with its tasks, their attempts and its state history."""
        return self.repo.details(self.get(run_id))

    def artifacts(self, ids: Sequence[int]) -> dict[int, ArtifactRow]:
        """The artifacts with these ids (those a run's outputs and its tasks name), by id."""
        return self.store.get_artifacts(ids)

    def list(
        self,
        query: ListQuery,
        *,
        namespace: str | None = None,
        experiment_id: str | None = None,
    ) -> Page[RunRow]:
        """One page of runs (of one experiment and namespace, if given)."""
        return self.repo.page(query, namespace=namespace, experiment_id=experiment_id)

    async def cancel(self, run_id: str) -> None:
        """Stop a run: CANCELING, then CANCELED once its tasks are stopped.

        Nothing happens to a run that has ended.
        """
        row = self.get(run_id)
        if row.state not in _ACTIVE:
            return
        if self.executor is not None:
            await self.executor.terminate(run_id)
        elif row.state == RunState.PENDING.value:
            # Nothing executes runs here, so nothing else would ever cancel it.
            self.store.transition_run(run_id, RunState.CANCELED, finished=True)

    async def retry(self, run_id: str) -> None:
        """Run a FAILED or CANCELED run again; finished tasks keep their outputs.

        Raises:
            FailedPreconditionError: the run is not FAILED or CANCELED, or nothing here
                executes runs.
        """
        row = self.get(run_id)
        if row.state not in (RunState.FAILED.value, RunState.CANCELED.value):
            raise FailedPreconditionError(
                f"run '{run_id}' is {row.state}; only FAILED or CANCELED runs retry"
            )
        if self.executor is None:
            raise FailedPreconditionError(
                "this server does not execute runs (background execution is off)"
            )
        await self.executor.retry(run_id)

    async def resume(self, reference: str, *, executor: Executor) -> RunRow:
        """Execute an interrupted, failed or canceled run again, here, until it ends.

        Tasks that finished keep their outputs; attempts a dead process left RUNNING are
        recorded as abandoned. ``executor`` runs the attempts (the caller chooses it, as it
        chooses where the run executes); it is closed when the run ends. A SUCCEEDED run
        is returned as it is.

        Raises:
            RunNotFoundError / AmbiguousRunError: the reference names no run, or several.
            RunBusyError: another live process (or thread) is executing the run.
        """
        row = self.resolve(reference)
        if row.state == RunState.SUCCEEDED.value:
            await executor.aclose()
            return row
        await execute_run(self.store, row.id, settings=self.settings, executor=executor)
        return self.get(row.id)

    def archive(self, run_id: str) -> None:
        """Archive a run (lists still show it, as in KFP)."""
        self.get(run_id)
        self.repo.set_storage_state(run_id, "ARCHIVED")

    def unarchive(self, run_id: str) -> None:
        """Restore an archived run."""
        self.get(run_id)
        self.repo.set_storage_state(run_id, "AVAILABLE")

    def delete(self, run_id: str) -> None:
        """Delete a run that is not executing (its artifacts stay).

        Raises:
            FailedPreconditionError: the run is active and something executes it.
        """
        row = self.get(run_id)
        if row.state in _ACTIVE and self.executor is not None:
            raise FailedPreconditionError(
                f"run '{run_id}' is {row.state}; terminate it and wait until it is CANCELED"
            )
        self.store.delete_run(run_id)
