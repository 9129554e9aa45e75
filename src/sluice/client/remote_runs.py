"""A host client's runs: submitted to a Sluice server and followed there, as the views a
local client returns (:class:`~sluice.Run`, :class:`~sluice.TaskRun`)."""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sluice.client.convert import run_from_json
from sluice.client.handle import BaseRunHandle
from sluice.client.models import Run
from sluice.client.options import RunConfig
from sluice.errors import UserInputError
from sluice.states import FINAL_RUN_STATES, RunState

if TYPE_CHECKING:
    from sluice.client.remote import RemoteClient
    from sluice.events import EventCallback


class RemoteRuns:
    """What :class:`sluice.Client` does with runs when it is given ``host=``.

    Args:
        api: the server's KFP v2beta1 REST client.
    """

    def __init__(self, api: RemoteClient) -> None:
        self.api = api

    def submit(
        self,
        pipeline: object,
        arguments: Mapping[str, Any] | None,
        options: RunConfig,
        on_event: EventCallback | None,
    ) -> RemoteRunHandle:
        """Check the pipeline here, then create the run on the server (it runs there).

        Raises:
            UserInputError: the pipeline or the arguments are invalid (checked here first,
                with the messages of a local run), or an option a server does not take yet.
        """
        # Imported here: listing or reading a server's runs needs neither kfp nor the engine.
        from sluice.service.runs import check_run_request

        given = options.host_unsupported() + (["on_event"] if on_event is not None else [])
        if given:
            raise UserInputError(
                f"{', '.join(given)} cannot be used with a host client yet; drop it or run "
                "with a local Client()"
            )
        spec, parameters = check_run_request(
            pipeline, arguments, pipeline_name=options.pipeline_name
        )
        root = options.pipeline_root
        created = self.api.create_run(
            spec,
            parameters,
            display_name=options.run_name,
            pipeline_root=os.fspath(root) if root is not None else None,
        )
        return RemoteRunHandle(self, str(created["run_id"]), created)

    def get(self, run_id: str) -> Run:
        """The run with exactly this id, with its tasks."""
        return run_from_json(self.api.get_run(run_id))

    def resolve(self, reference: str) -> Run:
        """The run an id, unique id prefix or name names, with its tasks."""
        return self.get(self.api.resolve_run(reference))

    def list(
        self, *, limit: int = 100, pipeline_name: str | None = None, state: str | None = None
    ) -> builtins.list[Run]:
        """Runs, newest first.

        Raises:
            UserInputError: ``pipeline_name`` (the server filters by ``state`` only).
        """
        if pipeline_name is not None:
            raise UserInputError("pipeline_name cannot be used with a host client yet")
        return [run_from_json(r) for r in self.api.list_runs(limit=limit, state=state)]

    def resume(self, reference: str) -> Run:
        """Ask the server to retry the run (unless it SUCCEEDED) and wait for it to end."""
        run_id = self.api.resolve_run(reference)
        current = self.api.get_run(run_id)
        if current.get("state") != RunState.SUCCEEDED:
            self.api.retry(run_id)
            return RemoteRunHandle(self, run_id, current).wait()
        return self.get(run_id)

    def cancel(self, reference: str) -> Run:
        """Ask the server to stop the run's tasks (its ``:terminate``); return the run."""
        run_id = self.api.resolve_run(reference)
        self.api.terminate(run_id)
        return self.get(run_id)


class RemoteRunHandle(BaseRunHandle):
    """A run submitted to a Sluice server, followed by polling it.

    Attributes:
        id: the run's id on the server.
        name: its display name.
        poll_seconds: how often :meth:`wait` asks the server.
    """

    def __init__(self, runs: RemoteRuns, run_id: str, created: Mapping[str, Any]) -> None:
        self.id = run_id
        self.name = str(created.get("display_name") or run_id)
        self.poll_seconds = 0.5
        self._runs = runs
        self._state = str(created.get("state") or "PENDING")

    def done(self) -> bool:
        """Whether the run had ended when the server was last asked (asks if not)."""
        if self._state not in FINAL_RUN_STATES:
            self._state = self._runs.api.get_run(self.id).get("state") or self._state
        return self._state in FINAL_RUN_STATES

    def cancel(self) -> None:
        """Ask the server to cancel the run."""
        self._runs.api.terminate(self.id)

    def get(self) -> Run:
        """The run as the server has it now."""
        run = self._runs.get(self.id)
        self._state = run.state
        return run

    def wait(self, timeout: float | None = None) -> Run:
        """Poll the server until the run ends (or ``timeout`` seconds pass); return it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            run = self.get()
            if run.state in FINAL_RUN_STATES or (
                deadline is not None and time.monotonic() >= deadline
            ):
                return run
            time.sleep(self.poll_seconds)
