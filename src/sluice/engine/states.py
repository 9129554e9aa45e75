"""Run and task states, and the one place that says which transitions are legal."""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    """State of a pipeline run (names match KFP's ``RuntimeState``)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"

    @property
    def is_final(self) -> bool:
        """Whether the run has ended."""
        return self in _FINAL_RUN_STATES


class TaskState(str, Enum):
    """State of one task (a container, importer or DAG task, or a loop iteration).

    ``CACHED`` means the task's outputs were republished from an earlier execution
    without running it; ``SKIPPED`` means a condition or an upstream failure kept it
    from running.
    """

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    CACHED = "CACHED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"

    @property
    def is_final(self) -> bool:
        """Whether the task has ended."""
        return self in _FINAL_TASK_STATES

    @property
    def is_success(self) -> bool:
        """Whether the task produced its outputs (ran or came from the cache)."""
        return self in (TaskState.SUCCEEDED, TaskState.CACHED)


_FINAL_RUN_STATES = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELED})
_FINAL_TASK_STATES = frozenset(
    {TaskState.SUCCEEDED, TaskState.CACHED, TaskState.FAILED, TaskState.SKIPPED, TaskState.CANCELED}
)

_RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.PENDING: frozenset(
        {RunState.RUNNING, RunState.CANCELING, RunState.CANCELED, RunState.FAILED}
    ),
    # RUNNING -> RUNNING: resuming a run whose process died while it ran.
    RunState.RUNNING: frozenset(
        {
            RunState.RUNNING,
            RunState.SUCCEEDED,
            RunState.FAILED,
            RunState.CANCELING,
            RunState.CANCELED,
        }
    ),
    RunState.CANCELING: frozenset({RunState.CANCELED, RunState.FAILED, RunState.SUCCEEDED}),
    # A failed or canceled run may be retried: resumed at once (RUNNING) or queued again
    # on a server (PENDING).
    RunState.FAILED: frozenset({RunState.RUNNING, RunState.PENDING}),
    RunState.CANCELED: frozenset({RunState.RUNNING, RunState.PENDING}),
    RunState.SUCCEEDED: frozenset(),
}

_TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.PENDING: frozenset(
        {
            TaskState.RUNNING,
            TaskState.CACHED,
            TaskState.SKIPPED,
            TaskState.FAILED,
            TaskState.CANCELED,
        }
    ),
    # RUNNING -> RUNNING is a new attempt after a retryable failure.
    TaskState.RUNNING: frozenset(
        {
            TaskState.RUNNING,
            TaskState.SUCCEEDED,
            TaskState.FAILED,
            TaskState.CANCELED,
            TaskState.SKIPPED,
        }
    ),
    # A retried run re-runs what failed or was canceled.
    TaskState.FAILED: frozenset({TaskState.PENDING, TaskState.RUNNING}),
    TaskState.CANCELED: frozenset({TaskState.PENDING, TaskState.RUNNING}),
    TaskState.SUCCEEDED: frozenset(),
    TaskState.CACHED: frozenset(),
    TaskState.SKIPPED: frozenset({TaskState.PENDING}),
}


def can_transition_run(current: RunState, new: RunState) -> bool:
    """Whether a run may move from ``current`` to ``new``."""
    return new in _RUN_TRANSITIONS[current]


def can_transition_task(current: TaskState, new: TaskState) -> bool:
    """Whether a task may move from ``current`` to ``new``."""
    return new in _TASK_TRANSITIONS[current]
