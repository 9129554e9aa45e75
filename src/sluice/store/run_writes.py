"""A run's creation as Core statements on a :class:`~sluice.store.gate.Transaction`.

Creating a run is the API's most frequent write: the run row, its run context, the
pipeline's and experiment's contexts (created on first use), its first history row and
the KFP experiment's ``last_run_created_at``, all in one transaction. Through the ORM this
cost ~5 ms of CPU (flushes, three savepoints, the unit of work); the same rows as Core
statements built once cost a fraction of that, which is most of what a create-run request
costs the server's one GIL (see :mod:`sluice.store.gate` on why Core on hot paths).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from sluice.events import Event, RunStateChanged
from sluice.states import INITIAL_RUN_STATES, IllegalTransitionError, RunState
from sluice.store.execution_writes import inserted_id
from sluice.store.models import (
    EXECUTED_LOCALLY,
    ContextRow,
    ExperimentRow,
    RunRow,
    StateTransitionRow,
    utcnow,
)

_RUNS = cast(Table, RunRow.__table__)
_CONTEXTS = cast(Table, ContextRow.__table__)
_EXPERIMENTS = cast(Table, ExperimentRow.__table__)
_HISTORY = cast(Table, StateTransitionRow.__table__)
_INSERT_RUN = insert(_RUNS)
_INSERT_HISTORY = insert(_HISTORY)
_INSERT_CONTEXT = insert(_CONTEXTS).returning(_CONTEXTS.c.id)
_FIND_CONTEXT = select(_CONTEXTS.c.id).where(
    _CONTEXTS.c.type == bindparam("find_type"), _CONTEXTS.c.name == bindparam("find_name")
)
_TOUCH_EXPERIMENT = (
    update(_EXPERIMENTS)
    .where(_EXPERIMENTS.c.id == bindparam("experiment_row_id"))
    .values(last_run_created_at=bindparam("touched_at"))
)


def _insert_context_if_missing(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` for a shared context.

    Both databases Sluice supports spell it the same; a concurrent creator of the same
    (type, name) makes it return no row instead of aborting the transaction (a savepoint
    would do that too, but pysqlite commits around savepoints on its own).
    """
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement: Insert = (
        module.insert(_CONTEXTS)
        .on_conflict_do_nothing(index_elements=["type", "name"])
        .returning(_CONTEXTS.c.id)
    )
    return statement


_UPSERTS: dict[str, Insert] = {}


def new_id() -> str:
    """A new random id for runs and tasks."""
    return uuid.uuid4().hex


class RunWrites:
    """Run creation on a transaction's ``connection``."""

    connection: Connection
    pending: list[Event]

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
    ) -> tuple[RunRow, StateTransitionRow]:
        """Write a new run, its contexts, its first history row (and touch its experiment).

        Returns the run and its history row, complete and attached to no session; the
        creation's event is published when the transaction commits. See
        ``Store.create_run``.

        Raises:
            IllegalTransitionError: ``state`` is not a state a run may start in.
            StoreConflictError: the unique name is taken (raised by the commit's caller,
                ``Store.create_run``, as a ``RunNameTakenError``).
        """
        state = RunState(state)
        if state not in INITIAL_RUN_STATES:
            raise IllegalTransitionError(f"a run cannot be created {state.value}")
        now = utcnow()
        run_id = new_id()
        # The run's own context first: its name is new, so this INSERT never conflicts, and
        # on SQLite it takes the write lock, so the shared contexts below cannot be created
        # by another writer between their lookup and their insert.
        run_context = self._new_context("system.PipelineRun", run_id, {"name": name}, now)
        values: dict[str, Any] = {
            "id": run_id,
            "name": name,
            "display_name": display_name,
            "pipeline_name": pipeline_name,
            "pipeline_spec": pipeline_spec,
            "arguments": arguments,
            "pipeline_root": pipeline_root,
            "options": options,
            "state": state.value,
            "error": None,
            "outputs": {},
            "run_context_id": run_context,
            "pipeline_context_id": self._shared_context("system.Pipeline", pipeline_name, now),
            "experiment_context_id": (
                self._shared_context("system.Experiment", experiment, now) if experiment else None
            ),
            "description": None,
            "experiment_id": None,
            "pipeline_id": None,
            "pipeline_version_id": None,
            "recurring_run_id": None,
            "storage_state": "AVAILABLE",
            "namespace": "",
            "service_account": None,
            "scheduled_at": None,
            "created_at": now,
            "started_at": None,
            "finished_at": None,
            "updated_at": now,
            "executed_by": EXECUTED_LOCALLY,
            "labels": {},
            "location": None,
            "failure_policy": None,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        unknown = set(fields) - set(values)
        if unknown:
            raise TypeError(f"runs have no column(s) {sorted(unknown)}")
        values.update(fields)
        self.connection.execute(_INSERT_RUN, values)
        history = {"run_id": run_id, "task_id": None, "state": state.value, "message": None}
        result = self.connection.execute(_INSERT_HISTORY, {**history, "at": now})
        seq = inserted_id(result)
        if values["experiment_id"]:
            # The KFP experiment's "last run created", in the run's own transaction.
            self.connection.execute(
                _TOUCH_EXPERIMENT, {"experiment_row_id": values["experiment_id"], "touched_at": now}
            )
        self.pending.append(RunStateChanged(seq=seq, run_id=run_id, state=state, at=now))
        return RunRow(**values), StateTransitionRow(id=seq, at=now, **history)

    def _new_context(self, type_: str, name: str, properties: dict[str, Any], now: datetime) -> int:
        result = self.connection.execute(
            _INSERT_CONTEXT,
            {"type": type_, "name": name, "properties": properties, "created_at": now},
        )
        return int(result.scalar_one())

    def _shared_context(self, type_: str, name: str, now: datetime) -> int:
        """The id of the context (type, name), created if it does not exist yet."""
        found = self.connection.scalar(_FIND_CONTEXT, {"find_type": type_, "find_name": name})
        if found is not None:
            return int(found)
        dialect = self.connection.dialect.name
        upsert = _UPSERTS.get(dialect)
        if upsert is None:
            upsert = _UPSERTS[dialect] = _insert_context_if_missing(dialect)
        created = self.connection.execute(
            upsert, {"type": type_, "name": name, "properties": {}, "created_at": now}
        ).scalar_one_or_none()
        if created is not None:
            return int(created)
        # Another transaction created it since the lookup (PostgreSQL; on SQLite the
        # write lock this transaction holds rules that out): its row is committed now.
        found = self.connection.scalar(_FIND_CONTEXT, {"find_type": type_, "find_name": name})
        assert found is not None, (type_, name)
        return int(found)
