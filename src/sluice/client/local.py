"""The Python API: run pipelines in this process and read runs from the store."""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sluice.client.convert import run_from_record
from sluice.client.handle import BaseRunHandle
from sluice.client.models import Run
from sluice.client.options import RunConfig
from sluice.config import Settings
from sluice.events import EventCallback, Subscription
from sluice.service.local_runs import LocalRunService
from sluice.service.stores import Store
from sluice.store.models import RunRow

if TYPE_CHECKING:
    from sluice.client.client import Client


def _default_client() -> Client:
    # Made at each call, from the environment as it is then (tests and notebooks change
    # SLUICE_HOME between calls); opening a store is cached per URL, so this is cheap.
    from sluice.client.client import Client

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
    )


# Runs executing in this process, by id: how `cancel` finds the thread that runs one.
_live: weakref.WeakValueDictionary[str, RunHandle] = weakref.WeakValueDictionary()
_live_lock = threading.Lock()


def live_handle(run_id: str) -> RunHandle | None:
    """The handle of the run ``run_id`` if this process is executing it now."""
    with _live_lock:
        handle = _live.get(run_id)
    return handle if handle is not None and not handle.done() else None


class RunHandle(BaseRunHandle):
    """A run executing in a background thread of this process (what ``submit`` returns).

    Attributes:
        id: the run's id.
        name: the run's name.

    ``on_event`` is subscribed to the store's event bus (:mod:`sluice.events`) for this
    run before it starts, and called from the run's thread with each event until the run
    ends.
    """

    def __init__(
        self, store: Store, row: RunRow, settings: Settings, on_event: EventCallback | None = None
    ) -> None:
        self.id = row.id
        self.name = row.name
        self._runs = LocalRunService(store, settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[Any] | None = None
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._error: BaseException | None = None
        self._subscription: Subscription | None = (
            None if on_event is None else self._runs.subscribe(row.id, on_event)
        )
        self._thread = threading.Thread(
            target=self._target, name=f"sluice-run-{row.name}", daemon=True
        )
        with _live_lock:
            _live[self.id] = self
        self._thread.start()

    def _target(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._main = asyncio.current_task()
            self._ready.set()
            # The executor the run's options name (a resumed run: the one it started with).
            await self._runs.execute(self.id)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self._error = exc
        finally:
            if self._subscription is not None:
                self._subscription.close()
            self._ready.set()
            self._ended.set()

    def done(self) -> bool:
        """Whether the run has ended."""
        return self._ended.is_set()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Block until the run's thread ends (or ``timeout`` seconds pass); whether it did.

        Wakes as soon as the run ends; a short timeout keeps a waiting main thread able
        to take Ctrl-C.
        """
        return self._ended.wait(timeout)

    def cancel(self) -> None:
        """Stop the run's tasks and mark it CANCELED."""
        self._ready.wait()
        if self._loop is not None and self._main is not None and not self.done():
            self._loop.call_soon_threadsafe(self._main.cancel)

    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or ``timeout`` seconds pass) and return it."""
        self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self.get()

    def get(self) -> Run:
        """The run as it is in the store now."""
        return run_from_record(self._runs.get(self.id))


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
