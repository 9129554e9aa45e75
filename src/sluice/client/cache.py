"""Caching you can understand: why a task was (not) a cache hit, and clearing the cache."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select, update

from sluice.client.local import get_run, open_store
from sluice.config import Settings
from sluice.engine.caching import key_differences
from sluice.errors import UserInputError
from sluice.store.models import ExecutionRow, RunRow
from sluice.store.repository import Store

# How many earlier executions of the component to compare a miss against.
_CANDIDATES = 50


@dataclass(frozen=True, kw_only=True)
class CacheExplanation:
    """Why one task was or was not served from the cache.

    Attributes:
        run_name / task_path: the task explained.
        hit: whether its outputs came from the cache.
        reason: one sentence saying why.
        source_execution_id / source_run_name: the execution (and its run) a hit reused,
            or the one a miss was compared with.
        differences: for a miss, what differs from ``source_execution_id``'s cache key
            (a parameter value, an input artifact, the image or command, the output spec).
        fingerprint: the task's cache fingerprint.
    """

    run_name: str
    task_path: str
    hit: bool
    reason: str
    fingerprint: str | None = None
    source_execution_id: int | None = None
    source_run_name: str | None = None
    differences: list[str] = field(default_factory=list)


def explain_cache(run: str, task: str, *, store: Store | None = None) -> CacheExplanation:
    """Explain the cache outcome of ``task`` (name or path) in ``run`` (id or name).

    Raises:
        RunNotFoundError: no such run or task.
        UserInputError: the task is not a container task (only those are cached).
    """
    store = store or open_store(Settings.from_env())
    found = get_run(run)
    target = found.task(task)
    if target.kind != "container":
        raise UserInputError(
            f"task '{target.path}' is a {target.kind} task; only container tasks are cached"
        )
    executions = store.executions_of_task(target.id)
    if not executions:
        return CacheExplanation(
            run_name=found.name,
            task_path=target.path,
            hit=False,
            reason=f"the task never started ({target.state})",
        )
    first = executions[0]
    explained = CacheExplanation(
        run_name=found.name,
        task_path=target.path,
        hit=False,
        reason="",
        fingerprint=first.fingerprint,
    )
    if first.state == "CACHED" and first.cached_execution_id is not None:
        return replace(
            explained,
            hit=True,
            reason=f"cache hit: reused the outputs of execution {first.cached_execution_id}",
            source_execution_id=first.cached_execution_id,
            source_run_name=_run_name_of(store, first.cached_execution_id),
        )
    if not first.cache_enabled:
        return replace(
            explained,
            reason="caching was off for this task (set_caching_options(False) at compile "
            "time, or the run was started with enable_caching=False / --no-cache)",
        )
    return _explain_miss(store, first, explained)


def _explain_miss(
    store: Store, execution: ExecutionRow, explained: CacheExplanation
) -> CacheExplanation:
    with store.session() as session:
        earlier = session.scalars(
            select(ExecutionRow)
            .where(
                ExecutionRow.pipeline_name == execution.pipeline_name,
                ExecutionRow.component_name == execution.component_name,
                ExecutionRow.id < execution.id,
                ExecutionRow.cache_key.is_not(None),
            )
            .order_by(ExecutionRow.id.desc())
            .limit(_CANDIDATES)
        ).all()
    if not earlier:
        return replace(
            explained,
            reason=f"cache miss: no earlier execution of {execution.component_name} in "
            f"pipeline '{execution.pipeline_name}'",
        )
    current = execution.cache_key or {}
    # The nearest earlier execution: the fewest differing key parts, then the newest.
    nearest = min(earlier, key=lambda e: (len(key_differences(current, e.cache_key or {})), -e.id))
    differences = key_differences(current, nearest.cache_key or {})
    if differences:
        reason = f"cache miss: the key differs from execution {nearest.id}"
    elif nearest.state != "COMPLETE":
        reason = f"cache miss: execution {nearest.id} had the same key but ended {nearest.state}"
    elif nearest.cache_cleared:
        reason = f"cache miss: execution {nearest.id} had the same key but the cache was cleared"
    elif not nearest.cache_enabled:
        reason = (
            f"cache miss: execution {nearest.id} had the same key but ran with caching off, "
            "so it was not written to the cache"
        )
    else:
        reason = (
            f"cache miss: execution {nearest.id} had the same key but was older than the "
            "run's cache max age"
        )
    return replace(
        explained,
        reason=reason,
        differences=differences,
        source_execution_id=nearest.id,
        source_run_name=_run_name_of(store, nearest.id),
    )


def _run_name_of(store: Store, execution_id: int) -> str | None:
    with store.session() as session:
        name = session.scalar(
            select(RunRow.name)
            .join(ExecutionRow, ExecutionRow.run_id == RunRow.id)
            .where(ExecutionRow.id == execution_id)
        )
    return None if name is None else str(name)


def clear_cache(*, pipeline_name: str | None = None, store: Store | None = None) -> int:
    """Stop reusing every cached execution (of one pipeline, if named); returns how many.

    The executions, their artifacts and lineage stay; only cache lookups skip them.
    """
    store = store or open_store(Settings.from_env())
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
    with store.session() as session:
        result = session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
