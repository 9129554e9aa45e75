"""Run and task states, and the one table that says which transitions are legal.

The store's transition gate (:meth:`sluice.store.repository.Store.transition_run` and
:meth:`~sluice.store.repository.Store.transition_task`) checks every state change
against these tables, so this module imports nothing of Sluice's but its errors: the
store, the engine, the server and the clients all import it without a cycle.
"""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Any, TypeVar

from sluice.errors import InvalidArgumentError, SluiceError


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
        return self in FINAL_RUN_STATES

    @property
    def is_active(self) -> bool:
        """Whether the run is waiting, executing or being canceled."""
        return self in ACTIVE_RUN_STATES


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
        return self in FINAL_TASK_STATES

    @property
    def is_success(self) -> bool:
        """Whether the task produced its outputs (ran or came from the cache)."""
        return self in SUCCESS_TASK_STATES


class FailurePolicy(str, Enum):
    """What a run does once one of its tasks failed (``RunRow.failure_policy``).

    ``FAIL_FAST`` (the default, KFP's behaviour): no new task starts in the DAG or loop
    of the failed task; tasks already running finish. ``FAIL_SLOW`` (Vertex AI's
    ``PIPELINE_FAILURE_POLICY_FAIL_SLOW``): every task that does not depend on the failed
    one still starts and runs to its end. Either way the run ends FAILED.
    """

    FAIL_FAST = "FAIL_FAST"
    FAIL_SLOW = "FAIL_SLOW"

    @classmethod
    def parse(cls, value: str) -> FailurePolicy:
        """``"fast"``/``"slow"`` (the Vertex SDK's words) or a member's name.

        Raises:
            InvalidArgumentError: anything else.
        """
        key = value.strip().upper()
        key = key if key.startswith("FAIL_") else f"FAIL_{key}"
        try:
            return cls(key)
        except ValueError:
            raise InvalidArgumentError(
                f"failure_policy {value!r} is invalid; use 'fast' (the default) or 'slow'"
            ) from None


class IllegalTransitionError(SluiceError):
    """A state change the transition table forbids; the store wrote nothing.

    This is a bug in Sluice (the engine or a front door asked for a move the table does
    not allow), never the user's input: it keeps its traceback.
    """


FINAL_RUN_STATES = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELED})
ACTIVE_RUN_STATES = frozenset({RunState.PENDING, RunState.RUNNING, RunState.CANCELING})
FINAL_TASK_STATES = frozenset(
    {TaskState.SUCCEEDED, TaskState.CACHED, TaskState.FAILED, TaskState.SKIPPED, TaskState.CANCELED}
)
SUCCESS_TASK_STATES = frozenset({TaskState.SUCCEEDED, TaskState.CACHED})

# The states a run or task may be created in (the first row of its history).
INITIAL_RUN_STATES = frozenset({RunState.PENDING})
# A task is created SKIPPED when a condition or an upstream failure keeps it from running.
INITIAL_TASK_STATES = frozenset({TaskState.PENDING, TaskState.SKIPPED})

RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
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

TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.PENDING: frozenset(
        {
            TaskState.RUNNING,
            TaskState.CACHED,
            TaskState.SKIPPED,
            TaskState.FAILED,
            TaskState.CANCELED,
        }
    ),
    # RUNNING -> RUNNING is a new attempt after a retryable failure. There is no
    # RUNNING -> PENDING: a task found RUNNING when its run is executed again was left
    # by a dead process, and is first recorded CANCELED ("abandoned", see
    # Store.abandon_attempts); it then goes CANCELED -> PENDING like any canceled task.
    TaskState.RUNNING: frozenset(
        {
            TaskState.RUNNING,
            TaskState.SUCCEEDED,
            TaskState.FAILED,
            TaskState.CANCELED,
            TaskState.SKIPPED,
        }
    ),
    # A retried run re-runs what failed or was canceled; if its upstream fails this time,
    # it is skipped instead.
    TaskState.FAILED: frozenset({TaskState.PENDING, TaskState.RUNNING, TaskState.SKIPPED}),
    TaskState.CANCELED: frozenset({TaskState.PENDING, TaskState.RUNNING, TaskState.SKIPPED}),
    TaskState.SUCCEEDED: frozenset(),
    TaskState.CACHED: frozenset(),
    TaskState.SKIPPED: frozenset({TaskState.PENDING}),
}


_S = TypeVar("_S", RunState, TaskState)


def _sources(table: dict[_S, frozenset[_S]]) -> dict[_S, tuple[str, ...]]:
    """For each target state, the states that may move to it (what the gate's UPDATE
    matches on), as stored strings."""
    return {
        target: tuple(sorted(src.value for src, targets in table.items() if target in targets))
        for target in table
    }


RUN_SOURCES: dict[RunState, tuple[str, ...]] = _sources(RUN_TRANSITIONS)
TASK_SOURCES: dict[TaskState, tuple[str, ...]] = _sources(TASK_TRANSITIONS)


def can_transition_run(current: RunState, new: RunState) -> bool:
    """Whether a run may move from ``current`` to ``new``."""
    return new in RUN_TRANSITIONS[current]


def can_transition_task(current: TaskState, new: TaskState) -> bool:
    """Whether a task may move from ``current`` to ``new``."""
    return new in TASK_TRANSITIONS[current]


def illegal_steps(history: list[str], *, task: bool) -> list[tuple[str | None, str]]:
    """The steps of one recorded state history the tables forbid (empty if it is legal).

    ``history`` is a run's (``task=False``) or a task's states in recorded order; the
    first must be an initial state (reported as ``(None, first)`` if it is not).
    """
    if not history:
        return []
    table: dict[Any, frozenset[Any]] = TASK_TRANSITIONS if task else RUN_TRANSITIONS
    initial: frozenset[Any] = INITIAL_TASK_STATES if task else INITIAL_RUN_STATES
    kind: type[Enum] = TaskState if task else RunState
    bad: list[tuple[str | None, str]] = []
    if kind(history[0]) not in initial:
        bad.append((None, history[0]))
    for before, after in itertools.pairwise(history):
        if kind(after) not in table[kind(before)]:
            bad.append((before, after))
    return bad
