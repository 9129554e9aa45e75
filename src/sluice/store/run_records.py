"""The :class:`~sluice.store.repository.Store`'s runs: creating, resolving, listing, deleting.

A run's state changes after its creation go through the gate (:mod:`sluice.store.gate`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, defer

from sluice.errors import (
    AmbiguousRunError,
    RunNameTakenError,
    RunNotFoundError,
    StoreConflictError,
)
from sluice.events import EventBus
from sluice.states import RunState
from sluice.store.base import detached_row
from sluice.store.gate import Transaction
from sluice.store.models import RunRow, StateTransitionRow, TaskRow
from sluice.store.recurring_slots import hold_place
from sluice.store.run_executions import record_run_execution, stands_as_pipeline_job

# A run reference this long and all hex may be an id prefix (ids are 32 hex digits).
_ID_PREFIX = re.compile(r"[0-9a-fA-F]{4,32}")
# Runs an ambiguous reference's error lists.
_CANDIDATES = 5
_RUNS = cast(Table, RunRow.__table__)
# A run by its id, with and without its spec: built once (see sluice.store.gate on why).
_RUN_BY_ID = {
    True: select(_RUNS).where(_RUNS.c.id == bindparam("id")),
    False: select(*(c for c in _RUNS.c if c.key != "pipeline_spec")).where(
        _RUNS.c.id == bindparam("id")
    ),
}


class RunRecords:
    """Methods of :class:`sluice.store.repository.Store` for the ``runs`` table."""

    events: EventBus  # provided by Store

    def session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Transaction]:  # provided by Store
        raise NotImplementedError

    def reading(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

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
        creation is the first row of its history (``at`` its ``created_at``) and is
        published as an event. Everything is one transaction of Core statements
        (:mod:`sluice.store.run_writes`): the run, its contexts, its history row and, for a
        run in a KFP experiment, the experiment's ``last_run_created_at``. The returned
        row holds every column and is attached to no session. A server run in an
        experiment stands as a Vertex AI pipeline job: its ``system.Run`` execution is
        written with it (:mod:`sluice.store.run_executions`).

        A run of a recurring run (``recurring_run_id`` in ``fields``, the scheduler's) is
        counted against its ``max_concurrency`` in the same transaction, under a lock
        every such insert takes (:mod:`sluice.store.recurring_slots`).

        Raises:
            IllegalTransitionError: ``state`` is not a state a run may start in.
            ConcurrencyLimitError: a recurring run's run, and ``max_concurrency`` of its
                runs are active; nothing is written.
            RunNameTakenError: another run has this ``name``; nothing is written. The
                unique constraint decides (on SQLite and PostgreSQL alike), so two
                concurrent writers of one name cannot both succeed.
        """
        recurring_run_id = fields.get("recurring_run_id")
        try:
            with self.transaction() as tx:
                if recurring_run_id is not None:
                    # A slot's run: within max_concurrency across servers (recurring_slots).
                    hold_place(tx.connection, recurring_run_id)
                row, _history = tx.create_run(
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
                if stands_as_pipeline_job(row):
                    # Its row in get_experiment_df reads its parameters and state from it.
                    record_run_execution(tx.connection, row)
            return row
        except StoreConflictError:
            # Only the name is unique among what this insert writes (the id and the run
            # context are new), and a recurring run's slot, which the scheduler handles;
            # anything else is a bug and keeps its traceback.
            if not self.run_name_taken(name):
                raise
            raise RunNameTakenError(
                f"a run named {name!r} already exists: a Sluice run name is a unique id "
                "(unlike a KFP or Vertex display name); choose another run name, or leave "
                "it out to get a generated one"
            ) from None

    def get_run(self, id_or_name: str, *, pipeline_spec: bool = True) -> RunRow | None:
        """The run a reference names (see :meth:`resolve_run`), or None if none does.

        Raises:
            AmbiguousRunError: the reference matches several runs.
        """
        try:
            return self.resolve_run(id_or_name, pipeline_spec=pipeline_spec)
        except RunNotFoundError:
            return None

    def run_pipeline_spec(self, run_id: str) -> dict[str, Any] | None:
        """The stored ``pipeline_spec`` column of the run ``run_id`` (None: no such run)."""
        with self.session() as session:
            spec: dict[str, Any] | None = session.scalar(
                select(RunRow.pipeline_spec).where(RunRow.id == run_id)
            )
            return spec

    def resolve_run(self, reference: str, *, pipeline_spec: bool = True) -> RunRow:
        """The one run a reference names; the single definition of "a run reference".

        In order: the full id; the run name (unique); else every run whose id starts with
        the reference (4 or more hex digits) or whose display name equals it. The CLI,
        the Python API and the server (``GET /runs:resolve``) all resolve this way.

        Raises:
            RunNotFoundError: no run matches.
            AmbiguousRunError: several runs match; the message lists them.

        ``pipeline_spec=False`` leaves that column (a run's largest, decoded from JSON)
        unread: reading it from the row raises (``run_pipeline_spec`` reads it).
        """
        ref = reference.strip()
        if ref:  # a full id, the usual reference: one Core query (the engine reads its run)
            with self.reading() as connection:
                by_id = connection.execute(_RUN_BY_ID[pipeline_spec], {"id": ref}).mappings()
                found_by_id = by_id.first()
            if found_by_id is not None:
                return detached_row(RunRow, dict(found_by_id))
        options = [] if pipeline_spec else [defer(RunRow.pipeline_spec, raiseload=True)]
        with self.session() as session:
            row = None
            if ref:
                row = session.scalar(select(RunRow).options(*options).where(RunRow.name == ref))
            if row is not None:
                return row
            matches = [RunRow.display_name == ref]
            if _ID_PREFIX.fullmatch(ref):
                matches.append(RunRow.id.startswith(ref.lower()))
            found = list(
                session.scalars(
                    select(RunRow)
                    .options(*options)
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

    def runs_in_states(self, states: Sequence[RunState]) -> list[RunRow]:
        """Runs whose state is one of ``states``, oldest first (for resuming)."""
        query = select(RunRow).where(RunRow.state.in_(states)).order_by(RunRow.created_at)
        with self.session() as session:
            return list(session.scalars(query).all())
