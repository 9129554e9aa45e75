"""Everything one executing run shares: its spec, store, executor and settings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.config import Settings
from sluice.engine.model import ArtifactRef, TaskResult
from sluice.engine.staging import is_remote
from sluice.engine.states import TaskState
from sluice.events import TaskNotice, TaskStateChanged
from sluice.executors.base import Executor
from sluice.names import safe_component, safe_task_path, under
from sluice.spec.placeholders import JobContext, local_path_for_uri
from sluice.store.models import ArtifactRow, TaskRow
from sluice.store.repository import Store


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
    # Tasks already in the store for this run, by path: a resumed or retried run reuses
    # the ones that finished instead of running them again.
    existing: dict[str, TaskRow] = field(default_factory=dict)
    # Images a notice was given about in this run: one notice per image per run.
    noticed_images: set[str] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        """Limits how many task processes run at once (created inside the event loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_parallel_tasks)
        return self._slots

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
            workspace_path=str(self.settings.home / "workspaces" / self.run_id),
        )

    def task_root(self, path: str) -> str:
        """Where a task's output artifacts go: ``<pipeline_root>/<run name>/<task path>``.

        Every name in it is a safe path component, and the result is checked to stay
        under the pipeline root: a task named ``../x`` in an uploaded spec writes nowhere
        else.
        """
        run_dir = safe_component(self.run_name)
        if not path:
            return under(self.pipeline_root, run_dir) + "/"
        return under(self.pipeline_root, run_dir, safe_task_path(path))

    @property
    def remote_root(self) -> bool:
        """Whether artifacts live in an object store (staged locally for tasks)."""
        return is_remote(self.pipeline_root)

    @property
    def staging_dir(self) -> Path:
        """Local copies of a remote-rooted run's artifacts."""
        return self.settings.home / "staging" / self.run_id

    def local_task_root(self, path: str) -> Path:
        """Where a task writes its outputs on this machine."""
        if self.remote_root:
            return Path(under(str(self.staging_dir), safe_task_path(path)))
        return Path(local_path_for_uri(self.task_root(path)))

    def attempt_dir(self, path: str, attempt: int) -> Path:
        """Scratch directory of one attempt: log, parameter output files, work dir."""
        run_dir = str(self.settings.runs_dir / safe_component(self.run_id))
        return Path(under(run_dir, safe_task_path(path), f"attempt-{attempt}"))

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
