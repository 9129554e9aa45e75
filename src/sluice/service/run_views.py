"""What the web UI shows of runs beyond their rows: task counts by state, a run with its
tasks and attempts, one task with its attempts, history and artifacts.

Thin reads over the store for the UI's adapter (``sluice.server.ui_api``); the shapes the
UI receives are that adapter's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sluice.errors import MetadataNotFoundError, RunNotFoundError
from sluice.service.cache import CacheExplanation, explain_task
from sluice.service.experiments import ExperimentService
from sluice.service.listing import ListQuery, Predicate
from sluice.service.metadata import MetadataService
from sluice.service.tasks import TaskService
from sluice.store.history import HistoryRepository
from sluice.store.metadata_queries import metrics_of_runs
from sluice.store.models import (
    ArtifactRow,
    ExecutionRow,
    ExperimentRow,
    RunRow,
    StateTransitionRow,
    TaskRow,
)
from sluice.store.repository import Store
from sluice.store.run_filters import RunGroup, latest_runs, reused_metrics_of_runs
from sluice.store.runs import RunDetails, RunRepository


@dataclass(frozen=True)
class TaskView:
    """One task with its attempts (executions, oldest first), its state history and the
    artifacts its inputs and outputs name (by id)."""

    run: RunRow
    task: TaskRow
    attempts: list[ExecutionRow] = field(default_factory=list)
    history: list[StateTransitionRow] = field(default_factory=list)
    artifacts: dict[int, ArtifactRow] = field(default_factory=dict)


def ids_in(value: object) -> list[int]:
    """The artifact ids one input or output of a task row names: one id, or a list of them
    (a ``Collected`` output), stored as numbers or digit strings."""
    items = value if isinstance(value, list) else [value]
    return [
        int(item)
        for item in items
        if isinstance(item, int) or (isinstance(item, str) and item.isdigit())
    ]


def artifact_ids(task: TaskRow) -> list[int]:
    """The ids of the artifacts a task's inputs and outputs name."""
    ids: list[int] = []
    for side in (task.inputs or {}, task.outputs or {}):
        for value in (side.get("artifacts") or {}).values():
            ids += ids_in(value)
    return ids


class RunViewService:
    """Reads of one store's runs, shaped for the web UI."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = RunRepository(store)

    def last_event_id(self, run_id: str | None = None) -> int:
        """The id of the newest state change (of ``run_id``, or of any run); 0 if none.

        Read it *before* what it goes with: following events after it then misses nothing
        that changed after that read.
        """
        return HistoryRepository(self.store).last_seq(run_id)

    def task_counts(self, run_ids: Iterable[str]) -> dict[str, Counter[str]]:
        """For each run, how many of its tasks are in each state (containers and importers
        only: a DAG task's state repeats its children's), in one query for all of them."""
        counts = self.store.task_state_counts(list(dict.fromkeys(run_ids)))
        return {run_id: Counter(by_state) for run_id, by_state in counts.items()}

    def scalar_metrics(self, run_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """For each run, the numbers its ``system.Metrics`` artifacts logged, by name: its
        own artifacts first, then those its cached tasks reused (a cache hit logs none of
        its own). A name two artifacts log keeps the first one's value, as the run list's
        metric filter and sort do (``sluice.store.run_filters.run_metric``)."""
        ids = list(dict.fromkeys(run_ids))
        metrics: dict[str, dict[str, float]] = {}
        own = [(artifact.run_id or "", artifact) for artifact in metrics_of_runs(self.store, ids)]
        for run_id, artifact in own + reused_metrics_of_runs(self.store, ids):
            values = metrics.setdefault(run_id, {})
            for name, value in sorted((artifact.metadata_ or {}).items()):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    values.setdefault(name, float(value))
        return metrics

    def latest_runs(
        self,
        by: Literal["experiment_id", "recurring_run_id"],
        keys: Iterable[str],
        *,
        per_group: int,
        archived: bool = False,
    ) -> list[RunGroup]:
        """The newest ``per_group`` runs of each experiment or recurring run, with their
        counts, in one query: the experiments and recurring-runs lists' last runs."""
        return latest_runs(
            self.store,
            by,
            list(keys),
            per_group=per_group,
            storage_state="ARCHIVED" if archived else "AVAILABLE",
        )

    def experiments(self, ids: Iterable[str]) -> dict[str, ExperimentRow]:
        """The experiments with these ids (those that exist: a run whose experiment was
        deleted shows none), by id, in one list query for a whole page of runs."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = ListQuery(
            predicates=[Predicate("id", "IN", wanted, is_list=True)], limit=len(wanted)
        )
        return {row.id: row for row in ExperimentService(self.store).list(query).rows}

    def run(self, run_id: str) -> RunRow:
        """The run's own row, without its tasks (the run page's header and spec).

        Raises:
            RunNotFoundError: there is no such run.
        """
        row = self.repo.get(run_id)
        if row is None:
            raise RunNotFoundError(f"no run '{run_id}'; list runs with GET /apis/sluice/v1/runs")
        return row

    def details(self, run_id: str) -> RunDetails:
        """A run with its tasks, their attempts and its state history.

        Raises:
            RunNotFoundError: there is no such run.
        """
        return self.repo.details(self.run(run_id))

    def output_artifacts(self, tasks: Iterable[TaskRow]) -> dict[int, ArtifactRow]:
        """The artifacts the tasks' outputs name, by id, in one query (the run graph's
        artifact nodes)."""
        ids: set[int] = set()
        for task in tasks:
            for value in ((task.outputs or {}).get("artifacts") or {}).values():
                ids.update(ids_in(value))
        return self.store.get_artifacts(sorted(ids))

    def task(self, run_id: str, reference: str) -> TaskView:
        """One task of a run by id, path or unique name, with its attempts and history.

        Raises:
            RunNotFoundError: there is no such run, or it has no such task.
        """
        details = self.details(run_id)
        task = TaskService(self.store).find(run_id, reference)
        artifacts = self.store.get_artifacts(artifact_ids(task))
        return TaskView(
            run=details.run,
            task=task,
            attempts=list(details.executions.get(task.id, [])),
            history=list(details.task_history.get(task.id, [])),
            artifacts=artifacts,
        )

    def cache(
        self, run_id: str, reference: str
    ) -> tuple[CacheExplanation, ExecutionRow | None, str | None, RunRow | None]:
        """Why a task was (not) a cache hit, with the source execution, its task path and
        its run (None when that was deleted).

        Raises:
            RunNotFoundError: there is no such run, or it has no such task.
        """
        run = self.details(run_id).run
        task = TaskService(self.store).find(run_id, reference)
        explained = explain_task(
            self.store,
            run_name=run.name,
            task_path=task.path,
            task_id=task.id,
            task_state=task.state,
        )
        if explained.source_execution_id is None:
            return explained, None, None, None
        try:
            entry = MetadataService(self.store).get_execution(explained.source_execution_id)
        except MetadataNotFoundError:  # its run was deleted since
            return explained, None, None, None
        # A cache source is always a run's attempt; only Vertex's user-made executions
        # have no run, and the cache never points at those.
        source_run = self.repo.get(entry.row.run_id) if entry.row.run_id else None
        return explained, entry.row, entry.task_path, source_run
