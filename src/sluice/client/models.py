"""Public, read-only views of runs and tasks returned by the Python API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sluice.errors import (
    ComponentError,
    ComponentTraceback,
    RunCanceledError,
    RunFailedError,
    RunNotFoundError,
)

# Tasks that run user code; a failed DAG/loop only reports that a child failed.
_LEAF_KINDS = ("container", "importer")
_FINAL_RUN_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"})


@dataclass(frozen=True, kw_only=True)
class TaskFailure:
    """Why a task's component failed, as recorded on its last attempt.

    Attributes:
        exit_code: the component's exit code (None if it never ran to an exit).
        exception_type: the type of the uncaught Python exception (``ValueError``), or None
            when the component raised none that Sluice saw (a shell command, a container).
        message: the exception's message, or the one-line reason (``exit code 3: ...``).
        traceback: the component's own traceback (none of Sluice's or kfp's frames), or the
            last lines of its log when it raised no Python exception.
        output: the last lines the component's function printed before it raised, if known.
    """

    exit_code: int | None
    exception_type: str | None
    message: str
    traceback: str | None
    output: str | None = None

    @classmethod
    def from_record(cls, data: dict[str, Any] | None) -> TaskFailure | None:
        """The failure stored on a task row (``TaskRow.error_details``), if any."""
        if not data:
            return None
        code = data.get("exit_code")
        return cls(
            exit_code=code if isinstance(code, int) else None,
            exception_type=data.get("exception_type") or None,
            message=str(data.get("message") or ""),
            traceback=data.get("traceback") or None,
            output=data.get("output") or None,
        )


@dataclass(frozen=True, kw_only=True)
class TaskRun:
    """One task of a run as recorded in the store.

    Attributes:
        id: the task's id in the store.
        name: the task's name in the compiled pipeline (``train``, ``for-loop-2``).
        path: unique path inside the run: parent DAG tasks joined by ``/``, loop
            iterations as ``[i]`` (``for-loop-2[1]/square``).
        display_name: the name shown to users (``set_display_name`` or the task name).
        kind: ``container``, ``importer``, ``dag``, ``loop``, ``iteration`` or ``condition``.
        state: ``PENDING``, ``RUNNING``, ``SUCCEEDED``, ``CACHED``, ``FAILED``, ``SKIPPED``
            or ``CANCELED``.
        attempts: how many times the component was started (0 for cache hits and DAGs).
        inputs: resolved input parameters; input artifacts as ``dsl.Artifact`` objects.
        outputs: output parameters; output artifacts as ``dsl.Artifact`` objects.
        log_path: file with the last attempt's stdout and stderr, if the task ran.
        error: why the task failed or was skipped, if it did.
        image: the container image the component names.
        resources: requested cpu/memory/accelerator as recorded.
        started_at / finished_at: when the task started and ended (UTC).
        failure: why the component failed (exception, its own traceback), if it did.
        notices: things worth knowing about how it ran (an image that was not used, ...).
    """

    id: str
    name: str
    path: str
    display_name: str
    kind: str
    state: str
    attempts: int
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    log_path: Path | None
    error: str | None
    image: str | None
    resources: dict[str, Any]
    started_at: datetime | None
    finished_at: datetime | None
    cached_from: str | None = None
    failure: TaskFailure | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        """Seconds between start and end, if both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True, kw_only=True)
