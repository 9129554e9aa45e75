"""The state history (``state_transitions``) read back as events, after a ``seq``.

The bus's events are published after their rows commit, so the rows are the truth: a
reader that was not listening (an SSE client reconnecting with ``Last-Event-ID``, a
server following runs another process executes) re-derives the same events from them.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, select

from sluice.events import Event, RunStateChanged, TaskLogAvailable, TaskStateChanged
from sluice.states import RunState, TaskState
from sluice.store.models import StateTransitionRow, TaskRow
from sluice.store.repository import Store, as_utc

DEFAULT_LIMIT = 500


class HistoryRepository:
    """Reads of the ``state_transitions`` table of one store, as events."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def last_seq(self, run_id: str | None = None) -> int:
        """The ``seq`` of the newest history row (of ``run_id``, if given), 0 if none."""
        query = select(StateTransitionRow.id).order_by(StateTransitionRow.id.desc()).limit(1)
        if run_id is not None:
            query = query.where(StateTransitionRow.run_id == run_id)
        with self.store.session() as session:
            return int(session.scalar(query) or 0)

    def events_after(
        self, after: int, *, run_id: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> list[Event]:
        """The events of the history rows with id > ``after`` (of ``run_id`` only, if
        given), in ``seq`` order, at most ``limit`` rows.

        A task's ``path``, ``display_name``, ``kind`` and ``attempt`` are its row's now
        (the history row keeps only the state). A task's move to RUNNING with a log
        file is followed by its :class:`TaskLogAvailable`, as on the bus.
        """
        return self._events(StateTransitionRow.id > after, run_id=run_id, limit=limit)

    def events_of(self, seqs: Collection[int], *, run_id: str | None = None) -> list[Event]:
        """The events of the history rows with these ids (of ``run_id`` only, if given),
        in ``seq`` order; ids with no row (yet) are left out."""
        if not seqs:
            return []
        return self._events(StateTransitionRow.id.in_(list(seqs)), run_id=run_id, limit=None)

    def seqs_between(self, after: int, upto: int) -> set[int]:
        """The ids of every run's history rows with ``after`` < id <= ``upto``.

        A follower compares them with the range to find ids not committed yet: on
        PostgreSQL, ids are handed out when a row is inserted, so a transaction that
        started earlier can commit a lower id after a higher one was read.
        """
        query = select(StateTransitionRow.id).where(
            StateTransitionRow.id > after, StateTransitionRow.id <= upto
        )
        with self.store.session() as session:
            return {int(seq) for seq in session.scalars(query)}

    def _events(
        self, where: ColumnElement[bool], *, run_id: str | None, limit: int | None
    ) -> list[Event]:
        query = (
            select(StateTransitionRow, TaskRow)
            .outerjoin(TaskRow, TaskRow.id == StateTransitionRow.task_id)
            .where(where)
            .order_by(StateTransitionRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        if run_id is not None:
            query = query.where(StateTransitionRow.run_id == run_id)
        events: list[Event] = []
        with self.store.session() as session:
            for history, task in session.execute(query).all():
                if history.task_id is None:
                    events.append(
                        RunStateChanged(
                            seq=history.id,
                            run_id=history.run_id,
                            state=RunState(history.state),
                            message=history.message,
                            at=as_utc(history.at),
                        )
                    )
                    continue
                if task is None:  # the task row is gone (not expected: runs delete whole)
                    continue
                state = TaskState(history.state)
                events.append(
                    TaskStateChanged(
                        seq=history.id,
                        run_id=history.run_id,
                        task_id=history.task_id,
                        path=task.path,
                        display_name=task.display_name,
                        kind=task.kind,
                        state=state,
                        attempt=task.attempts or 0,
                        message=history.message,
                        at=as_utc(history.at),
                    )
                )
                if state is TaskState.RUNNING and task.log_path:
                    events.append(
                        TaskLogAvailable(
                            seq=history.id,
                            run_id=history.run_id,
                            task_id=history.task_id,
                            path=task.path,
                            attempt=task.attempts or 0,
                            log_path=str(task.log_path),
                        )
                    )
        return events
