"""Reads and writes of runs, tasks and their state history.

Every write commits before it returns: the engine records a state change in the
store before it acts on it, so a killed process can resume from what is here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sluice.errors import AmbiguousRunError, RunNameTakenError, RunNotFoundError
from sluice.store.db import get_engine
from sluice.store.lineage import LineageMixin
from sluice.store.models import (
    ContextRow,
    ExecutionRow,
    RunRow,
    StateTransitionRow,
    TaskRow,
    utcnow,
)

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
        self._task_runs: dict[str, str] = {}  # task id -> run id, for history rows

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
        state: str,
        experiment: str | None = None,
        **fields: Any,
    ) -> RunRow:
        """Record a new run with its contexts (pipeline, run, experiment); returns the row.

        ``fields`` sets other :class:`RunRow` columns (the server's KFP fields).

        Raises:
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
        state: str,
        experiment: str | None,
        **fields: Any,
    ) -> RunRow:
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
                state=state,
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
            session.add(StateTransitionRow(run_id=run_id, state=state))
        return row

    def set_run_state(
        self,
        run_id: str,
        state: str,
        *,
        error: str | None = None,
        outputs: dict[str, Any] | None = None,
        started: bool = False,
        finished: bool = False,
    ) -> None:
        """Move a run to ``state`` and record the transition."""
        with self.session() as session:
            row = session.get(RunRow, run_id)
            assert row is not None, run_id
            row.state = state
            now = utcnow()
            if error is not None or finished:
                row.error = error
            if outputs is not None:
                row.outputs = outputs
            if started:
                row.started_at = row.started_at or now
                row.finished_at = None
            if finished:
                row.finished_at = now
            session.add(StateTransitionRow(run_id=run_id, state=state, message=error, at=now))

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
        state: str,
        iteration_index: int | None = None,
        error: str | None = None,
        image: str | None = None,
        resources: dict[str, Any] | None = None,
        finished: bool = False,
    ) -> TaskRow:
        """Record a new task; returns the row."""
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
            state=state,
            iteration_index=iteration_index,
            error=error,
            image=image,
            resources=resources or {},
            inputs={},
            outputs={},
            created_at=now,
            finished_at=now if finished else None,
        )
        with self.session() as session:
            session.add(row)
            session.add(
                StateTransitionRow(
                    run_id=run_id, task_id=row.id, state=state, message=error, at=now
                )
            )
        self._task_runs[row.id] = run_id
        return row

    def update_task(
        self, task_id: str, *, state: str | None = None, message: str | None = None, **fields: Any
    ) -> None:
        """Change a task's fields; a new ``state`` is also recorded in its history.

        ``started``/``finished`` (booleans) stamp the start and end times.
        """
        now = utcnow()
        if fields.pop("started", False):
            fields["started_at"] = now
            fields["finished_at"] = None
        if fields.pop("finished", False):
            fields["finished_at"] = now
        if state is not None:
            fields["state"] = state
        with self.session() as session:
            # A plain UPDATE: loading the row first would double the cost of the engine's
            # most frequent write.
            session.execute(update(TaskRow).where(TaskRow.id == task_id).values(**fields))
            if state is not None:
                run_id = self._task_runs.get(task_id) or session.scalar(
                    select(TaskRow.run_id).where(TaskRow.id == task_id)
                )
                session.add(
                    StateTransitionRow(
                        run_id=run_id, task_id=task_id, state=state, message=message, at=now
                    )
                )

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
        """Record the run's attempts still RUNNING as abandoned; returns how many there were.

        Each such execution becomes CANCELED with ``how="abandoned"`` and ``reason`` as its
        error, and its task, if still RUNNING, becomes CANCELED with "attempt N abandoned:
        <reason>" in its history (the task runs again when the run does). Call it only
        while holding the run's lock (:func:`sluice.store.locks.lock_run`): then no live
        process is running those attempts.
        """
        now = utcnow()
        with self.session() as session:
            found = session.execute(
                select(ExecutionRow.id, ExecutionRow.task_id, ExecutionRow.attempt).where(
                    ExecutionRow.run_id == run_id, ExecutionRow.state == "RUNNING"
                )
            ).all()
            if not found:
                return 0
            session.execute(
                update(ExecutionRow)
                .where(ExecutionRow.id.in_([row.id for row in found]))
                .values(state="CANCELED", how="abandoned", error=reason, finished_at=now)
            )
            last_attempt: dict[str, int] = {}
            for row in found:
                last_attempt[row.task_id] = max(row.attempt, last_attempt.get(row.task_id, 0))
            for task_id, attempt in last_attempt.items():
                task = session.get(TaskRow, task_id)
                if task is None:
                    continue
                # Killed between recording the execution and the task's attempt count:
                # the next attempt must still get a number of its own.
                task.attempts = max(task.attempts, attempt)
                if task.state != "RUNNING":
                    continue
                message = f"attempt {attempt} abandoned: {reason}"
                task.state, task.error, task.finished_at = "CANCELED", message, now
                session.add(
                    StateTransitionRow(
                        run_id=run_id, task_id=task_id, state="CANCELED", message=message, at=now
                    )
                )
            return len(found)

    def runs_in_states(self, states: Sequence[str]) -> list[RunRow]:
        """Runs whose state is one of ``states``, oldest first (for resuming)."""
        query = select(RunRow).where(RunRow.state.in_(states)).order_by(RunRow.created_at)
        with self.session() as session:
            return list(session.scalars(query).all())


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything in the store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    from datetime import timezone

    return value.replace(tzinfo=timezone.utc)
