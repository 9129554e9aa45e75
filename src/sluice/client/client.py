"""One client object for every way of reaching Sluice: a local store, or a server.

``sluice.run``, ``sluice.submit`` and the other module-level functions use a client made
from the environment (``SLUICE_HOME`` / ``SLUICE_DB_URL``) at each call; make a
:class:`Client` to name the store (or the server) explicitly::

    client = sluice.Client(home="/data/sluice")
    run = client.run(train, {"rows": 100}).raise_for_state()
    remote = sluice.Client(host="http://127.0.0.1:8888")
    handle = remote.submit(train, {"rows": 100})
    print(handle.result().outputs)

Both kinds return the same :class:`~sluice.Run` and :class:`~sluice.TaskRun` views.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sluice.client.handle import BaseRunHandle
from sluice.client.models import Run
from sluice.client.options import RunConfig
from sluice.config import Settings
from sluice.errors import UserInputError
from sluice.states import RunState

if TYPE_CHECKING:
    from sluice.client.bound_metadata import BoundMetadata
    from sluice.client.remote import RemoteClient
    from sluice.client.remote_runs import RemoteRuns
    from sluice.events import EventCallback
    from sluice.service.local_runs import LocalRunService
    from sluice.service.stores import Store


class Client:
    """Runs pipelines and reads runs, in one local store or on one Sluice server.

    Args:
        home: the Sluice home of a local client (default ``$SLUICE_HOME``, else
            ``~/.sluice``): where runs' working files, artifacts and the SQLite store live.
        db_url: the store's SQLAlchemy URL (default ``$SLUICE_DB_URL``, else SQLite in
            ``home``).
        host: a Sluice server's URL (``http://HOST:PORT``); runs are then submitted to it
            and read from it, and ``home``/``db_url`` must not be given.
        token: the server's bearer token (default ``$SLUICE_TOKEN``); only with ``host``.

    Two clients on two homes in one process keep their runs apart. A local client
    executes runs in threads of this process; a host client only follows them.

    Raises:
        UserInputError: ``host`` together with ``home`` or ``db_url``.
    """

    def __init__(
        self,
        *,
        home: str | os.PathLike[str] | None = None,
        db_url: str | None = None,
        host: str | None = None,
        token: str | None = None,
    ) -> None:
        if host and (home is not None or db_url is not None):
            raise UserInputError(
                "Client(host=...) reads the server's store; drop home=/db_url= or host="
            )
        self.host = host or None
        self._token = token
        self.settings: Settings | None = (
            None if self.host else Settings.from_env(home=home, db_url=db_url)
        )
        self._store: Store | None = None
        self._remote: RemoteRuns | None = None

    def __repr__(self) -> str:
        where = f"host={self.host!r}" if self.host else f"db_url={self._settings().db_url!r}"
        return f"Client({where})"

    # -- plumbing ---------------------------------------------------------------------------

    def _settings(self) -> Settings:
        assert self.settings is not None, "a host client has no local settings"
        return self.settings

    def _local_store(self) -> Store:
        # Opened on first use: making a client touches nothing.
        if self._store is None:
            from sluice.service.stores import open_store

            self._store = open_store(self._settings())
        return self._store

    def _local(self) -> LocalRunService:
        from sluice.service.local_runs import LocalRunService

        return LocalRunService(self._local_store(), self._settings())

    def _remote_runs(self) -> RemoteRuns:
        if self._remote is None:
            from sluice.client.remote import RemoteClient
            from sluice.client.remote_runs import RemoteRuns

            assert self.host is not None
            self._remote = RemoteRuns(RemoteClient(self.host, token=self._token))
        return self._remote

    @property
    def api(self) -> RemoteClient:
        """A host client's raw KFP v2beta1 REST client (for JSON the views leave out).

        Raises:
            UserInputError: a local client.
        """
        if not self.host:
            raise UserInputError("Client.api is the server's REST API; give Client(host=...)")
        return self._remote_runs().api

    def close(self) -> None:
        """Close a host client's connections (a local client holds none of its own)."""
        if self._remote is not None:
            self._remote.api.close()
            self._remote = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
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
        """Run a pipeline and wait for it to end.

        Args:
            pipeline: a ``@dsl.pipeline`` function, a ``@dsl.component``, or the path of a
                ``.py`` file or a compiled ``.yaml``/``.json`` pipeline.
            arguments: pipeline parameters (and input artifacts as URIs).
            config: the run's options; the keyword arguments below that are not None
                override its fields (they are :class:`RunConfig`'s fields).
            pipeline_root, enable_caching, run_name, pipeline_name, cache_max_age,
            allow_unsatisfiable_resources, use_container, max_parallel_tasks, experiment,
            executor, failure_policy:
                see :class:`RunConfig`.

        Returns:
            The finished :class:`Run`; a failed run is returned with ``state == "FAILED"``
            (``run.raise_for_state()`` raises for it). On Ctrl-C the run is canceled first.

        Raises:
            UserInputError: the pipeline or the arguments are invalid; nothing was run (or
                an option a server does not take yet, with ``host``).
        """
        handle = self.submit(
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
        try:
            return handle.wait()
        except KeyboardInterrupt:
            handle.cancel()
            handle.wait()
            raise

    def submit(
        self,
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
        on_event: EventCallback | None = None,
    ) -> BaseRunHandle:
        """Start a run and return a handle on it at once; see :meth:`run` for the arguments.

        ``on_event`` (local clients only) is called with each engine event, on the run's
        thread. ``handle.result()`` waits and raises as :meth:`Run.raise_for_state`.
        """
        options = (config or RunConfig()).with_overrides(
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
        if self.host:
            return self._remote_runs().submit(pipeline, arguments, options, on_event)
        from sluice.client.run_handle import RunHandle
        from sluice.service.runs import prepare_run
        from sluice.states import FailurePolicy

        policy = options.failure_policy
        fields = None if policy is None else {"failure_policy": FailurePolicy.parse(policy).value}

        store, row, settings, _warnings = prepare_run(
            pipeline,
            arguments,
            pipeline_root=options.pipeline_root,
            enable_caching=options.enable_caching,
            run_name=options.run_name,
            pipeline_name=options.pipeline_name,
            cache_max_age=options.cache_max_age,
            allow_unsatisfiable_resources=options.allow_unsatisfiable_resources,
            use_container=options.use_container,
            max_parallel_tasks=options.max_parallel_tasks,
            experiment=options.experiment,
            executor=options.executor,
            run_fields=fields,
            settings=self._settings(),
        )
        return RunHandle(store, row, settings, on_event)

    # -- reading ----------------------------------------------------------------------------

    def get_run(self, run: str) -> Run:
        """A run with its tasks, by id, unique id prefix or name (as ``sluice runs show``).

        Raises:
            RunNotFoundError: no such run.
            AmbiguousRunError: an id prefix or display name that matches several runs
                (a ``UserInputError`` listing them, from a server).
        """
        if self.host:
            return self._remote_runs().resolve(run)
        from sluice.client.convert import run_from_record

        return run_from_record(self._local().resolve(run))

    def list_runs(
        self, *, limit: int = 100, pipeline_name: str | None = None, state: str | None = None
    ) -> list[Run]:
        """Runs, newest first, without their tasks (use :meth:`get_run` for those).

        Raises:
            UserInputError: ``pipeline_name`` with a host client (filter by ``state``).
        """
        if self.host:
            return self._remote_runs().list(limit=limit, pipeline_name=pipeline_name, state=state)
        from sluice.client.convert import run_from_record

        found = self._local().list(limit=limit, pipeline_name=pipeline_name, state=state)
        return [run_from_record(record) for record in found]

    @property
    def metadata(self) -> BoundMetadata:
        """``sluice.metadata`` bound to this client's store: ``client.metadata.Artifact.list()``.

        Raises:
            UserInputError: a host client (the KFP API has no metadata queries).
        """
        if self.host:
            raise UserInputError(
                "metadata queries read a local store; use Client(home=...) or "
                "Client(db_url=...) with the server's store"
            )
        from sluice.client.bound_metadata import BoundMetadata

        return BoundMetadata(self._local_store())

    # -- resuming and canceling -------------------------------------------------------------

    def resume(self, run: str) -> Run:
        """Execute an interrupted, failed or canceled run again and wait for it to end.

        Tasks that finished (SUCCEEDED or CACHED) keep their outputs and are not run
        again; the others run, each under its retry policy, with the options the run was
        created with. A host client asks the server to retry the run. Do not resume a run
        that another process is still executing.

        Raises:
            RunNotFoundError: no such run.
            AmbiguousRunError: an id prefix or display name that matches several runs.
            UserInputError: (host) the server cannot retry a run in its state.
        """
        if self.host:
            return self._remote_runs().resume(run)
        from sluice.client.convert import run_from_record
        from sluice.client.run_handle import RunHandle

        record = self._local().resolve(run)
        if record.run.state == RunState.SUCCEEDED:
            return run_from_record(record)
        return RunHandle(self._local_store(), record.run, self._settings()).wait()

    def cancel(self, run: str) -> Run:
        """Cancel a run and return it as it is afterwards; a run that ended is left alone.

        - With a host client, the server stops the run's tasks (its ``:terminate``).
        - A run this process executes (one ``submit`` started, from any client) has its
          tasks stopped, as Ctrl-C does in ``sluice run``; this waits until it is CANCELED.
        - A PENDING run nobody executes yet is marked CANCELED.
        - A run another process executes is marked CANCELING: Sluice keeps no record of
          which process that is, so it is not signalled; that process (or ``sluice server``
          on its next start) finishes the cancellation. To stop it now, interrupt that
          process (Ctrl-C on ``sluice run``) or cancel through the server that runs it.

        Raises:
            RunNotFoundError: no such run.
            AmbiguousRunError: an id prefix or display name that matches several runs.
        """
        if self.host:
            return self._remote_runs().cancel(run)
        from sluice.client.convert import run_from_record
        from sluice.client.run_handle import live_handle

        local = self._local()
        run_id = local.resolve(run).run.id
        handle = live_handle(run_id)
        if handle is not None:
            handle.cancel()
            return handle.wait()
        return run_from_record(local.cancel_unowned(run_id))
