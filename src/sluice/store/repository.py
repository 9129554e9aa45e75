"""The run store: runs, tasks, their state history, executions and artifacts.

Every write commits before it returns: the engine records a state change in the
store before it acts on it, so a killed process can resume from what is here.

Every run and task state change goes through one gate, :meth:`Store.transition_run` and
:meth:`Store.transition_task` (or the same methods of a :meth:`Store.transaction`, which
groups a move with the writes that belong to it): one guarded
``UPDATE ... WHERE state IN (<legal sources>)`` checks the move against the table in
:mod:`sluice.states` in the same statement that makes it, the history row is written in the
same transaction, and the change is published on the store's event bus
(:mod:`sluice.events`) once it has committed. See :mod:`sluice.store.gate`.

The methods live by table: :mod:`sluice.store.run_records` (runs),
:mod:`sluice.store.task_records` (tasks and history), :mod:`sluice.store.lineage`
(executions and artifacts).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sluice.events import RunStateChanged, TaskStateChanged, bus_for
from sluice.states import RunState, TaskState
from sluice.store import gate
from sluice.store.db import get_engine, store_errors
from sluice.store.gate import Transaction
from sluice.store.lineage import LineageMixin
from sluice.store.models import ContextRow
from sluice.store.models import as_utc as as_utc  # re-exported: the engine imports it
from sluice.store.run_records import RunRecords
from sluice.store.run_writes import new_id
from sluice.store.task_records import TaskRecords
from sluice.store.task_rows import Held

__all__ = ["Store", "Transaction", "as_utc", "new_id"]


class Store(RunRecords, TaskRecords, LineageMixin):
    """The run store at one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Shared by every Store of this database in the process (the server's and an
        # engine thread's alike): what the gate publishes, after each change commits.
        self.events = bus_for(url)
        # Context ids of runs, which never change once the run exists.
        self._run_contexts: dict[str, set[int]] = {}
        # Task rows created deferred, by id, until the first write naming the task inserts
        # them (see sluice.store.gate); only this Store's transactions know them.
        self._unwritten: dict[str, dict[str, Any]] = {}
        # Moves and execution ends held for this Store's next transaction
        # (Store.hold_transition_task, Store.hold_finish_execution).
        self._held: list[Held] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error.

        Database errors leave it as the :class:`StoreError` they mean (``store_errors``):
        the store's one boundary, so no caller handles SQLAlchemy's exceptions.
        """
        with store_errors(self.url), self._sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Core writes that commit together (see :class:`~sluice.store.gate.Transaction`).

        Commits on success and rolls back on error; the state changes written in it are
        published once it has committed.
        """
        with (
            store_errors(self.url),
            gate.transaction(
                self.engine, self._run_contexts, self.events, self._unwritten, self._held
            ) as tx,
        ):
            yield tx

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only, outside the gate: it writes none of the held
        moves (a transaction does), and ends without a commit."""
        with store_errors(self.url), self.engine.connect() as connection:
            yield connection

    # -- contexts ---------------------------------------------------------------------------

    def ensure_context(
        self, session: Session, type_: str, name: str, properties: dict[str, Any] | None = None
    ) -> int:
        """The id of the context (type, name), created if it does not exist.

        Safe against concurrent creators: the insert runs in a savepoint, and losing the
        race to another writer just means reading the row it wrote.
        """
        query = select(ContextRow.id).where(ContextRow.type == type_, ContextRow.name == name)
        found = session.scalar(query)
        if found is not None:
            return int(found)
        try:
            with session.begin_nested():
                row = ContextRow(type=type_, name=name, properties=properties or {})
                session.add(row)
            return row.id
        except IntegrityError:
            found = session.scalar(query)
            assert found is not None, (type_, name)
            return int(found)

    # -- the transition gate ----------------------------------------------------------------

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
        """Move a run to ``to``, if the table allows it, and record and publish the move.

        ``error`` becomes the run's error and the history row's message (a finished run's
        error is always set, to None if not given). ``started`` stamps the start time (kept
        if the run had one) and clears the end; ``finished`` stamps the end; ``reopened``
        clears the error and end of the previous attempt (a retried run).

        Raises:
            IllegalTransitionError: the run does not exist, or its state may not move to
                ``to``; nothing is written.
        """
        with self.transaction() as tx:
            return tx.transition_run(
                run_id,
                to,
                error=error,
                outputs=outputs,
                started=started,
                finished=finished,
                reopened=reopened,
            )

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
        """Move a task to ``to``, if the table allows it, and record and publish the move.

        ``message`` goes in the history row; ``fields`` sets other :class:`TaskRow`
        columns in the same UPDATE. ``started``/``finished`` stamp the start and end
        times. A move to RUNNING that sets ``log_path`` is an attempt starting: a
        :class:`~sluice.events.TaskLogAvailable` follows its state event.

        Raises:
            IllegalTransitionError: the task does not exist, or its state may not move to
                ``to``; nothing is written.
        """
        with self.transaction() as tx:
            return tx.transition_task(
                task_id, to, message=message, started=started, finished=finished, **fields
            )