class Run:
    """A pipeline run as recorded in the store.

    Attributes:
        id: the run's unique id.
        name: the run's name (``<pipeline>-<timestamp>`` unless given).
        pipeline_name: ``pipelineInfo.name`` of the pipeline.
        state: ``PENDING``, ``RUNNING``, ``SUCCEEDED``, ``FAILED``, ``CANCELING`` or ``CANCELED``.
        error: for a failed run, the failing task and its exception.
        arguments: the pipeline parameters the run was started with.
        outputs: pipeline outputs: parameters as Python values, artifacts as
            ``dsl.Artifact`` objects; a single output is keyed ``"Output"``.
        tasks: every task of the run, in creation order.
        pipeline_root: where the run's artifacts live.
    """

    id: str
    name: str
    pipeline_name: str
    state: str
    error: str | None
    arguments: dict[str, Any]
    outputs: dict[str, Any]
    tasks: list[TaskRun] = field(default_factory=list)
    pipeline_root: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def duration(self) -> float | None:
        """Seconds between start and end, if both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def tasks_named(self, name: str) -> list[TaskRun]:
        """All tasks whose name, display name or path is ``name`` (loop bodies give several)."""
        return [t for t in self.tasks if name in (t.name, t.path, t.display_name)]

    def task(self, name: str) -> TaskRun:
        """The one task called ``name`` (task name, path or display name).

        Raises:
            RunNotFoundError: no task or more than one task has that name.
        """
        by_path = [t for t in self.tasks if t.path == name]
        found = by_path or self.tasks_named(name)
        if len(found) == 1:
            return found[0]
        if not found:
            known = ", ".join(sorted({t.path for t in self.tasks}))
            raise RunNotFoundError(f"run {self.name} has no task '{name}' (tasks: {known})")
        paths = ", ".join(t.path for t in found)
        raise RunNotFoundError(f"'{name}' names several tasks ({paths}); use a path")

    def failed_task(self) -> TaskRun | None:
        """The task to blame for a failed run: the one its error names, else the first to fail.

        Several tasks can fail (iterations of one loop often do); the run's error names the
        first that failed (``task 'for-loop-2[1]/train' failed: ...``), which need not be the
        first created, so the task is found by its path in that error, never by its name.
        """
        failed = [t for t in self.tasks if t.state == "FAILED"]
        leaves = [t for t in failed if t.kind in _LEAF_KINDS]
        candidates = leaves or failed
        if not candidates:
            return None
        error = self.error or ""
        for task in candidates:
            if error.startswith(f"task '{task.path}' failed"):
                return task
        # A run error written otherwise (older runs, internal errors): the first task to fail.
        ended = [(t.finished_at, i) for i, t in enumerate(candidates) if t.finished_at is not None]
        return candidates[min(ended)[1]] if ended else candidates[0]

    def raise_for_state(self) -> Run:
        """Raise if the run ended without succeeding; return the run otherwise.

        A run that has not ended yet (``PENDING``, ``RUNNING``, ``CANCELING``) raises
        nothing: wait for it first (``handle.result()`` does).

        Raises:
            ComponentError: the run FAILED because a component did; ``__cause__`` is a
                :class:`~sluice.errors.ComponentTraceback` with the component's own traceback.
            RunFailedError: the run FAILED (or was SKIPPED) with no component to blame.
            RunCanceledError: the run was CANCELED.
        """
        if self.state == "SUCCEEDED" or self.state not in _FINAL_RUN_STATES:
            return self
        where: dict[str, Any] = {"run_id": self.id, "run_name": self.name, "state": self.state}
        if self.state == "CANCELED":
            raise RunCanceledError(f"run {self.name} was canceled", **where)
        task = self.failed_task() if self.state == "FAILED" else None
        if task is None or (task.failure is None and not task.error):
            reason = self.error or "no task failed"
            raise RunFailedError(f"run {self.name} {self.state}: {reason}", **where)
        failure = task.failure
        if failure is None:
            raise ComponentError(task.path, task.error or "", attempts=task.attempts, **where)
        error = ComponentError(
            task.path,
            task.error or failure.message,
            failure.traceback,
            exception_type=failure.exception_type,
            exit_code=failure.exit_code,
            output=failure.output,
            attempts=task.attempts,
            **where,
        )
        cause = ComponentTraceback(
            failure.message, exception_type=failure.exception_type, traceback=failure.traceback
        )
        raise error from cause
