"""Test helpers: put a run or task in a state the legal way, through the store's gate.

The store refuses to create a run or task in any state but its initial ones, and every
move must be in the transition table; fixtures that need, say, a SUCCEEDED task walk it
there from PENDING as the engine would.
"""

from __future__ import annotations

from typing import Any

from sluice.states import RunState, TaskState
from sluice.store.repository import Store

_RUN_PATHS: dict[RunState, list[RunState]] = {
    RunState.PENDING: [],
    RunState.RUNNING: [RunState.RUNNING],
    RunState.SUCCEEDED: [RunState.RUNNING, RunState.SUCCEEDED],
    RunState.FAILED: [RunState.RUNNING, RunState.FAILED],
    RunState.CANCELING: [RunState.RUNNING, RunState.CANCELING],
    RunState.CANCELED: [RunState.RUNNING, RunState.CANCELED],
}

_TASK_PATHS: dict[TaskState, list[TaskState]] = {
    TaskState.PENDING: [],
    TaskState.RUNNING: [TaskState.RUNNING],
    TaskState.SUCCEEDED: [TaskState.RUNNING, TaskState.SUCCEEDED],
    TaskState.CACHED: [TaskState.CACHED],
    TaskState.FAILED: [TaskState.RUNNING, TaskState.FAILED],
    TaskState.CANCELED: [TaskState.RUNNING, TaskState.CANCELED],
    TaskState.SKIPPED: [TaskState.SKIPPED],
}


def move_run(store: Store, run_id: str, to: RunState | str, **last: Any) -> None:
    """Walk a PENDING run to ``to``; ``last`` goes with the final move."""
    path = _RUN_PATHS[RunState(to)]
    for i, state in enumerate(path):
        store.transition_run(run_id, state, **(last if i == len(path) - 1 else {}))


def move_task(store: Store, task_id: str, to: TaskState | str, **last: Any) -> None:
    """Walk a PENDING task to ``to``; ``last`` goes with the final move."""
    path = _TASK_PATHS[TaskState(to)]
    for i, state in enumerate(path):
        store.transition_task(task_id, state, **(last if i == len(path) - 1 else {}))


def illegal_histories(store: Store) -> list[str]:
    """Every recorded step of every run and task in the store the transition table forbids.

    Replays the ``state_transitions`` rows in the order they were written, one history per
    run and per task: the first state must be an initial one, and each next one a legal
    move from the one before.
    """
    from sqlalchemy import select

    from sluice.states import illegal_steps
    from sluice.store.models import StateTransitionRow

    histories: dict[tuple[str, str | None], list[str]] = {}
    with store.session() as session:
        rows = session.execute(
            select(
                StateTransitionRow.run_id, StateTransitionRow.task_id, StateTransitionRow.state
            ).order_by(StateTransitionRow.id)
        ).all()
    for run_id, task_id, state in rows:
        histories.setdefault((run_id, task_id), []).append(state)
    found = []
    for (run_id, task_id), history in histories.items():
        for before, after in illegal_steps(history, task=task_id is not None):
            what = f"task {task_id}" if task_id else "run"
            found.append(f"run {run_id} {what}: {before} -> {after} in {' -> '.join(history)}")
    return found
