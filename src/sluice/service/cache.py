"""Cache explanations: why a task was (not) a cache hit; clearing the cache."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sluice.engine.caching import key_differences
from sluice.service.cache_changes import CacheChange, explain_changes
from sluice.store.executions import ExecutionRepository
from sluice.store.models import ExecutionRow
from sluice.store.repository import Store
from sluice.store.runs import RunRepository

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
        changes: the same differences part by part, with old and new values and where
            each input came from (:class:`sluice.service.cache_changes.CacheChange`).
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
    changes: list[CacheChange] = field(default_factory=list)


def explain_task(
    store: Store, *, run_name: str, task_path: str, task_id: str, task_state: str
) -> CacheExplanation:
    """Explain the cache outcome of one (container) task of a run."""
    executions = store.executions_of_task(task_id)
    if not executions:
        return CacheExplanation(
            run_name=run_name,
            task_path=task_path,
            hit=False,
            reason=f"the task never started ({task_state})",
        )
    first = executions[0]
    explained = CacheExplanation(
        run_name=run_name,
        task_path=task_path,
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
    earlier = ExecutionRepository(store).earlier_keyed(execution, _CANDIDATES)
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
        # The sentence names the change itself; `differences` lists every one.
        since = f"of the key changed since execution {nearest.id}"
        if len(differences) == 1:
            reason = f"cache miss: 1 part {since} ({differences[0]})"
        else:
            reason = f"cache miss: {len(differences)} parts {since}; first {differences[0]}"
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
    run = RunRepository(store).get(execution.run_id) if execution.run_id else None
    changes = explain_changes(
        current,
        nearest.cache_key or {},
        pipeline_spec=run.pipeline_spec if run is not None else None,
        task_path=explained.task_path,
    )
    return replace(
        explained,
        reason=reason,
        differences=differences,
        changes=changes,
        source_execution_id=nearest.id,
        source_run_name=_run_name_of(store, nearest.id),
    )


def _run_name_of(store: Store, execution_id: int) -> str | None:
    return RunRepository(store).name_of_execution_run(execution_id)


def clear_cache(store: Store, pipeline_name: str | None = None) -> int:
    """Stop reusing every cached execution (of one pipeline, if named); returns how many.

    The executions, their artifacts and lineage stay; only cache lookups skip them.
    """
    return ExecutionRepository(store).clear_cache(pipeline_name)
