"""The executions half of a :class:`~sluice.store.gate.Transaction`: Core writes of
executions, their events and their run contexts (see :mod:`sluice.store.gate` on why Core,
and why the statements are built once)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BindParameter, Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session

from sluice.store.hot import HotStatement
from sluice.store.models import AssociationRow, EventRow, ExecutionRow, RunRow, utcnow

_RUNS = cast(Table, RunRow.__table__)
_EXECUTIONS = cast(Table, ExecutionRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_ASSOCIATIONS = cast(Table, AssociationRow.__table__)
_EXECUTION_ID = "gate_execution_id"
# On SQLite they run on the DBAPI cursor, compiled once (sluice.store.hot).
_INSERT_EXECUTION = HotStatement(insert(_EXECUTIONS))
_EXECUTION_ID_VALUE = "association_execution_id"
_INSERT_EVENT = insert(_EVENTS)
_UPDATE_EXECUTION = HotStatement(
    update(_EXECUTIONS).where(_EXECUTIONS.c.id == bindparam(_EXECUTION_ID))
)


@functools.cache
def _insert_associations(count: int) -> HotStatement:
    """An INSERT of ``count`` association rows of one execution, in one statement."""
    execution_id: BindParameter[int] = bindparam(_EXECUTION_ID_VALUE)
    rows = [
        {"context_id": bindparam(f"association_context_{index}"), "execution_id": execution_id}
        for index in range(count)
    ]
    return HotStatement(insert(_ASSOCIATIONS).values(rows))


class ExecutionWrites:
    """Execution writes on a transaction's ``connection``."""

    connection: Connection
    _run_contexts: dict[str, set[int]]

    def write_deferred(self, task_id: str | None) -> None:
        """Insert the task's deferred row first (:class:`~sluice.store.gate.Transaction`)."""

    # -- executions -------------------------------------------------------------------------

    def create_execution(
        self,
        *,
        run_id: str,
        task_id: str,
        pipeline_name: str,
        component_name: str,
        type_: str,
        attempt: int,
        state: str,
        input_parameters: dict[str, Any],
        fingerprint: str | None,
        cache_enabled: bool,
        log_path: str | None = None,
        cached_execution_id: int | None = None,
        input_artifacts: dict[str, list[int]] | None = None,
        cache_key: dict[str, Any] | None = None,
        outputs: tuple[dict[str, Any], dict[str, list[int]]] | None = None,
        finished_at: datetime | None = None,
    ) -> int:
        """Record an execution with its INPUT events and run contexts; returns its id.

        ``outputs`` (parameters, artifact ids): an execution recorded already ended (a
        cache hit), with its OUTPUT events, as :meth:`finish_execution` would write them
        (one statement fewer than inserting it and then finishing it), at ``finished_at``
        (default: now).
        """
        self.write_deferred(task_id)
        ended: dict[str, Any] = {}
        if outputs is not None:
            ended = {"output_parameters": outputs[0], "finished_at": finished_at or utcnow()}
        execution_id = _INSERT_EXECUTION.insert(
            self.connection,
            {
                **ended,
                "run_id": run_id,
                "task_id": task_id,
                "pipeline_name": pipeline_name,
                "component_name": component_name,
                "type": type_,
                "attempt": attempt,
                "state": state,
                "input_parameters": input_parameters,
                "fingerprint": fingerprint,
                "cache_enabled": cache_enabled,
                "log_path": log_path,
                "cached_execution_id": cached_execution_id,
                "cache_key": cache_key,
            },
        )
        contexts = self.contexts_of_run(run_id)
        if contexts:
            # One INSERT for all of them (a run has two or three), not one per context.
            params: dict[str, Any] = {_EXECUTION_ID_VALUE: execution_id}
            for index, context_id in enumerate(sorted(contexts)):
                params[f"association_context_{index}"] = context_id
            _insert_associations(len(contexts)).execute(self.connection, params)
        self._events(execution_id, "INPUT", input_artifacts)
        if outputs is not None:
            self._events(execution_id, "OUTPUT", outputs[1])
        return execution_id

    def finish_execution(
        self,
        execution_id: int,
        *,
        state: str,
        output_parameters: dict[str, Any] | None = None,
        output_artifacts: dict[str, list[int]] | None = None,
        exit_code: int | None = None,
        how: str | None = None,
        error: str | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Record how an execution ended, with its OUTPUT events (``finished_at``: when,
        if not now: an end held for a later transaction)."""
        values: dict[str, Any] = {
            "state": state,
            "finished_at": finished_at or utcnow(),
            "exit_code": exit_code,
            "how": how,
            "error": error,
        }
        if output_parameters is not None:
            values["output_parameters"] = output_parameters
        values[_EXECUTION_ID] = execution_id
        _UPDATE_EXECUTION.execute(self.connection, values)
        self._events(execution_id, "OUTPUT", output_artifacts)

    def _events(
        self, execution_id: int, type_: str, artifacts: dict[str, list[int]] | None
    ) -> None:
        rows = [
            {
                "artifact_id": artifact_id,
                "execution_id": execution_id,
                "type": type_,
                "name": name,
                "position": position,
                "created_at": utcnow(),
            }
            for name, ids in (artifacts or {}).items()
            for position, artifact_id in enumerate(ids)
        ]
        if rows:
            self.connection.execute(_INSERT_EVENT, rows)

    def contexts_of_run(self, run_id: str) -> set[int]:
        """The run's own, its pipeline's and its experiment's context ids (cached: fixed)."""
        return contexts_of_run(self.connection, self._run_contexts, run_id)


def contexts_of_run(
    connection: Connection | Session, cache: dict[str, set[int]], run_id: str
) -> set[int]:
    """The context ids of a run (its own, its pipeline's, its experiment's), via ``cache``."""
    if run_id not in cache:
        row = connection.execute(
            select(
                _RUNS.c.run_context_id, _RUNS.c.pipeline_context_id, _RUNS.c.experiment_context_id
            ).where(_RUNS.c.id == run_id)
        ).first()
        cache[run_id] = {c for c in (row or ()) if c is not None}
    return cache[run_id]


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key a single-row INSERT generated."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
