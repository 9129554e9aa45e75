"""The transition gate and the engine's hot writes, in SQLAlchemy Core.

Every run and task state change goes through :meth:`Transaction.transition_run` and
:meth:`Transaction.transition_task` (``Store.transition_run``/``transition_task`` open a
transaction for one move): one guarded ``UPDATE ... WHERE state IN (<legal sources>)``
checks the move against the table in :mod:`sluice.states` in the same statement that
makes it, the history row is written in the same transaction, and the change is published
on the store's event bus (:mod:`sluice.events`) once it has committed.

A :class:`Transaction` also groups the writes of one step of a task: recording an
attempt's execution with its move to RUNNING, its end with the move to SUCCEEDED, a cache
hit with its move to CACHED. A task's row may be held back until the first write naming
it (a *deferred* row, :mod:`sluice.store.task_writes`), and a written row's move that
nothing acts on before the next write can be held (``Store.hold_transition_task``: a loop
iteration's end; ``Store.hold_cache_hit``: a cache hit with its execution): the next
transaction writes it first (:func:`transaction`). Each group commits before the engine
acts on it outside the store (before a process starts, before the run or its DAG ends), so
a killed process still finds every state change it acted on. These
are Core statements on a plain connection: the ORM's unit of work and session
synchronisation cost several times the statements themselves on the engine's most frequent
writes; on SQLite the hottest of them skip Core's per-execution work too
(:mod:`sluice.store.hot`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sluice.events import Event, RunStateChanged, TaskLogAvailable, TaskStateChanged
from sluice.states import (
    RUN_SOURCES,
    TASK_SOURCES,
    IllegalTransitionError,
    RunState,
    TaskState,
)
from sluice.store.execution_writes import ExecutionWrites
from sluice.store.hot import HotStatement
from sluice.store.models import (
    RunRow,
    StateTransitionRow,
    TaskRow,
    utcnow,
)
from sluice.store.run_executions import MIRROR_STATE, mirror_parameters
from sluice.store.run_writes import RunWrites
from sluice.store.task_rows import (
    DEFERRED_MOVE,
    Held,
    HeldCacheHit,
    HeldExecutionEnd,
    move_fields,
)
from sluice.store.task_writes import TaskWrites, task_event

if TYPE_CHECKING:
    from sluice.events import EventBus

_RUNS = cast(Table, RunRow.__table__)
_TASKS = cast(Table, TaskRow.__table__)
_HISTORY = cast(Table, StateTransitionRow.__table__)


# The hot statements are built once, with their values as parameters of the execution: the
# SET and VALUES clauses follow the parameters' keys, and SQLAlchemy's compiled cache keeps
# one compilation per set of keys. Building a statement per call with ``.values(...)``
# (coercing every value into a bound parameter, then computing its cache key) cost more
# than running it.
_TASK_ID = "gate_task_id"
# On SQLite it runs on the DBAPI cursor, compiled once (sluice.store.hot).
_INSERT_HISTORY = HotStatement(insert(_HISTORY))


@functools.cache
def _move_task_statement(to: TaskState) -> HotStatement:
    """The guarded UPDATE of a task's move to ``to``: legal only from ``TASK_SOURCES[to]``."""
    return HotStatement(
        update(_TASKS)
        .where(_TASKS.c.id == bindparam(_TASK_ID), _TASKS.c.state.in_(TASK_SOURCES[to]))
        .returning(
            _TASKS.c.run_id, _TASKS.c.path, _TASKS.c.display_name, _TASKS.c.kind, _TASKS.c.attempts
        )
    )


