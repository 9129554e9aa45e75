"""The Python API: run pipelines in this process and read runs from the store."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sluice.client.client import Client
from sluice.client.models import Run
from sluice.client.options import RunConfig
from sluice.client.run_handle import RunHandle
from sluice.events import EventCallback

__all__ = ["RunHandle", "cancel", "get_run", "list_runs", "resume", "run", "submit"]


def _default_client() -> Client:
    # Made at each call, from the environment as it is then (tests and notebooks change
    # SLUICE_HOME between calls); opening a store is cached per URL, so this is cheap.
    return Client()


def run(
    pipeline: object,
    arguments: Mapping[str, Any] | None = None,
    *,
    config: RunConfig | None = None,
    pipeline_root: str | os.PathLike[str] | None = None,
    enable_caching: bool | None = None,
    run_name: str | None = None,
    pipeline_name: str | None = None,
    cache_max_age: timedelta | None = None,
    allow_unsatisfiable_resources: bool | None = None,
    use_container: bool | None = None,
    max_parallel_tasks: int | None = None,
    experiment: str | None = None,
    executor: str | None = None,
    failure_policy: str | None = None,
) -> Run:
    """Run a pipeline and wait for it to end (in the store named by ``$SLUICE_HOME``).

    Args:
        pipeline: a ``@dsl.pipeline`` function, a ``@dsl.component``, or the path of a
            ``.py`` file or a compiled ``.yaml``/``.json`` pipeline.
        arguments: pipeline parameters (and input artifacts as URIs).
        config: the run's options as one :class:`~sluice.RunConfig`; the keyword
            arguments below that are not None override its fields.
        pipeline_root: where artifacts go: a path or an fsspec URI
            (default ``$SLUICE_HOME/artifacts``).
        enable_caching: True or False override every task's setting; None keeps them.
        run_name: the run's name (default ``<pipeline>-<timestamp>``).
        pipeline_name: which pipeline of a ``.py`` file holding several.
        cache_max_age: ignore cache entries older than this.
        allow_unsatisfiable_resources: run even if tasks ask for resources (GPUs) this
            machine lacks.
        use_container: run the tasks in Docker/Podman: the ``docker`` executor, or
            ``podman`` if only that is installed.
        max_parallel_tasks: task processes running at once.
        experiment: group the run, its executions and artifacts under this experiment
            (an ML Metadata context, as Vertex's ``PipelineJob.submit(experiment=...)``).
        executor: the executor that runs the tasks, by name (``local``, ``docker``,
            ``podman`` or one a package registers; default ``$SLUICE_EXECUTOR`` or
            ``local``); a resumed run uses the same one.
        failure_policy: ``"fast"`` (the default) or ``"slow"``: see :class:`~sluice.RunConfig`.

    Returns:
        The finished :class:`Run`. A failed run is returned with ``state == "FAILED"``;
        ``run.raise_for_state()`` raises a :class:`~sluice.ComponentError` for it.

    Raises:
        UserInputError: the pipeline or the arguments are invalid; nothing was run.
    """
    return _default_client().run(
        pipeline,
        arguments,
        config=config,
        pipeline_root=pipeline_root,
        enable_caching=enable_caching,
        run_name=run_name,
        pipeline_name=pipeline_name,
        cache_max_age=cache_max_age,
        allow_unsatisfiable_resources=allow_unsatisfiable_resources,
        use_container=use_container,
        max_parallel_tasks=max_parallel_tasks,
        experiment=experiment,
        executor=executor,
        failure_policy=failure_policy,
    )


def submit(
    pipeline: object,
    arguments: Mapping[str, Any] | None = None,
    *,
    config: RunConfig | None = None,
    pipeline_root: str | os.PathLike[str] | None = None,
    enable_caching: bool | None = None,
    run_name: str | None = None,
    pipeline_name: str | None = None,
    cache_max_age: timedelta | None = None,
    allow_unsatisfiable_resources: bool | None = None,
    use_container: bool | None = None,
    max_parallel_tasks: int | None = None,
    experiment: str | None = None,
    on_event: EventCallback | None = None,
    executor: str | None = None,
    failure_policy: str | None = None,
) -> RunHandle:
    """Start a run in a background thread and return its handle; see :func:`run`.

    ``handle.wait()`` returns the run as it ended; ``handle.result()`` returns it only if
    it SUCCEEDED and raises as :meth:`Run.raise_for_state` otherwise. ``on_event`` is
    called with each of the run's events (:mod:`sluice.events`: state changes of the run
    and its tasks, attempt logs, notices), from the run's thread.
    """
    handle = _default_client().submit(
        pipeline,
        arguments,
        config=config,
        pipeline_root=pipeline_root,
        enable_caching=enable_caching,
        run_name=run_name,
        pipeline_name=pipeline_name,
        cache_max_age=cache_max_age,
        allow_unsatisfiable_resources=allow_unsatisfiable_resources,
        use_container=use_container,
        max_parallel_tasks=max_parallel_tasks,
        experiment=experiment,
        on_event=on_event,
        executor=executor,
        failure_policy=failure_policy,
    )
    assert isinstance(handle, RunHandle)  # a local client's handle
    return handle


def get_run(run_id: str) -> Run:
    """A run from the store, by id, unique id prefix or name (as ``sluice runs show``).

    Raises:
        RunNotFoundError: no such run.
        AmbiguousRunError: an id prefix or display name that matches several runs.
    """
    return _default_client().get_run(run_id)


def list_runs(
    *, limit: int = 100, pipeline_name: str | None = None, state: str | None = None
) -> list[Run]:
    """Runs in the store, newest first (without their tasks; use :func:`get_run`)."""
    return _default_client().list_runs(limit=limit, pipeline_name=pipeline_name, state=state)


def resume(run_id: str) -> Run:
    """Execute an interrupted, failed or canceled run again and wait for it to end.

    Tasks that finished (SUCCEEDED or CACHED) keep their outputs and are not run
    again; the others run, each under its retry policy. Attempts the dead process left
    RUNNING are recorded as abandoned (see docs/semantics.md).

    Raises:
        RunNotFoundError: no such run.
        AmbiguousRunError: an id prefix or display name that matches several runs.
        RunBusyError: another live process (or thread) is executing the run.
    """
    return _default_client().resume(run_id)


def cancel(run_id: str) -> Run:
    """Cancel a run (see :meth:`sluice.Client.cancel` for what is stopped and how).

    Raises:
        RunNotFoundError: no such run.
        AmbiguousRunError: an id prefix or display name that matches several runs.
    """
    return _default_client().cancel(run_id)
