"""Executions, artifacts and events: the ML-Metadata half of the store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    EventRow,
    ExecutionRow,
    RunRow,
    TaskRow,
    utcnow,
)


class LineageMixin:
    """Methods of :class:`sluice.store.repository.Store` for executions and artifacts."""

    def session(self) -> AbstractContextManager[Session]:  # provided by Store
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
        with self.session() as session:
            row = ExecutionRow(
                run_id=run_id,
                task_id=task_id,
                pipeline_name=pipeline_name,
                component_name=component_name,
                type=type_,
                attempt=attempt,
                state=state,
                input_parameters=input_parameters,
                fingerprint=fingerprint,
                cache_enabled=cache_enabled,
                log_path=log_path,
                cached_execution_id=cached_execution_id,
                cache_key=cache_key,
            )
            session.add(row)
            session.flush()
            self._associate(session, run_id, row.id)
            for name, ids in (input_artifacts or {}).items():
                for position, artifact_id in enumerate(ids):
                    session.add(
                        EventRow(
                            artifact_id=artifact_id,
                            execution_id=row.id,
                            type="INPUT",
                            name=name,
                            position=position,
                        )
                    )
            return row.id

    def _associate(self, session: Session, run_id: str, execution_id: int) -> None:
        for context_id in self._contexts_of_run(session, run_id):
            session.add(AssociationRow(context_id=context_id, execution_id=execution_id))

    def _contexts_of_run(self, session: Session, run_id: str) -> set[int]:
        """The run's own, its pipeline's and its experiment's context ids (cached: fixed)."""
        cache: dict[str, set[int]] = self.__dict__.setdefault("_run_contexts", {})
        if run_id not in cache:
            row = session.execute(
                select(
                    RunRow.run_context_id,
                    RunRow.pipeline_context_id,
                    RunRow.experiment_context_id,
                ).where(RunRow.id == run_id)
            ).first()
            cache[run_id] = {c for c in (row or ()) if c is not None}
        return cache[run_id]

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
        values: dict[str, Any] = {
            "state": state,
            "finished_at": utcnow(),
            "exit_code": exit_code,
            "how": how,
            "error": error,
        }
        if output_parameters is not None:
            values["output_parameters"] = output_parameters
        with self.session() as session:
            session.execute(
                update(ExecutionRow).where(ExecutionRow.id == execution_id).values(**values)
            )
            for name, ids in (output_artifacts or {}).items():
                for position, artifact_id in enumerate(ids):
                    session.add(
                        EventRow(
                            artifact_id=artifact_id,
                            execution_id=execution_id,
                            type="OUTPUT",
                            name=name,
                            position=position,
                        )
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
            for context_id in self._contexts_of_run(session, run_id) if run_id else ():
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
        """Artifacts by id."""
        if not ids:
            return {}
        with self.session() as session:
            rows = session.scalars(select(ArtifactRow).where(ArtifactRow.id.in_(list(ids))))
            return {row.id: row for row in rows}

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
    ) -> tuple[ExecutionRow, TaskRow] | None:
        """The newest successful cache-enabled execution with this fingerprint, and its task."""
        query = (
            select(ExecutionRow, TaskRow)
            .join(TaskRow, TaskRow.id == ExecutionRow.task_id)
            .where(
                ExecutionRow.fingerprint == fingerprint,
                ExecutionRow.pipeline_name == pipeline_name,
                ExecutionRow.state == "COMPLETE",
                ExecutionRow.cache_enabled.is_(True),
                ExecutionRow.cache_cleared.is_(False),
            )
            .order_by(ExecutionRow.id.desc())
            .limit(1)
        )
        if newer_than is not None:
            query = query.where(ExecutionRow.finished_at >= newer_than)
        with self.session() as session:
            row = session.execute(query).first()
            return None if row is None else (row[0], row[1])

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