class Transaction(TaskWrites, ExecutionWrites, RunWrites):
    """Writes that commit together; their events are published after the commit.

    Beside the gate (here): task rows (:mod:`sluice.store.task_writes`), executions
    (:mod:`sluice.store.execution_writes`) and a run's creation
    (:mod:`sluice.store.run_writes`).

    Get one from ``Store.transaction()``. Nothing is published if the transaction rolls
    back; an :class:`IllegalTransitionError` raised by a move rolls back everything
    written in it.
    """

    def __init__(
        self,
        connection: Connection,
        run_contexts: dict[str, set[int]],
        events: EventBus,
        unwritten: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.connection = connection
        self._run_contexts = run_contexts
        self._bus = events
        self.pending: list[Event] = []
        # Deferred task rows (shared with the Store), and those this transaction wrote: they
        # go back to ``unwritten`` if it rolls back.
        self._unwritten: dict[str, dict[str, Any]] = {} if unwritten is None else unwritten
        self.wrote_deferred: list[dict[str, Any]] = []

    # -- the gate ---------------------------------------------------------------------------

    def transition_run(
        self,
        run_id: str,
        to: RunState,
        *,
        error: str | None = None,
        outputs: dict[str, Any] | None = None,
        started: bool = False,
        finished: bool = False,
        reopened: bool = False,
    ) -> RunStateChanged:
        """Move a run to ``to``, if the table allows it; see ``Store.transition_run``."""
        to = RunState(to)
        now = utcnow()
        values: dict[str, Any] = {"state": to.value}
        if error is not None or finished or reopened:
            values["error"] = error
        if outputs is not None:
            values["outputs"] = outputs
        if started:
            values["started_at"] = func.coalesce(_RUNS.c.started_at, now)
        if started or reopened:
            values["finished_at"] = None
        if finished:
            values["finished_at"] = now
        # The check is the UPDATE's own WHERE: no read first, no race between them.
        moved = self.connection.execute(
            update(_RUNS)
            .where(_RUNS.c.id == run_id, _RUNS.c.state.in_(RUN_SOURCES[to]))
            .values(**values)
            .returning(_RUNS.c.id)
        ).one_or_none()
        if moved is None:
            current = self.connection.scalar(select(_RUNS.c.state).where(_RUNS.c.id == run_id))
            raise refused("run", run_id, current, to.value)
        # The run's system.Run execution follows its state (get_experiment_df reads it):
        # every server run has one from its creation, a local run once it joins a Vertex
        # AI experiment (sluice.store.run_executions); the UPDATE finds none otherwise.
        self.connection.execute(
            MIRROR_STATE, mirror_parameters(run_id, to.value, now if finished else None)
        )
        seq = self._history(run_id, None, to.value, error, now)
        event = RunStateChanged(seq=seq, run_id=run_id, state=to, message=error, at=now)
        self.pending.append(event)
        return event

    def transition_task(
        self,
        task_id: str,
        to: TaskState,
        *,
        message: str | None = None,
        started: bool = False,
        finished: bool = False,
        **fields: Any,
    ) -> TaskStateChanged:
        """Move a task to ``to``, if the table allows it; see ``Store.transition_task``."""
        to = TaskState(to)
        now = utcnow()
        move_fields(fields, to, started=started, finished=finished, now=now)
        return self._move(task_id, to, message, now, fields)

    def _move(
        self,
        task_id: str,
        to: TaskState,
        message: str | None,
        now: datetime,
        fields: dict[str, Any],
    ) -> TaskStateChanged:
        """Write a move whose ``fields`` are complete (``move_fields``), made at ``now``."""
        deferred = self._unwritten.get(task_id)
        if deferred is not None and DEFERRED_MOVE in deferred:
            self.write_deferred(task_id)  # its deferred move first, then this one
            deferred = None
        if deferred is not None:
            # Its first move: the row is inserted already moved, with both history rows.
            if deferred["state"] not in TASK_SOURCES[to]:
                raise refused("task", task_id, deferred["state"], to.value)
            values = self._unwritten.pop(task_id)
            self.wrote_deferred.append(values)  # a rollback puts back the row as created
            found: Any = self._insert_task(values, moved=fields)
        else:
            found = move_task(self.connection, task_id, to, fields)
        return self._moved(found, task_id, to, message, now, fields)

    def _moved(
        self,
        found: Any,
        task_id: str,
        to: TaskState,
        message: str | None,
        now: datetime,
        fields: dict[str, Any],
    ) -> TaskStateChanged:
        """A task's move is written: its history row and events (``found``: its row's)."""
        seq = self._history(found.run_id, task_id, to.value, message, now)
        event = task_event(seq, found.run_id, task_id, found, to, message, now)
        self.pending.append(event)
        if to is TaskState.RUNNING and fields.get("log_path"):
            self.pending.append(
                TaskLogAvailable(
                    seq=seq,
                    run_id=event.run_id,
                    task_id=task_id,
                    path=event.path,
                    attempt=event.attempt,
                    log_path=str(fields["log_path"]),
                )
            )
        return event

    def _history(
        self, run_id: str, task_id: str | None, state: str, message: str | None, at: datetime
    ) -> int:
        """Write one history row; its id is the event's ``seq``."""
        return _INSERT_HISTORY.insert(
            self.connection,
            {"run_id": run_id, "task_id": task_id, "state": state, "message": message, "at": at},
        )

    def publish(self) -> None:
        """Publish what was written (call only after the commit)."""
        pending, self.pending = self.pending, []
        for event in pending:
            self._bus.publish(event)


@contextmanager
def transaction(
    connection_source: Any,
    run_contexts: dict[str, set[int]],
    events: EventBus,
    unwritten: dict[str, dict[str, Any]] | None = None,
    held: list[Held] | None = None,
) -> Iterator[Transaction]:
    """A :class:`Transaction` on ``connection_source.begin()`` (an Engine): commits on
    success, rolls back on error, publishes the events after the commit. ``unwritten``
    holds the deferred task rows (see the module docstring); ``held`` the held moves and
    execution ends, written first, in the order they were held."""
    tx: Transaction | None = None
    taken: list[Held] = []
    try:
        with connection_source.begin() as connection:
            tx = Transaction(connection, run_contexts, events, unwritten)
            while held:  # moves held back (Store.hold_transition_task) go first
                try:  # one at a time: each pop is atomic, should another thread hold one
                    taken.append(held.pop(0))
                except IndexError:
                    break
            for held_write in taken:
                if isinstance(held_write, HeldExecutionEnd):
                    end = held_write
                    tx.finish_execution(end.execution_id, finished_at=end.at, **end.fields)
                    continue
                move = held_write.move if isinstance(held_write, HeldCacheHit) else held_write
                tx._move(move.task_id, move.to, move.message, move.at, dict(move.fields))
                if isinstance(held_write, HeldCacheHit):
                    tx.create_execution(**held_write.execution, finished_at=move.at)
            yield tx
    except BaseException:
        if tx is not None:  # rolled back: the deferred rows it wrote are still to write
            for values in tx.wrote_deferred:
                tx._unwritten.setdefault(values["id"], values)
        if held is not None:
            held[:0] = taken  # ...and the held moves still to make
        raise
    tx.publish()


def move_task(
    connection: Connection | Session, task_id: str, to: TaskState, values: dict[str, Any]
) -> Any:
    """The gate's guarded UPDATE of one task; returns what its event needs."""
    # One statement checks, writes and reads back.
    statement, params = _move_task_statement(to), {**values, _TASK_ID: task_id}
    if isinstance(connection, Session):
        found = connection.execute(statement.statement, params).one_or_none()
    else:
        found = statement.one_or_none(connection, params)
    if found is None:
        current = connection.scalar(select(_TASKS.c.state).where(_TASKS.c.id == task_id))
        raise refused("task", task_id, current, to.value)
    return found


def refused(entity: str, id_: str, current: str | None, to: str) -> IllegalTransitionError:
    """The error of a move the state table does not allow (or of a missing row)."""
    if current is None:
        return IllegalTransitionError(f"no {entity} {id_} to move to {to}")
    return IllegalTransitionError(
        f"{entity} {id_} is {current}: the state table does not allow {current} -> {to}"
    )
