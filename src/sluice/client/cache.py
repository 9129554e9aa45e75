"""Caching you can understand: why a task was (not) a cache hit, and clearing the cache."""

from __future__ import annotations

from sluice.client.convert import run_from_record
from sluice.config import Settings
from sluice.errors import UserInputError
from sluice.service import cache as cache_service
from sluice.service.cache import CacheExplanation
from sluice.service.local_runs import LocalRunService
from sluice.service.stores import Store, open_store

__all__ = ["CacheExplanation", "clear_cache", "explain_cache"]


def explain_cache(run: str, task: str, *, store: Store | None = None) -> CacheExplanation:
    """Explain the cache outcome of ``task`` (name or path) in ``run`` (id or name).

    Raises:
        RunNotFoundError: no such run or task.
        UserInputError: the task is not a container task (only those are cached).
    """
    store = store or open_store(Settings.from_env())
    found = run_from_record(LocalRunService(store, Settings.from_env()).resolve(run))
    target = found.task(task)
    if target.kind != "container":
        raise UserInputError(
            f"task '{target.path}' is a {target.kind} task; only container tasks are cached"
        )
    return cache_service.explain_task(
        store,
        run_name=found.name,
        task_path=target.path,
        task_id=target.id,
        task_state=str(target.state),
    )


def clear_cache(*, pipeline_name: str | None = None, store: Store | None = None) -> int:
    """Stop reusing every cached execution (of one pipeline, if named); returns how many.

    The executions, their artifacts and lineage stay; only cache lookups skip them.
    """
    return cache_service.clear_cache(store or open_store(Settings.from_env()), pipeline_name)
