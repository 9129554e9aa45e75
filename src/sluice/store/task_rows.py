"""A task's row before it is written: its values, its held-back moves, and the row the
engine keeps (see :mod:`sluice.store.gate` on deferred rows and held moves)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluice.states import INITIAL_TASK_STATES, IllegalTransitionError, TaskState
from sluice.store.base import detached_row
from sluice.store.models import TaskRow, utcnow
from sluice.store.run_writes import new_id


def task_values(
    *,
    run_id: str,
    parent_id: str | None,
    name: str,
    path: str,
    display_name: str,
    kind: str,
    component_name: str,
    state: TaskState = TaskState.PENDING,
    iteration_index: int | None = None,
    error: str | None = None,
    image: str | None = None,
    resources: dict[str, Any] | None = None,
    finished: bool = False,
) -> dict[str, Any]:
    """Every column of a new task's row (a new id, created now), checked: the row to insert.

    Raises:
        IllegalTransitionError: ``state`` is not a state a task may start in.
    """
    state = TaskState(state)
    if state not in INITIAL_TASK_STATES:
        raise IllegalTransitionError(f"a task cannot be created {state.value}")
    now = utcnow()
    # Every column, so the row built from them (attached to no session) is complete.
    return {
        "id": new_id(),
        "run_id": run_id,
        "parent_id": parent_id,
        "name": name,
        "path": path,
        "display_name": display_name,
        "kind": kind,
        "component_name": component_name,
        "iteration_index": iteration_index,
        "state": state.value,
        "attempts": 0,
        "inputs": {},
        "outputs": {},
        "fingerprint": None,
        "cached_from_task_id": None,
        "image": image,
        "resources": resources or {},
        "error": error,
        "error_details": None,
        "notices": [],
        "log_path": None,
        "created_at": now,
        "started_at": None,
        "finished_at": now if finished else None,
    }


@dataclass(frozen=True)
class DeferredMove:
    """A move of a task whose row is held back (``Store.defer_transition_task``)."""

    to: TaskState
    message: str | None
    at: datetime
    fields: dict[str, Any]


@dataclass(frozen=True)
class HeldMove:
    """A move of a task held for the next transaction (``Store.hold_transition_task``)."""

    task_id: str
    to: TaskState
    message: str | None
    at: datetime
    fields: dict[str, Any]


@dataclass(frozen=True)
class HeldExecutionEnd:
    """An execution's end held for the next transaction (``Store.hold_finish_execution``).

    ``fingerprint`` is its cache key's: a cache lookup that could find it writes it first.
    """

    execution_id: int
    fingerprint: str | None
    at: datetime
    fields: dict[str, Any]


@dataclass(frozen=True)
class HeldCacheHit:
    """A cache hit held for the next transaction (``Store.hold_cache_hit``): the task's
    move to CACHED and then its CACHED execution (``execution``: the arguments of
    ``Transaction.create_execution``), ended when the move was made. One item, so that a
    transaction takes both or neither."""

    move: HeldMove
    execution: dict[str, Any]


# What a Store holds for its next transaction, in order.
Held = HeldMove | HeldExecutionEnd | HeldCacheHit


# The key of a held-back row's DeferredMove among its values (not a column).
DEFERRED_MOVE = "__deferred_move__"


def move_fields(
    fields: dict[str, Any], to: TaskState, *, started: bool, finished: bool, now: datetime
) -> None:
    """Add what every move of a task writes beside ``fields``: its state and times."""
    if started:
        fields["started_at"] = now
        fields["finished_at"] = None
    if finished:
        fields["finished_at"] = now
    fields["state"] = to.value


def detached_task_row(values: dict[str, Any]) -> TaskRow:
    """A TaskRow of ``values`` (every column), attached to no session (``detached_row``:
    ``TaskRow(**values)`` costs ten times as much, twice for every task of a loop
    iteration)."""
    return detached_row(TaskRow, values)
