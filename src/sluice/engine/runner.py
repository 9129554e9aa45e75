"""Creating a run in the store, and executing (or resuming) a stored run."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.config import Settings
from sluice.engine.context import RunContext, json_ready
from sluice.engine.dag import run_dag
from sluice.engine.handlers import HANDLERS
from sluice.engine.model import ArtifactRef, Scope, artifact_ids
from sluice.engine.outputs import dag_outputs
from sluice.engine.states import RunState, can_transition_run
from sluice.errors import InvalidArgumentError, RunBusyError, RunNameTakenError
from sluice.executors import registry
from sluice.executors.base import Executor
from sluice.executors.registry import container_executor_name
from sluice.names import check_run_name, run_name_prefix
from sluice.spec.loader import LoadedPipeline
from sluice.states import FailurePolicy
from sluice.store.locks import lock_run
from sluice.store.models import RunRow
from sluice.store.repository import Store, as_utc

# Why an attempt found RUNNING when a run is executed again did not end (docs/semantics.md).
ABANDONED_REASON = "the process executing the run died during this attempt"


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How a run executes; stored with the run so a resumed run behaves the same.

    Attributes:
        enable_caching: True/False override every task's compiled setting; None keeps them.
        cache_max_age: cache entries older than this are not used.
        executor: the name of the executor that runs the tasks (:mod:`sluice.executors`);
            a resumed run uses the same one.
        max_parallel_tasks: task processes running at once, across the whole run.
    """

    enable_caching: bool | None = None
    cache_max_age: timedelta | None = None
    executor: str = "local"
    max_parallel_tasks: int = 16

    def to_json(self) -> dict[str, Any]:
        """The options as stored."""
        return {
            "enable_caching": self.enable_caching,
            "cache_max_age": None
            if self.cache_max_age is None
            else self.cache_max_age.total_seconds(),
            "executor": self.executor,
            "max_parallel_tasks": self.max_parallel_tasks,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunOptions:
        """Options read back from the store."""
        age = data.get("cache_max_age")
        executor = data.get("executor")
        if not isinstance(executor, str):
            # Runs recorded before executors had names: `use_container` meant Docker/Podman.
            executor = container_executor_name() if data.get("use_container") else "local"
        return cls(
            enable_caching=data.get("enable_caching"),
            cache_max_age=None if age is None else timedelta(seconds=float(age)),
            executor=executor,
            max_parallel_tasks=int(data.get("max_parallel_tasks", 16)),
        )


def default_run_name(pipeline_name: str) -> str:
    """``<pipeline>-<UTC timestamp>-<8 hex>``, like Vertex job ids.

    The pipeline part is made a valid run name (:func:`sluice.names.run_name_prefix`).
    32 random bits make two names of one pipeline in one second collide about once in
    four billion pairs; :func:`create_run` retries with a new name if that ever happens,
    so a busy server never answers 409 for a name it chose itself.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{run_name_prefix(pipeline_name)}-{stamp}-{secrets.token_hex(4)}"


# Generated names that may collide before giving up; each retry draws 32 new bits.
_NAME_ATTEMPTS = 8

# The parsed pipelines of the runs this process created lately, by run id: executing one of
# them here (`sluice run`, the Python API) takes it instead of parsing the stored spec back
# (a third of a small cached run). A run's spec never changes once recorded, so the two are
# the same; each is taken once. Bounded, because a server's API process creates runs that
# its worker process executes (and parses).
_CREATED: OrderedDict[str, LoadedPipeline] = OrderedDict()
_CREATED_MAX = 8
_CREATED_LOCK = threading.Lock()


def _remember_created(run_id: str, loaded: LoadedPipeline) -> None:
    with _CREATED_LOCK:
        _CREATED[run_id] = loaded
        while len(_CREATED) > _CREATED_MAX:
            _CREATED.popitem(last=False)


def _stored_pipeline(store: Store, run: RunRow) -> LoadedPipeline:
    """The run's pipeline: the one this process created it with, else parsed from the store."""
    with _CREATED_LOCK:
        loaded = _CREATED.pop(run.id, None)
    if loaded is not None:
        return loaded
    stored = store.run_pipeline_spec(run.id)
    assert stored is not None, run.id
    return LoadedPipeline.from_dict(stored)


def create_run(
    store: Store,
    loaded: LoadedPipeline,
    arguments: dict[str, Any],
    *,
    pipeline_root: str,
    run_name: str | None,
    options: RunOptions,
    experiment: str | None = None,
    display_name: str | None = None,
    fields: dict[str, Any] | None = None,
) -> RunRow:
    """Record a validated run as PENDING (in ``experiment``, if given).

    ``display_name`` need not be unique (KFP's is not); ``name`` is. ``fields`` sets other
    run columns (the server's KFP fields).

    Raises:
        InvalidArgumentError: ``run_name`` is not a valid run name (nothing is written).
        RunNameTakenError: another run has the name ``run_name`` (nothing is written).
    """
    if run_name is not None:
        check_run_name(run_name)
    for attempt in range(_NAME_ATTEMPTS):
        name = run_name or default_run_name(loaded.name)
        try:
            row = store.create_run(
                name=name,
                display_name=display_name or name,
                pipeline_name=loaded.name,
                pipeline_spec=loaded.to_dict(),
                arguments=json_ready(arguments),
                pipeline_root=pipeline_root,
                options=options.to_json(),
                state=RunState.PENDING,
                experiment=experiment,
                **(fields or {}),
            )
            _remember_created(row.id, loaded)
            return row
        except RunNameTakenError:
            # The user's own name is theirs to change; a generated one we draw again.
            if run_name is not None or attempt == _NAME_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _input_artifacts(
    store: Store, run: RunRow, spec: pipeline_spec_pb2.PipelineSpec
) -> dict[str, list[ArtifactRef]]:
    """Pipeline-level input artifacts given as a uri or ``{"uri", "metadata"}``."""
    found: dict[str, list[ArtifactRef]] = {}
    for name, definition in spec.root.input_definitions.artifacts.items():
        given = run.arguments.get(name)
        if given is None:
            continue
        items = given if isinstance(given, list) else [given]
        refs = []
        for item in items:
            uri = item if isinstance(item, str) else str(item["uri"])
            metadata = {} if isinstance(item, str) else dict(item.get("metadata") or {})
            title = definition.artifact_type.schema_title or "system.Artifact"
            version = definition.artifact_type.schema_version or "0.0.1"
            artifact_id = store.create_artifact(
                uri=uri,
                name=name,
                schema_title=title,
                schema_version=version,
                metadata=metadata,
                run_id=run.id,
                producer_task_id=None,
            )
            refs.append(
                ArtifactRef(
                    id=artifact_id,
                    name=name,
                    uri=uri,
                    schema_title=title,
                    schema_version=version,
                    metadata=metadata,
                )
            )
        found[name] = refs
    return found


async def execute_run(
    store: Store,
    run_id: str,
    *,
    settings: Settings,
    executor: Executor | None = None,
    leave_running_on_cancel: Callable[[], bool] | None = None,
) -> RunState:
    """Execute a stored run to its end; tasks that already finished are not run again.

    The tasks run in ``executor`` if given (it is closed when the run stops), else in a new
    one of the executor the run's options name (:func:`sluice.executors.get`).

    Whoever executes a run holds its lock (see :mod:`sluice.store.locks`) until it stops,
    so no two processes ever execute one run. Attempts still RUNNING in the store when the
    lock is taken were left by a process that died: they are recorded as abandoned
    (execution CANCELED, ``how="abandoned"``) and their tasks run again.

    Every state change goes through the store's transition gate, which publishes it on
    ``store.events`` (:mod:`sluice.events`) once committed.

    A cancelled run is recorded CANCELED, unless ``leave_running_on_cancel`` returns True
    at that moment: then it stays RUNNING (a server stopping gracefully resumes it on
    restart).

    Raises:
        RunBusyError: another process (or thread) is executing the run.
        UnknownExecutorError: no executor has the name the run's options give.
        ExecutorError: the executor could not be created.
    """
    # The spec column is read only if this process did not create the run (_stored_pipeline).
    stored = store.get_run(run_id, pipeline_spec=False)
    assert stored is not None, run_id
    try:
        lock = lock_run(store.engine, stored.id, stored.name)
    except RunBusyError:
        if executor is not None:
            await executor.aclose()  # it is ours to close, as it would be after the run
        raise
    with lock:
        return await _execute_locked(
            store,
            stored.id,
            settings=settings,
            executor=executor,
            leave_running_on_cancel=leave_running_on_cancel,
        )


async def _execute_locked(
    store: Store,
    run_id: str,
    *,
    settings: Settings,
    executor: Executor | None,
    leave_running_on_cancel: Callable[[], bool] | None,
) -> RunState:
    # Read again under the lock: the run's last owner may have finished it meanwhile.
    run = store.get_run(run_id, pipeline_spec=False)
    assert run is not None, run_id
    # Holding the lock, nobody else runs this run's attempts: any still RUNNING is dead.
    store.abandon_attempts(run.id, ABANDONED_REASON)
    loaded = _stored_pipeline(store, run)
    options = RunOptions.from_json(run.options or {})
    if executor is None:
        executor = registry.get(options.executor, settings)
    created = as_utc(run.created_at) or datetime.now(timezone.utc)
    ctx = RunContext(
        store=store,
        settings=settings,
        executor=executor,
        run_id=run.id,
        run_name=run.name,
        run_display_name=run.display_name,
        pipeline_name=run.pipeline_name,
        pipeline_root=run.pipeline_root,
        created_at=created,
        spec=loaded.spec,
        deployment=loaded.deployment,
        enable_caching=options.enable_caching,
        cache_max_age=options.cache_max_age,
        max_parallel_tasks=options.max_parallel_tasks,
        fail_fast=run.failure_policy != FailurePolicy.FAIL_SLOW,
        existing={t.path: t for t in store.tasks_of_run(run.id)},
    )
    if not can_transition_run(RunState(run.state), RunState.RUNNING):
        raise InvalidArgumentError(f"run {run.name} is {run.state}; it cannot be executed again")
    store.transition_run(run.id, RunState.RUNNING, started=True)
    root = loaded.spec.root
    parameters = {
        k: v for k, v in run.arguments.items() if k not in root.input_definitions.artifacts
    }
    scope = Scope(parameters=parameters, artifacts=_input_artifacts(store, run, loaded.spec))
    try:
        result = await run_dag(ctx, root, scope, handlers=HANDLERS)
    except asyncio.CancelledError:
        if leave_running_on_cancel is None or not leave_running_on_cancel():
            store.transition_run(run.id, RunState.CANCELED, error="canceled", finished=True)
        else:
            store.flush_held()  # the run goes on later: what ended is recorded ended
        raise
    except Exception as exc:
        # Never leave a run RUNNING: record the engine's own failure, then surface it.
        store.transition_run(
            run.id,
            RunState.FAILED,
            finished=True,
            error=f"sluice internal error: {exc.__class__.__name__}: {exc}",
        )
        raise
    finally:
        await executor.aclose()
    if result.ok:
        out_params, out_artifacts = dag_outputs(root, scope.results)
        store.transition_run(
            run.id,
            RunState.SUCCEEDED,
            finished=True,
            outputs={
                "parameters": json_ready(out_params),
                "artifacts": artifact_ids(out_artifacts),
            },
        )
        return RunState.SUCCEEDED
    error = f"task '{result.failed_task}' failed: {result.error}"
    store.transition_run(run.id, RunState.FAILED, error=error, finished=True)
    return RunState.FAILED
