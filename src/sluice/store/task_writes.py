"""The task-rows half of a :class:`~sluice.store.gate.Transaction`: inserting a task's row
with its creation's history row, and the deferred rows.

A container task's row can be created *deferred* (:func:`~sluice.store.task_rows.task_values`
builds it, ``Store.create_task(deferred=True)`` holds it): it is then inserted, with its
PENDING history row, by the first write that names the task, in that write's transaction,
so a task's creation and its start (or its cache hit) cost one commit, not two; when that
write is the task's first move, the row is inserted already moved (the gate checks the
move against the state table first), with its creation's and its move's history rows. A
held-back row can be moved too (``Store.defer_transition_task``: a loop iteration's start):
the move is checked at once and written with the row.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from sluice.events import Event, TaskStateChanged
from sluice.states import TaskState
from sluice.store.hot import HotStatement
from sluice.store.models import TaskRow
from sluice.store.task_rows import DEFERRED_MOVE, DeferredMove, detached_task_row, task_values

_TASKS = cast(Table, TaskRow.__table__)
# On SQLite it runs on the DBAPI cursor, compiled once (sluice.store.hot).
_INSERT_TASK = HotStatement(insert(_TASKS))


class TaskWrites:
    """Task row inserts on a transaction's ``connection`` (the gate makes the moves)."""

    connection: Connection
    pending: list[Event]
    _unwritten: dict[str, dict[str, Any]]
    wrote_deferred: list[dict[str, Any]]

    def _history(
        self, run_id: str, task_id: str | None, state: str, message: str | None, at: datetime
    ) -> int:
        """Write one history row; its id (:class:`~sluice.store.gate.Transaction`)."""
        raise NotImplementedError

    def _moved(
        self,
        found: Any,
        task_id: str,
        to: TaskState,
        message: str | None,
        now: datetime,
        fields: dict[str, Any],
    ) -> TaskStateChanged:
        """A move's history row and events (:class:`~sluice.store.gate.Transaction`)."""
        raise NotImplementedError

    def create_task(self, **task: Any) -> TaskRow:
        """Record a new task with its first history row; see ``Store.create_task``."""
        values = task_values(**task)
        self._insert_task(values)
        return detached_task_row(values)

    def write_deferred(self, task_id: str | None) -> None:
        """Insert the task's deferred row (see the module docstring), if it has one."""
        values = self._unwritten.pop(task_id, None) if task_id is not None else None
        if values is None:
            return
        self.wrote_deferred.append(values)
        move: DeferredMove | None = values.get(DEFERRED_MOVE)
        if move is None:
            self._insert_task(values)
            return
        # Its move, made while it was held back: inserted already moved (as in
        # transition_task), with its move's history row stamped when it was made.
        found = self._insert_task(values, moved=move.fields)
        self._moved(found, values["id"], move.to, move.message, move.at, move.fields)

    def _insert_task(
        self, values: dict[str, Any], moved: dict[str, Any] | None = None
    ) -> SimpleNamespace:
        """Insert a new row (its creation's history row and event too); what a move's
        event reads of it.

        ``moved``: the fields of the row's first move (already checked against the state
        table), written by the same INSERT. The caller writes the move's history row: the
        task's history is its creation, then the move, as if an UPDATE had followed, and
        one statement is saved on every container task's start or cache hit.
        """
        # A child's row needs its parent's (a foreign key).
        self.write_deferred(values["parent_id"])
        if moved is not None:
            row = {k: v for k, v in values.items() if k != DEFERRED_MOVE}
            row.update(moved)
        _INSERT_TASK.execute(self.connection, values if moved is None else row)
        seq = self._history(
            values["run_id"], values["id"], values["state"], values["error"], values["created_at"]
        )
        state = TaskState(values["state"])
        # The event reads four fields; an ORM row would cost more than the INSERT itself.
        fields = SimpleNamespace(
            run_id=values["run_id"],
            path=values["path"],
            display_name=values["display_name"],
            kind=values["kind"],
            attempts=values["attempts"],
        )
        self.pending.append(
            task_event(
                seq,
                values["run_id"],
                values["id"],
                fields,
                state,
                values["error"],
                values["created_at"],
            )
        )
        if moved is not None:
            fields.attempts = moved.get("attempts", values["attempts"])
        return fields


def task_event(
    seq: int,
    run_id: str,
    task_id: str,
    task: Any,
    state: TaskState,
    message: str | None,
    at: datetime | None,
) -> TaskStateChanged:
    """The event of a task's history row; ``task`` is its row or the gate's RETURNING."""
    return TaskStateChanged(
        seq=seq,
        run_id=run_id,
        task_id=task_id,
        path=task.path,
        display_name=task.display_name,
        kind=task.kind,
        state=state,
        attempt=task.attempts or 0,
        message=message,
        at=at,
    )
