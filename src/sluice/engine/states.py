"""Run and task states (they live in :mod:`sluice.states`, which the store imports too)."""

from __future__ import annotations

from sluice.states import (
    ACTIVE_RUN_STATES,
    FINAL_RUN_STATES,
    FINAL_TASK_STATES,
    IllegalTransitionError,
    RunState,
    TaskState,
    can_transition_run,
    can_transition_task,
)

__all__ = [
    "ACTIVE_RUN_STATES",
    "FINAL_RUN_STATES",
    "FINAL_TASK_STATES",
    "IllegalTransitionError",
    "RunState",
    "TaskState",
    "can_transition_run",
    "can_transition_task",
]
