"""Everything one executing run shares: its spec, store, executor and settings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.config import Settings
from sluice.engine.layout import RunLayout
from sluice.engine.model import ArtifactRef, TaskResult
from sluice.engine.states import TaskState
from sluice.events import TaskNotice, TaskStateChanged
from sluice.executors.base import Executor
from sluice.spec.placeholders import JobContext
from sluice.store.models import ArtifactRow, TaskRow
from sluice.store.repository import Store, Transaction

_T = TypeVar("_T")

# How long a held move (a loop iteration's end) may wait for another write to take it.
HELD_MOVES_SECONDS = 0.05


@dataclass(kw_only=True)
class RunContext:
    """The shared state of one executing run."""

    store: Store
    settings: Settings
    executor: Executor
    run_id: str
    # The run's unique object name (Go's RunName, the Argo workflow's name) and the name a
    # person gave it (Go's RunDisplayName; the server's display_name).
    run_name: str
    run_display_name: str
    pipeline_name: str
    pipeline_root: str
    created_at: datetime
    spec: pipeline_spec_pb2.PipelineSpec
    # The IR keeps the deployment spec as a Struct; it is parsed once per run.
    deployment: pipeline_spec_pb2.PipelineDeploymentConfig
    enable_caching: bool | None = None
    cache_max_age: timedelta | None = None
    max_parallel_tasks: int = 16
    # The run's failure policy: fail fast (KFP's, the default) starts no new task in a DAG
    # or loop once one of its tasks failed; fail slow (Vertex's PIPELINE_FAILURE_POLICY_
    # FAIL_SLOW) keeps starting the tasks that do not depend on the failed one.
    fail_fast: bool = True
    # Tasks already in the store for this run, by path: a resumed or retried run reuses
    # the ones that finished instead of running them again.
    existing: dict[str, TaskRow] = field(default_factory=dict)
    # Images a notice was given about in this run: one notice per image per run.
    noticed_images: set[str] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None
    _flush: asyncio.TimerHandle | None = None
    # Starts due in this turn of the event loop, committed together (start_soon).
    _starts: list[tuple[Callable[[Transaction], Any], asyncio.Future[Any]]] = field(
        default_factory=list
    )
    # The graphs of the run's DAGs, by id of their DagSpec (sluice.engine.dag.dag_plan).
    dag_plans: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    # Each container's expanded command line (sluice.engine.executor_input.resolve_command).
    command_shapes: dict[Any, Any] = field(default_factory=dict)
    # Where this run's files live (attempt directories, task output roots).
    layout: RunLayout = field(init=False)

    def __post_init__(self) -> None:
        self.layout = RunLayout(
            settings=self.settings,
            run_id=self.run_id,
            run_name=self.run_name,
            pipeline_root=self.pipeline_root,
        )

    @property
    def slots(self) -> asyncio.Semaphore:
        """Limits how many task processes run at once (created inside the event loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_parallel_tasks)
        return self._slots

    def flush_soon(self) -> None:
        """Write the store's held moves within ``HELD_MOVES_SECONDS``, if no other write
        takes them first (see ``Store.hold_transition_task``)."""
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                HELD_MOVES_SECONDS, self._flush_held
            )

    def _flush_held(self) -> None:
        self._flush = None
        self.store.flush_held()

    def start_soon(self, write: Callable[[Transaction], _T]) -> asyncio.Future[_T]:
        """Commit ``write`` (an attempt's start) once the tasks ready in this turn of the
        event loop have asked too: the starts due at once share one transaction.

        The future is the write's result once it has committed (its error if it failed);
        cancelled before its turn, nothing of it is written. When a write of a group fails,
        the group rolls back and each write is made again alone, so one refused start
        fails only its own task.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._starts.append((write, future))
        if len(self._starts) == 1:
            loop.call_soon(self._commit_starts)
        return future

    def _commit_starts(self) -> None:
        due = [(write, future) for write, future in self._starts if not future.cancelled()]
        self._starts = []
        if len(due) > 1:
            try:
                with self.store.transaction() as tx:
                    results = [write(tx) for write, _ in due]
            except Exception:  # rolled back: each is made again alone, just below
                pass
            except BaseException:
                for _, waiting in due:  # rolled back, and nothing is written again
                    waiting.cancel()
                raise
            else:
                for (_, future), result in zip(due, results, strict=True):
                    future.set_result(result)
                return
        for index, (write, future) in enumerate(due):
            try:
                with self.store.transaction() as tx:
                    result = write(tx)
            except Exception as exc:
                future.set_exception(exc)
            except BaseException:
                # Leaving the loop (KeyboardInterrupt, SystemExit): no start still waiting
                # may wait forever; none of those was written.
                for _, waiting in due[index:]:
                    if not waiting.done():
                        waiting.cancel()
                raise
            else:
                future.set_result(result)

    def show_waiting(self, record: TaskRow) -> None:
        """Write a held-back task's row, PENDING, as it starts waiting for a process slot.

        Not inside a held-back parent (a loop iteration none of whose tasks has started):
        that would show the iteration RUNNING before anything in it runs, and cost a commit
        per waiting task of a wide loop, whose window (``ITERATIONS_PER_SLOT``) keeps
        such waits short anyway.
        """
        if record.parent_id is None or not self.store.is_held_back(record.parent_id):
            self.store.write_deferred_task(record.id)

    def notice(self, started: TaskStateChanged, message: str) -> None:
        """Tell live views a line about the attempt that just ``started`` (one event)."""
        self.store.events.publish(
            TaskNotice(
                seq=started.seq,
                run_id=started.run_id,
                task_id=started.task_id,
                path=started.path,
                display_name=started.display_name,
                kind=started.kind,
                message=message,
            )
        )

    def job_context(self, *, task_name: str, task_id: str) -> JobContext:
        """Values of the ``{{$.pipeline_job_*}}`` and task placeholders for one task."""
        # RFC 3339 in whole seconds, as Go formats the workflow's creation timestamp.
        created = self.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        # Go driver: job name = display name, resource name = object name, uuid = run id.
        return JobContext(
            job_name=self.run_display_name,
            job_resource_name=self.run_name,
            job_uuid=self.run_id,
            task_name=task_name,
            task_uuid=task_id,
            pipeline_root=self.pipeline_root,
            create_time_utc=created,
            schedule_time_utc=created,
            workspace_path=str(self.layout.workspace_dir),
        )

    def caching_enabled_for(self, task: pipeline_spec_pb2.PipelineTaskSpec) -> bool:
        """Run-level ``enable_caching`` wins over the compiled setting when it is not None."""
        if self.enable_caching is not None:
            return self.enable_caching
        return bool(task.caching_options.enable_cache)

    def artifact_refs(self, ids: dict[str, list[int]]) -> dict[str, list[ArtifactRef]]:
        """Load stored artifacts back into refs (resuming, cache hits)."""
        rows = self.store.get_artifacts([i for group in ids.values() for i in group])
        return {
            name: [ref_from_row(rows[i]) for i in group if i in rows] for name, group in ids.items()
        }

    def stored_result(self, row: TaskRow) -> TaskResult:
        """The result of a task that finished earlier (resume, retry)."""
        outputs = row.outputs or {}
        return TaskResult(
            state=TaskState(row.state),
            task_id=row.id,
            parameters=dict(outputs.get("parameters", {})),
            artifacts=self.artifact_refs(outputs.get("artifacts", {})),
        )

    def newer_than(self) -> datetime | None:
        """Oldest cache entry still usable under ``cache_max_age``."""
        if self.cache_max_age is None:
            return None
        return datetime.now(timezone.utc) - self.cache_max_age


def ref_from_row(row: ArtifactRow) -> ArtifactRef:
    """An artifact row as an in-memory ref."""
    return ArtifactRef(
        id=row.id,
        name=row.name,
        uri=row.uri,
        schema_title=row.schema_title,
        schema_version=row.schema_version,
        metadata=dict(row.metadata_ or {}),
    )


def json_ready(value: Any) -> Any:
    """Values stored as JSON must not hold tuples or other non-JSON types."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value
