"""Test helpers: a run row or a task row written to a real store, with defaults for the
columns a test does not care about.

Each returns the row ``Store.create_run`` or ``Store.create_task`` returned (take ``.id``
where only the id is wanted). A test that depends on a value passes it explicitly, even
when it is the default, so that the test says what it relies on.
"""

from __future__ import annotations

from typing import Any

from sluice.store.models import RunRow, TaskRow
from sluice.store.repository import Store


def new_run(
    store: Store,
    *,
    name: str = "r",
    display_name: str | None = None,
    pipeline_name: str = "pipe",
    pipeline_root: str = "/tmp/root",
    pipeline_spec: dict[str, Any] | None = None,
    arguments: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    **fields: Any,
) -> RunRow:
    """A new PENDING run, created through ``store.create_run``.

    ``display_name`` defaults to ``name``; ``pipeline_spec``, ``arguments`` and
    ``options`` to empty dicts. ``fields`` go to ``create_run`` as they are: ``state``,
    ``experiment`` and other run columns (``executed_by``, ``experiment_id``,
    ``recurring_run_id``, ...).
    """
    return store.create_run(
        name=name,
        display_name=name if display_name is None else display_name,
        pipeline_name=pipeline_name,
        pipeline_spec={} if pipeline_spec is None else pipeline_spec,
        arguments={} if arguments is None else arguments,
        pipeline_root=pipeline_root,
        options={} if options is None else options,
        **fields,
    )


def new_task(
    store: Store,
    run_id: str,
    *,
    name: str = "t",
    path: str | None = None,
    display_name: str | None = None,
    parent_id: str | None = None,
    kind: str = "container",
    component_name: str | None = None,
    **fields: Any,
) -> TaskRow:
    """A new PENDING task of run ``run_id``, created through ``store.create_task``.

    ``path`` and ``display_name`` default to ``name``, ``component_name`` to
    ``comp-{name}``. ``fields`` go to ``create_task`` as they are: ``state``,
    ``deferred=True`` (a row written by the task's first write), ``resources``, ...
    """
    return store.create_task(
        run_id=run_id,
        parent_id=parent_id,
        name=name,
        path=name if path is None else path,
        display_name=name if display_name is None else display_name,
        kind=kind,
        component_name=f"comp-{name}" if component_name is None else component_name,
        **fields,
    )
