"""Executions, artifacts and events: the ML-Metadata half of the store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sluice.store.execution_writes import contexts_of_run
from sluice.store.gate import Transaction
from sluice.store.hot import HotStatement
from sluice.store.models import (
    ArtifactRow,
    AttributionRow,
    EventRow,
    ExecutionRow,
    RunRow,
    TaskRow,
)

_EXECUTIONS = cast(Table, ExecutionRow.__table__)
_TASKS = cast(Table, TaskRow.__table__)
# The cache lookup, built once (see sluice.store.gate on why); only what a hit uses is read.
_CACHED = (
    select(_EXECUTIONS.c.id, _EXECUTIONS.c.finished_at, _TASKS.c.id, _TASKS.c.outputs)
    .join(_TASKS, _TASKS.c.id == _EXECUTIONS.c.task_id)
    .where(
        _EXECUTIONS.c.fingerprint == bindparam("fingerprint"),
        _EXECUTIONS.c.pipeline_name == bindparam("pipeline_name"),
        _EXECUTIONS.c.state == "COMPLETE",
        _EXECUTIONS.c.cache_enabled.is_(True),
        _EXECUTIONS.c.cache_cleared.is_(False),
    )
    .order_by(_EXECUTIONS.c.id.desc())
    .limit(1)
)
_CACHED_NEWER = HotStatement(_CACHED.where(_EXECUTIONS.c.finished_at >= bindparam("newer_than")))
_CACHED_ANY = HotStatement(_CACHED)

# One IN (...) binds a parameter per id: far fewer than SQLite's (32,766 by default) or
# PostgreSQL's (65,535) limit on one statement, so a whole run's artifacts fit in a few.
_IDS_PER_QUERY = 5000


class CacheHit(NamedTuple):
    """What a cache lookup found: the reused execution and the task that ran it."""

    execution_id: int
    finished_at: datetime | None
    task_id: str
    # The task's outputs: {"parameters": {...}, "artifacts": {...}}.
    outputs: dict[str, Any] | None


class LineageMixin:
    """Methods of :class:`sluice.store.repository.Store` for executions and artifacts."""

    _run_contexts: dict[str, set[int]]  # provided by Store

    def session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Transaction]:  # provided by Store
        raise NotImplementedError

    def reading(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    def holds_execution_end(self, fingerprint: str) -> bool:  # provided by Store
        raise NotImplementedError

    def flush_held(self) -> None:  # provided by Store
        raise NotImplementedError

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
    ) -> int:
        """Record an execution with its INPUT events; returns its id."""
        with self.transaction() as tx:
            return tx.create_execution(
                run_id=run_id,
                task_id=task_id,
                pipeline_name=pipeline_name,
                component_name=component_name,
                type_=type_,
                attempt=attempt,
                state=state,
                input_parameters=input_parameters,
                fingerprint=fingerprint,
                cache_enabled=cache_enabled,
                log_path=log_path,
                cached_execution_id=cached_execution_id,
                input_artifacts=input_artifacts,
                cache_key=cache_key,
            )

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
    ) -> None:
        """Record how an execution ended, with its OUTPUT events."""
        with self.transaction() as tx:
            tx.finish_execution(
                execution_id,
                state=state,
                output_parameters=output_parameters,
                output_artifacts=output_artifacts,
                exit_code=exit_code,
                how=how,
                error=error,
            )

    def create_artifact(
        self,
        *,
        uri: str,
        name: str,
        schema_title: str,
        schema_version: str,
        metadata: dict[str, Any],
        run_id: str | None,
        producer_task_id: str | None,
        display_name: str | None = None,
        digest: str | None = None,
    ) -> int:
        """Record an artifact (attributed to its run's contexts); returns its id."""
        with self.session() as session:
            row = ArtifactRow(
                uri=uri,
                name=name,
                display_name=display_name or name,
                schema_title=schema_title,
                schema_version=schema_version,
                metadata_=metadata,
                run_id=run_id,
                producer_task_id=producer_task_id,
                digest=digest,
            )
            session.add(row)
            session.flush()
            contexts = contexts_of_run(session, self._run_contexts, run_id) if run_id else ()
            for context_id in contexts:
                session.add(AttributionRow(context_id=context_id, artifact_id=row.id))
            return row.id

    def update_artifact(
        self, artifact_id: int, *, uri: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        """Change an artifact's uri or metadata (after its producer ran)."""
        with self.session() as session:
            row = session.get(ArtifactRow, artifact_id)
            assert row is not None, artifact_id
            if uri is not None:
                row.uri = uri
            if metadata is not None:
                row.metadata_ = metadata

    def get_artifacts(self, ids: Sequence[int]) -> dict[int, ArtifactRow]:
        """Artifacts by id (any number: read ``_IDS_PER_QUERY`` at a time)."""
        wanted = sorted(set(ids))
        found: dict[int, ArtifactRow] = {}
        if not wanted:
            return found
        with self.session() as session:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start : start + _IDS_PER_QUERY]
                for row in session.scalars(select(ArtifactRow).where(ArtifactRow.id.in_(chunk))):
                    found[row.id] = row
        return found

    def find_artifact_by_uri(
        self, uri: str, *, pipeline_name: str | None = None
    ) -> ArtifactRow | None:
        """The newest artifact with this uri (in this pipeline's runs, if given)."""
        query = select(ArtifactRow).where(ArtifactRow.uri == uri)
        if pipeline_name is not None:
            query = query.join(RunRow, RunRow.id == ArtifactRow.run_id).where(
                RunRow.pipeline_name == pipeline_name
            )
        with self.session() as session:
            return session.scalar(query.order_by(ArtifactRow.id.desc()).limit(1))

    def find_cached(
        self, *, fingerprint: str, pipeline_name: str, newer_than: datetime | None = None
    ) -> CacheHit | None:
        """The newest successful cache-enabled execution with this fingerprint, and its task.

        Only what a cache hit uses is read, by one Core query: no ORM rows are built (each
        would cost more than the query).
        """
        query = _CACHED_NEWER if newer_than is not None else _CACHED_ANY
        params: dict[str, Any] = {"fingerprint": fingerprint, "pipeline_name": pipeline_name}
        if newer_than is not None:
            params["newer_than"] = newer_than
        if self.holds_execution_end(fingerprint):
            self.flush_held()  # the hit may be an execution whose end is held
        # A read, which need not write the other held moves (see Store.hold_finish_execution).
        with self.reading() as connection:
            row = query.first(connection, params)
        return None if row is None else CacheHit(*row)

    def executions_of_task(self, task_id: str) -> list[ExecutionRow]:
        """A task's executions (attempts), in order."""
        with self.session() as session:
            query = select(ExecutionRow).where(ExecutionRow.task_id == task_id)
            return list(session.scalars(query.order_by(ExecutionRow.id)).all())

    def events_of_execution(self, execution_id: int) -> Iterator[EventRow]:
        """Events of one execution."""
        with self.session() as session:
            query = select(EventRow).where(EventRow.execution_id == execution_id)
            return iter(list(session.scalars(query.order_by(EventRow.id)).all()))
