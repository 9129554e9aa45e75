"""Runs as the Python API and ``sluice run`` handle them: executed by this process, read
with everything those interfaces render, canceled where nothing here executes them.

The server hands runs to its manager (:class:`sluice.service.runs.RunExecutor`); a local
client executes each one itself, in a thread, until it ends.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from sluice.config import Settings
from sluice.engine.runner import execute_run
from sluice.errors import RunNotFoundError
from sluice.events import EventCallback, Subscription
from sluice.states import RunState
from sluice.store.models import ArtifactRow, RunRow, TaskRow
from sluice.store.repository import Store

__all__ = ["LocalRunService", "RunRecord"]


@dataclass(frozen=True)
class RunRecord:
    """A run with its tasks and every artifact their inputs and outputs name.

    Attributes:
        run: the run.
        tasks: its tasks in creation order (empty when read by a list).
        artifacts: by id, the artifacts of the run's outputs and of the tasks' inputs
            and outputs (one that was deleted is missing).
    """

    run: RunRow
    tasks: list[TaskRow]
    artifacts: dict[int, ArtifactRow]


def _artifact_ids(*sections: dict[str, Any] | None) -> set[int]:
    return {
        int(i)
        for section in sections
        for ids in ((section or {}).get("artifacts") or {}).values()
        for i in ids
    }


class LocalRunService:
    """Runs of one store, as a process that executes them itself sees them.

    Args:
        store: the store.
        settings: where the runs' files go, and how their executors are made.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    async def execute(self, run_id: str) -> None:
        """Execute a run in this process until it ends (cancel the coroutine to stop it).

        The executor is the one the run's options name (a resumed run's: the one it was
        started with); finished tasks keep their outputs.

        Raises:
            RunBusyError: another live process (or thread) is executing the run.
        """
        await execute_run(self.store, run_id, settings=self.settings)

    def subscribe(self, run_id: str, callback: EventCallback) -> Subscription:
        """Call ``callback`` with each event of the run, from the publishing thread."""
        return self.store.events.subscribe(callback, run_id=run_id)

    def get(self, run_id: str, *, pipeline_spec: bool = True) -> RunRecord:
        """The run with exactly this id, with its tasks.

        ``pipeline_spec=False`` leaves the run's spec unread (reading it from the row
        raises): what a :class:`sluice.Run` shows needs none of it.

        Raises:
            RunNotFoundError: there is none.
        """
        row = self.store.get_run(run_id, pipeline_spec=pipeline_spec)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'")
        return self._record(row, self.store.tasks_of_run(row.id))

    def resolve(self, reference: str) -> RunRecord:
        """The run an id, unique id prefix, name or display name names, with its tasks.

        Raises:
            RunNotFoundError: none matches.
            AmbiguousRunError: several do.
        """
        row = self.store.resolve_run(reference)
        return self._record(row, self.store.tasks_of_run(row.id))

    def list(
        self, *, limit: int = 100, pipeline_name: str | None = None, state: str | None = None
    ) -> builtins.list[RunRecord]:
        """Runs, newest first, without their tasks (:meth:`get` reads those)."""
        rows = self.store.list_runs(limit=limit, pipeline_name=pipeline_name, state=state)
        return [self._record(row, []) for row in rows]

    def cancel_unowned(self, run_id: str) -> RunRecord:
        """Cancel a run this process does not execute; a run that ended is left alone.

        A PENDING run is marked CANCELED. A RUNNING one is marked CANCELING: the store
        does not record which process executes it, so that process (or a server on its
        next start) finishes the cancellation.

        Raises:
            RunNotFoundError: there is no such run.
        """
        row = self.get(run_id).run
        if row.state == RunState.PENDING:
            self.store.transition_run(row.id, RunState.CANCELED, error="canceled", finished=True)
        elif row.state == RunState.RUNNING:
            self.store.transition_run(row.id, RunState.CANCELING)
        return self.get(run_id)

    def _record(self, row: RunRow, tasks: builtins.list[TaskRow]) -> RunRecord:
        ids = _artifact_ids(row.outputs)
        for task in tasks:
            ids |= _artifact_ids(task.inputs, task.outputs)
        return RunRecord(row, tasks, self.store.get_artifacts(sorted(ids)))
