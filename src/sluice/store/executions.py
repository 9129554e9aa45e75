"""Executions (attempts) as the cache sees them: earlier keys, and clearing the cache."""

from __future__ import annotations

from sqlalchemy import select, update

from sluice.store.models import ExecutionRow
from sluice.store.repository import Store


class ExecutionRepository:
    """Cache-related reads and writes of the ``executions`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def earlier_keyed(self, execution: ExecutionRow, limit: int) -> list[ExecutionRow]:
        """Up to ``limit`` earlier executions of the same component and pipeline that have
        a cache key, newest first."""
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(ExecutionRow)
                    .where(
                        ExecutionRow.pipeline_name == execution.pipeline_name,
                        ExecutionRow.component_name == execution.component_name,
                        ExecutionRow.id < execution.id,
                        ExecutionRow.cache_key.is_not(None),
                    )
                    .order_by(ExecutionRow.id.desc())
                    .limit(limit)
                ).all()
            )

    def clear_cache(self, pipeline_name: str | None = None) -> int:
        """Mark every cached execution (of one pipeline, if named) as not to be reused.

        Returns how many were cleared.
        """
        statement = (
            update(ExecutionRow)
            .where(
                ExecutionRow.state == "COMPLETE",
                ExecutionRow.cache_enabled.is_(True),
                ExecutionRow.cache_cleared.is_(False),
            )
            .values(cache_cleared=True)
        )
        if pipeline_name is not None:
            statement = statement.where(ExecutionRow.pipeline_name == pipeline_name)
        with self.store.session() as session:
            result = session.execute(statement)
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
