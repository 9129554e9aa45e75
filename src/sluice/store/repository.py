"""Reads and writes of runs, tasks and their state history.

Every write commits before it returns: the engine records a state change in the
store before it acts on it, so a killed process can resume from what is here.

Every run and task state change goes through one gate, :meth:`Store.transition_run` and
:meth:`Store.transition_task`: one guarded ``UPDATE ... WHERE state IN (<legal sources>)``
checks the move against the table in :mod:`sluice.states` in the same statement that
makes it, the history row is written in the same transaction, and the change is
published on the store's event bus (:mod:`sluice.events`) once it has committed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sluice.errors import AmbiguousRunError, RunNameTakenError, RunNotFoundError
from sluice.events import (
    Event,
    RunStateChanged,
    TaskLogAvailable,
    TaskStateChanged,
    bus_for,
)
from sluice.states import (
    INITIAL_RUN_STATES,
    INITIAL_TASK_STATES,
    RUN_SOURCES,
    TASK_SOURCES,
    IllegalTransitionError,
    RunState,
    TaskState,
)
from sluice.store.db import get_engine
from sluice.store.lineage import LineageMixin
from sluice.store.models import (
    ContextRow,
    ExecutionRow,
    ExperimentRow,
    RunRow,
    StateTransitionRow,
    TaskRow,
    utcnow,
)

# The gate's UPDATEs are Core statements on the tables (see Store._move_task).
_RUNS = cast(Table, RunRow.__table__)
_TASKS = cast(Table, TaskRow.__table__)

# A run reference this long and all hex may be an id prefix (ids are 32 hex digits).
_ID_PREFIX = re.compile(r"[0-9a-fA-F]{4,32}")
# Runs an ambiguous reference's error lists.
_CANDIDATES = 5


def new_id() -> str:
    """A new random id for runs and tasks."""
    return uuid.uuid4().hex


class Store(LineageMixin):
    """The run store at one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = get_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Shared by every Store of this database in the process (the server's and an
        # engine thread's alike): what the gate publishes, after each change commits.
        self.events = bus_for(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._sessions.begin() as session:
            yield session

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

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        name: str,
        display_name: str,
        pipeline_name: str,
        pipeline_spec: dict[str, Any],
        arguments: dict[str, Any],
        pipeline_root: str,
        options: dict[str, Any],
        state: RunState = RunState.PENDING,
        experiment: str | None = None,
        **fields: Any,
    ) -> RunRow:
        """Record a new run with its contexts (pipeline, run, experiment); returns the row.

        ``fields`` sets other :class:`RunRow` columns (the server's KFP fields). The run's
        creation is the first row of its history and is published as an event. Everything
        is one transaction: the run, its contexts, its history row and, for a run in a KFP
        experiment, the experiment's ``last_run_created_at``.

        Raises:
            IllegalTransitionError: ``state`` is not a state a run may start in.
            RunNameTakenError: another run has this ``name``; nothing is written. The
                unique constraint decides (on SQLite and PostgreSQL alike), so two
                concurrent writers of one name cannot both succeed.
        """
        try:
            return self._insert_run(
                name=name,
                display_name=display_name,
                pipeline_name=pipeline_name,
                pipeline_spec=pipeline_spec,
                arguments=arguments,
                pipeline_root=pipeline_root,
                options=options,
                state=state,
                experiment=experiment,
                **fields,
            )
        except IntegrityError:
            # Only the name is unique among what this insert writes (the id and the run
            # context are new); anything else is a bug and keeps its traceback.
            if not self.run_name_taken(name):
                raise
            raise RunNameTakenError(
                f"a run named {name!r} already exists: a Sluice run name is a unique id "
                "(unlike a KFP or Vertex display name); choose another run name, or leave "
                "it out to get a generated one"
            ) from None

    def _insert_run(
        self,
        *,
        name: str,
        display_name: str,
        pipeline_name: str,
        pipeline_spec: dict[str, Any],
        arguments: dict[str, Any],
        pipeline_root: str,
        options: dict[str, Any],
        state: RunState,
        experiment: str | None,
        **fields: Any,
    ) -> RunRow:
        state = RunState(state)
        if state not in INITIAL_RUN_STATES:
            raise IllegalTransitionError(f"a run cannot be created {state.value}")
        run_id = new_id()
        with self.session() as session:
            row = RunRow(
                id=run_id,
                name=name,
                display_name=display_name,
                pipeline_name=pipeline_name,
                pipeline_spec=pipeline_spec,
                arguments=arguments,
                pipeline_root=pipeline_root,
                options=options,
                state=state.value,
                outputs={},
                **fields,
            )
            session.add(row)
            # The row goes in first: a taken name fails here, before ensure_context's
            # savepoints (which pysqlite would commit on their own) have written anything.
            session.flush()
            row.pipeline_context_id = self.ensure_context(session, "system.Pipeline", pipeline_name)
            row.run_context_id = self.ensure_context(
                session, "system.PipelineRun", run_id, {"name": name}
            )
            if experiment:
                row.experiment_context_id = self.ensure_context(
                    session, "system.Experiment", experiment
                )
            history = StateTransitionRow(run_id=run_id, state=state.value, at=utcnow())
            session.add(history)
            if row.experiment_id:
                # The KFP experiment's "last run created", in the run's own transaction.
                session.execute(
                    update(ExperimentRow)
                    .where(ExperimentRow.id == row.experiment_id)
                    .values(last_run_created_at=row.created_at or history.at)
                )
        self.events.publish(
            RunStateChanged(seq=history.id, run_id=run_id, state=state, at=history.at)
        )
        return row

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
        with self.session() as session:
            # The check is the UPDATE's own WHERE: no read first, no race between them.
            moved = session.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id, _RUNS.c.state.in_(RUN_SOURCES[to]))
                .values(**values)
                .returning(_RUNS.c.id)
            ).one_or_none()
            if moved is None:
                current = session.scalar(select(RunRow.state).where(RunRow.id == run_id))
                raise _refused("run", run_id, current, to.value)
            history = StateTransitionRow(run_id=run_id, state=to.value, message=error, at=now)
            session.add(history)
        event = RunStateChanged(seq=history.id, run_id=run_id, state=to, message=error, at=now)
        self.events.publish(event)
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
        """Move a task to ``to``, if the table allows it, and record and publish the move.

        ``message`` goes in the history row; ``fields`` sets other :class:`TaskRow`
        columns in the same UPDATE. ``started``/``finished`` stamp the start and end
        times. A move to RUNNING that sets ``log_path`` is an attempt starting: a
        :class:`~sluice.events.TaskLogAvailable` follows its state event.

        Raises:
            IllegalTransitionError: the task does not exist, or its state may not move to
                ``to``; nothing is written.
        """
        to = TaskState(to)
        now = utcnow()
        if started:
            fields["started_at"] = now
            fields["finished_at"] = None
        if finished:
            fields["finished_at"] = now
        fields["state"] = to.value
        with self.session() as session:
            found = self._move_task(session, task_id, to, fields)
            history = StateTransitionRow(
                run_id=found.run_id, task_id=task_id, state=to.value, message=message, at=now
            )
            session.add(history)
        event = _task_event(history, found)
        events: list[Event] = [event]
        if to is TaskState.RUNNING and fields.get("log_path"):
            events.append(
                TaskLogAvailable(
                    seq=event.seq,
                    run_id=event.run_id,
                    task_id=task_id,
                    path=event.path,
                    attempt=event.attempt,
                    log_path=str(fields["log_path"]),
                )
            )
        for item in events:
            self.events.publish(item)
        return event

    def _move_task(
        self, session: Session, task_id: str, to: TaskState, values: dict[str, Any]
    ) -> Any:
        """The gate's guarded UPDATE of one task; returns what its event needs."""
        # One statement checks, writes and reads back: the engine's most frequent write
        # costs no more than before the gate. A Core UPDATE of the table: the ORM's bulk
        # path around RETURNING would cost more than the statement itself.
        found = session.execute(
            update(_TASKS)
            .where(_TASKS.c.id == task_id, _TASKS.c.state.in_(TASK_SOURCES[to]))
            .values(**values)
            .returning(
                _TASKS.c.run_id,
                _TASKS.c.path,
                _TASKS.c.display_name,
                _TASKS.c.kind,
                _TASKS.c.attempts,
            )
        ).one_or_none()
        if found is None:
            current = session.scalar(select(TaskRow.state).where(TaskRow.id == task_id))
            raise _refused("task", task_id, current, to.value)
        return found

    def get_run(self, id_or_name: str) -> RunRow | None:
        """The run a reference names (see :meth:`resolve_run`), or None if none does.

        Raises:
            AmbiguousRunError: the reference matches several runs.
        """
        try:
            return self.resolve_run(id_or_name)
        except RunNotFoundError:
            return None

    def resolve_run(self, reference: str) -> RunRow:
        """The one run a reference names; the single definition of "a run reference".

        In order: the full id; the run name (unique); else every run whose id starts with
        the reference (4 or more hex digits) or whose display name equals it. The CLI,
        the Python API and the server (``GET /runs:resolve``) all resolve this way.

        Raises:
            RunNotFoundError: no run matches.
            AmbiguousRunError: several runs match; the message lists them.
        """
        ref = reference.strip()
        with self.session() as session:
            row = session.get(RunRow, ref) if ref else None
            if row is None and ref:
                row = session.scalar(select(RunRow).where(RunRow.name == ref))
            if row is not None:
                return row
            matches = [RunRow.display_name == ref]
            if _ID_PREFIX.fullmatch(ref):
                matches.append(RunRow.id.startswith(ref.lower()))
            found = list(
                session.scalars(
                    select(RunRow)
                    .where(or_(*matches))
                    .order_by(RunRow.created_at.desc(), RunRow.id)
                    .limit(_CANDIDATES + 1)
                )
            )
        if len(found) == 1:
            return found[0]
        if not found:
            raise RunNotFoundError(
                f"no run {reference!r}: give a run id, a unique id prefix (4+ characters) "
                "or a run name (`sluice runs list` shows them)"
            )
        shown = ", ".join(f"{r.id[:12]} ({r.name})" for r in found[:_CANDIDATES])
        more = " and more" if len(found) > _CANDIDATES else ""
        raise AmbiguousRunError(
            f"run {reference!r} is ambiguous: it matches {shown}{more}; give more of the id "
            "or the run name"
        )

    def list_runs(
        self, *, limit: int = 100, pipeline_name: str | None = None, state: str | None = None
    ) -> list[RunRow]:
        """Runs, newest first."""
        query = select(RunRow).order_by(RunRow.created_at.desc()).limit(limit)
        if pipeline_name:
            query = query.where(RunRow.pipeline_name == pipeline_name)
        if state:
            query = query.where(RunRow.state == state)
        with self.session() as session:
            return list(session.scalars(query).all())

    def run_name_taken(self, name: str) -> bool:
        """Whether a run already has this name."""
        with self.session() as session:
            return session.scalar(select(RunRow.id).where(RunRow.name == name)) is not None

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its tasks and history (artifacts stay, unattached)."""
        with self.session() as session:
            session.execute(delete(StateTransitionRow).where(StateTransitionRow.run_id == run_id))
            session.execute(delete(TaskRow).where(TaskRow.run_id == run_id))
            session.execute(delete(RunRow).where(RunRow.id == run_id))

    # -- tasks ------------------------------------------------------------------------------

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
    ) -> TaskRow:
        """Record a new task (its first history row, published as an event); returns the row.

        Raises:
            IllegalTransitionError: ``state`` is not a state a task may start in.
        """
        state = TaskState(state)
        if state not in INITIAL_TASK_STATES:
            raise IllegalTransitionError(f"a task cannot be created {state.value}")
        now = utcnow()
        row = TaskRow(
            id=new_id(),
            run_id=run_id,
            parent_id=parent_id,
            name=name,
            path=path,
            display_name=display_name,
            kind=kind,
            component_name=component_name,
            state=state.value,
            iteration_index=iteration_index,
            error=error,
            image=image,
            resources=resources or {},
            inputs={},
            outputs={},
            created_at=now,
            finished_at=now if finished else None,
        )
        history = StateTransitionRow(
            run_id=run_id, task_id=row.id, state=state.value, message=error, at=now
        )
        with self.session() as session:
            session.add(row)
            session.add(history)
        self.events.publish(_task_event(history, row))
        return row

    def update_task(self, task_id: str, **fields: Any) -> None:
        """Change a task's fields other than its state (that is :meth:`transition_task`'s).

        Raises:
            TypeError: ``state`` is among the fields.
        """
        if "state" in fields:
            raise TypeError("a task's state changes only through Store.transition_task")
        with self.session() as session:
            # A plain UPDATE: loading the row first would double the cost of the write.
            session.execute(update(TaskRow).where(TaskRow.id == task_id).values(**fields))

    def tasks_of_run(self, run_id: str) -> list[TaskRow]:
        """Every task of a run, in creation order."""
        with self.session() as session:
            query = (
                select(TaskRow)
                .where(TaskRow.run_id == run_id)
                .order_by(TaskRow.created_at, TaskRow.path)
            )
            return list(session.scalars(query).all())

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
        events: list[Event] = []
        with self.session() as session:
            found = session.execute(
                select(ExecutionRow.id, ExecutionRow.task_id, ExecutionRow.attempt).where(
                    ExecutionRow.run_id == run_id, ExecutionRow.state == running
                )
            ).all()
            if found:
                session.execute(
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
                session.execute(
                    update(TaskRow)
                    .where(TaskRow.id == task_id, TaskRow.attempts < attempt)
                    .values(attempts=attempt)
                    .execution_options(synchronize_session=False)
                )
            left = session.scalars(
                select(TaskRow.id).where(TaskRow.run_id == run_id, TaskRow.state == running)
            ).all()
            for task_id in left:
                number = last_attempt.get(task_id)
                message = (
                    f"attempt {number} abandoned: {reason}"
                    if number is not None
                    else f"abandoned: {reason}"
                )
                moved = self._move_task(
                    session,
                    task_id,
                    TaskState.CANCELED,
                    {"state": TaskState.CANCELED.value, "error": message, "finished_at": now},
                )
                history = StateTransitionRow(
                    run_id=run_id,
                    task_id=task_id,
                    state=TaskState.CANCELED.value,
                    message=message,
                    at=now,
                )
                session.add(history)
                session.flush()  # the event needs the row's id
                events.append(_task_event(history, moved))
        for event in events:
            self.events.publish(event)
        return len(found)

    def runs_in_states(self, states: Sequence[RunState]) -> list[RunRow]:
        """Runs whose state is one of ``states``, oldest first (for resuming)."""
        query = select(RunRow).where(RunRow.state.in_(states)).order_by(RunRow.created_at)
        with self.session() as session:
            return list(session.scalars(query).all())


def _refused(entity: str, id_: str, current: str | None, to: str) -> IllegalTransitionError:
    if current is None:
        return IllegalTransitionError(f"no {entity} {id_} to move to {to}")
    return IllegalTransitionError(
        f"{entity} {id_} is {current}: the state table does not allow {current} -> {to}"
    )


def _task_event(history: StateTransitionRow, task: Any) -> TaskStateChanged:
    """The event of a task's history row; ``task`` is its row or the gate's RETURNING."""
    assert history.task_id is not None
    return TaskStateChanged(
        seq=history.id,
        run_id=history.run_id,
        task_id=history.task_id,
        path=task.path,
        display_name=task.display_name,
        kind=task.kind,
        state=TaskState(history.state),
        attempt=task.attempts or 0,
        message=history.message,
        at=history.at,
    )


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything in the store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc)
