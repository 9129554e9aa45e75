"""The :class:`~sluice.store.repository.Store`'s tasks: creating, updating, reading, and
recording what a dead process left running.

A task's state changes only through the gate (:mod:`sluice.store.gate`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sluice.events import TaskStateChanged
from sluice.states import TASK_SOURCES, TaskState
from sluice.store.gate import Transaction, refused
from sluice.store.models import ExecutionRow, StateTransitionRow, TaskRow, utcnow
from sluice.store.task_rows import (
    DEFERRED_MOVE,
    DeferredMove,
    Held,
    HeldCacheHit,
    HeldExecutionEnd,
    HeldMove,
    detached_task_row,
    move_fields,
    task_values,
)

_TASKS = cast(Table, TaskRow.__table__)
# Every column of a run's tasks, built once (see sluice.store.gate on why).
_TASKS_OF_RUN = (
    select(_TASKS)
    .where(_TASKS.c.run_id == bindparam("run_id"))
    .order_by(_TASKS.c.created_at, _TASKS.c.path)
)


class TaskRecords:
    """Methods of :class:`sluice.store.repository.Store` for the ``tasks`` table."""

    _unwritten: dict[str, dict[str, Any]]  # provided by Store
    _held: list[Held]  # provided by Store

    def session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Transaction]:  # provided by Store
        raise NotImplementedError

    def reading(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    def transition_task(
        self,
        task_id: str,
        to: TaskState,
        *,
        message: str | None = None,
        started: bool = False,
        finished: bool = False,
        **fields: Any,
    ) -> TaskStateChanged:  # provided by Store
        raise NotImplementedError

    def create_task(
        self,
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
        deferred: bool = False,
    ) -> TaskRow:
        """Record a new task (its first history row, published as an event); returns the row.

        The row is attached to no session; every column is set. ``deferred``: nothing is
        written yet; the row and its history row are inserted by the first write of this
        Store that names the task (a move, an execution, an update, a child task), in that
        write's transaction, or by :meth:`write_deferred_task`. A process that dies before
        then leaves no row: the task had done nothing yet.

        Raises:
            IllegalTransitionError: ``state`` is not a state a task may start in.
        """
        if deferred:
            values = task_values(
                run_id=run_id,
                parent_id=parent_id,
                name=name,
                path=path,
                display_name=display_name,
                kind=kind,
                component_name=component_name,
                state=state,
                iteration_index=iteration_index,
                error=error,
                image=image,
                resources=resources,
                finished=finished,
            )
            self._unwritten[values["id"]] = values
            return detached_task_row(values)
        with self.transaction() as tx:
            return tx.create_task(
                run_id=run_id,
                parent_id=parent_id,
                name=name,
                path=path,
                display_name=display_name,
                kind=kind,
                component_name=component_name,
                state=state,
                iteration_index=iteration_index,
                error=error,
                image=image,
                resources=resources,
                finished=finished,
            )

    def hold_transition_task(
        self,
        task_id: str,
        to: TaskState,
        *,
        message: str | None = None,
        started: bool = False,
        finished: bool = False,
        **fields: Any,
    ) -> None:
        """Move a task with this Store's next transaction, whichever it is, or at
        :meth:`flush_held`: first in it, stamped now, through the gate as ever.

        For a move nothing acts on until something is written anyway: a loop iteration's
        end is read only by its loop's own end (a later transaction) and by views, so it
        joins the next task's start instead of costing a commit of its own. A process that
        dies first leaves the task as it was (RUNNING, with every task in it ended): a
        resumed run finds those tasks done and ends it again.
        """
        self._held.append(_held_move(task_id, to, message, started, finished, fields))

    def hold_finish_execution(
        self,
        execution_id: int,
        *,
        fingerprint: str | None,
        state: str,
        output_parameters: dict[str, Any] | None = None,
        output_artifacts: dict[str, list[int]] | None = None,
        exit_code: int | None = None,
        how: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record how an execution ended with this Store's next transaction, or at
        :meth:`flush_held`, stamped now (see :meth:`hold_transition_task`).

        For an attempt's end with its task's move to SUCCEEDED: nothing acts on them
        before the next write (the next task's start commits them before its process
        starts; the run's end commits them; a cache lookup that could find this execution
        writes them first, :meth:`holds_execution_end`), so a chain's task costs one commit
        instead of two. A process that dies first leaves the attempt as one killed before
        its end was recorded: a resume records it abandoned and runs the task again, and
        nothing had used its outputs.
        """
        fields: dict[str, Any] = {
            "state": state,
            "output_parameters": output_parameters,
            "output_artifacts": output_artifacts,
            "exit_code": exit_code,
            "how": how,
            "error": error,
        }
        self._held.append(
            HeldExecutionEnd(
                execution_id=execution_id, fingerprint=fingerprint, at=utcnow(), fields=fields
            )
        )

    def hold_cache_hit(
        self, task_id: str, *, message: str, fields: dict[str, Any], execution: dict[str, Any]
    ) -> None:
        """Record a cache hit with this Store's next transaction, or at :meth:`flush_held`:
        the task's move to CACHED (with ``fields``, started and finished now) and then its
        CACHED execution (``execution``: the arguments of ``Transaction.create_execution``,
        ``outputs`` included), stamped now (see :meth:`hold_transition_task`).

        Nothing acts on a hit before the next write: no process has started on it (the
        next task's start commits it first, as its DAG's end and the run's end do), and
        its outputs are the reused execution's, already committed. So a fully cached chain
        commits a few times in all instead of once per task. A process that dies first
        leaves the task as it was; a resume looks it up again and finds the same hit.
        """
        move = _held_move(task_id, TaskState.CACHED, message, True, True, dict(fields))
        self._held.append(HeldCacheHit(move=move, execution=execution))

    def holds_execution_end(self, fingerprint: str) -> bool:
        """Whether an execution with this cache fingerprint has its end held (a cache
        lookup for it must write the held ends first)."""
        return any(
            isinstance(held, HeldExecutionEnd) and held.fingerprint == fingerprint
            for held in list(self._held)  # another thread's transaction may take one
        )

    def flush_held(self) -> None:
        """Write the held moves now (a no-op without any)."""
        if self._held:
            with self.transaction():
                pass  # the transaction writes them first

    def is_held_back(self, task_id: str) -> bool:
        """Whether the task's row was created ``deferred`` and is not written yet."""
        return task_id in self._unwritten

    def write_deferred_task(self, task_id: str) -> None:
        """Insert the task's deferred row now (a no-op if it has none or it is written)."""
        if task_id in self._unwritten:
            with self.transaction() as tx:
                tx.write_deferred(task_id)

    def defer_transition_task(
        self,
        task_id: str,
        to: TaskState,
        *,
        message: str | None = None,
        started: bool = False,
        finished: bool = False,
        **fields: Any,
    ) -> None:
        """Move a task whose row is held back (created ``deferred``) with its row: the
        move is checked now and written, with its history row and event, by the write
        that inserts the row (a child task's start inserts its parent's first).

        So a sub-DAG's start (a loop iteration's RUNNING) commits with its first task's,
        before that task's process starts, and a task shows RUNNING only once something in
        it has started. A task whose row is written, or that already has a held-back
        move, moves at once (:meth:`transition_task`).

        Raises:
            IllegalTransitionError: its state may not move to ``to``; nothing is kept.
        """
        to = TaskState(to)
        values = self._unwritten.get(task_id)
        if values is None or DEFERRED_MOVE in values:
            self.transition_task(
                task_id, to, message=message, started=started, finished=finished, **fields
            )
            return
        if values["state"] not in TASK_SOURCES[to]:
            raise refused("task", task_id, values["state"], to.value)
        now = utcnow()
        move_fields(fields, to, started=started, finished=finished, now=now)
        values[DEFERRED_MOVE] = DeferredMove(to=to, message=message, at=now, fields=fields)

    def update_task(self, task_id: str, **fields: Any) -> None:
        """Change a task's fields other than its state (that is :meth:`transition_task`'s).

        Raises:
            TypeError: ``state`` is among the fields.
        """
        if "state" in fields:
            raise TypeError("a task's state changes only through Store.transition_task")
        with self.transaction() as tx:
            tx.write_deferred(task_id)
            # A plain UPDATE: loading the row first would double the cost of the write.
            tx.connection.execute(update(TaskRow).where(TaskRow.id == task_id).values(**fields))

    def tasks_of_run(self, run_id: str) -> list[TaskRow]:
        """Every task of a run, in creation order, attached to no session.

        One Core query, its rows built as the ORM builds a loaded row
        (``detached_task_row``): the ORM's loading (a session, its identity map, an
        instance state per row) cost more than the query, on every run's read-back.
        """
        with self.reading() as connection:
            rows = connection.execute(_TASKS_OF_RUN, {"run_id": run_id}).mappings().all()
        return [detached_task_row(dict(row)) for row in rows]

    def task_state_counts(self, run_ids: list[str]) -> dict[str, dict[str, int]]:
        """For each of these runs, how many of its container and importer tasks are in
        each state: one grouped query for a whole page of runs, not one per run (a DAG
        task's state repeats its children's, so it is not counted)."""
        counts: dict[str, dict[str, int]] = {run_id: {} for run_id in run_ids}
        if not run_ids:
            return counts
        with self.session() as session:
            query = (
                select(TaskRow.run_id, TaskRow.state, func.count())
                .where(TaskRow.run_id.in_(run_ids), TaskRow.kind.in_(("container", "importer")))
                .group_by(TaskRow.run_id, TaskRow.state)
            )
            for run_id, state, count in session.execute(query).all():
                counts[run_id][state] = int(count)
        return counts

    def state_history(self, run_id: str, task_id: str | None = None) -> list[StateTransitionRow]:
        """State changes of a run (``task_id=None``: the run's own) in order."""
        query = select(StateTransitionRow).where(StateTransitionRow.run_id == run_id)
        query = (
            query.where(StateTransitionRow.task_id == task_id)
            if task_id
            else query.where(StateTransitionRow.task_id.is_(None))
        )
        with self.session() as session:
            return list(session.scalars(query.order_by(StateTransitionRow.id)).all())

    def abandon_attempts(self, run_id: str, reason: str) -> int:
        """Record what a dead process left RUNNING in a run as abandoned; returns how many
        attempts (executions) it left.

        Each execution still RUNNING becomes CANCELED with ``how="abandoned"`` and
        ``reason`` as its error. Each task still RUNNING becomes CANCELED through the
        transition gate, with "attempt N abandoned: <reason>" in its history if it had an
        attempt, else "abandoned: <reason>" (a sub-DAG, a loop or an importer caught
        before its execution began); it runs again, CANCELED -> PENDING -> RUNNING, when
        the run does. Call it only while holding the run's lock
        (:func:`sluice.store.locks.lock_run`): then no live process is running them.
        """
        now = utcnow()
        running = TaskState.RUNNING.value
        with self.transaction() as tx:
            connection = tx.connection
            found = connection.execute(
                select(ExecutionRow.id, ExecutionRow.task_id, ExecutionRow.attempt).where(
                    ExecutionRow.run_id == run_id, ExecutionRow.state == running
                )
            ).all()
            if found:
                connection.execute(
                    update(ExecutionRow)
                    .where(ExecutionRow.id.in_([row.id for row in found]))
                    .values(state="CANCELED", how="abandoned", error=reason, finished_at=now)
                )
            last_attempt: dict[str, int] = {}
            for row in found:
                last_attempt[row.task_id] = max(row.attempt, last_attempt.get(row.task_id, 0))
            for task_id, attempt in last_attempt.items():
                # Killed between recording the execution and the task's attempt count:
                # the next attempt must still get a number of its own.
                connection.execute(
                    update(TaskRow)
                    .where(TaskRow.id == task_id, TaskRow.attempts < attempt)
                    .values(attempts=attempt)
                )
            left = connection.scalars(
                select(TaskRow.id).where(TaskRow.run_id == run_id, TaskRow.state == running)
            ).all()
            for task_id in left:
                number = last_attempt.get(task_id)
                message = (
                    f"attempt {number} abandoned: {reason}"
                    if number is not None
                    else f"abandoned: {reason}"
                )
                tx.transition_task(
                    task_id, TaskState.CANCELED, message=message, finished=True, error=message
                )
        return len(found)


def _held_move(
    task_id: str,
    to: TaskState,
    message: str | None,
    started: bool,
    finished: bool,
    fields: dict[str, Any],
) -> HeldMove:
    """A move held for the next transaction, ``fields`` completed and stamped now."""
    now = utcnow()
    move_fields(fields, TaskState(to), started=started, finished=finished, now=now)
    return HeldMove(task_id=task_id, to=TaskState(to), message=message, at=now, fields=fields)
