"""Reads of runs beyond :class:`~sluice.store.repository.Store`'s: lists, details, queues.

State writes stay in ``Store`` (one gate for run and task states); the only write here
is a run's storage state (archived or available), which is not part of its life cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update

from sluice.store.listing import ListQuery, Page, list_page
from sluice.store.models import (
    EXECUTED_BY_SERVER,
    ExecutionRow,
    RunRow,
    StateTransitionRow,
    TaskRow,
)
from sluice.store.repository import Store
from sluice.store.run_filters import run_list_key

COLUMNS = {
    "run_id": RunRow.id,
    "display_name": RunRow.display_name,
    "created_at": RunRow.created_at,
    "finished_at": RunRow.finished_at,
    "scheduled_at": RunRow.scheduled_at,
    "description": RunRow.description,
    "storage_state": RunRow.storage_state,
    "namespace": RunRow.namespace,
    "experiment_id": RunRow.experiment_id,
    "state": RunRow.state,
    "recurring_run_id": RunRow.recurring_run_id,
    # the v1 API's names
    "id": RunRow.id,
    "name": RunRow.display_name,
    "status": RunRow.state,
}
LIST_KEYS = frozenset(COLUMNS)


@dataclass(frozen=True)
class RunDetails:
    """A run with its tasks, their executions (attempts) and the state history."""

    run: RunRow
    tasks: list[TaskRow]
    executions: dict[str, list[ExecutionRow]] = field(default_factory=dict)
    history: list[StateTransitionRow] = field(default_factory=list)
    task_history: dict[str, list[StateTransitionRow]] = field(default_factory=dict)


class RunRepository:
    """Run lists and details, and the queries the server's background loops make."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, run_id: str) -> RunRow | None:
        """The run with exactly this id, or None (no prefixes or names: see ``resolve_run``)."""
        with self.store.session() as session:
            return session.get(RunRow, run_id)

    def page(
        self,
        query: ListQuery,
        *,
        namespace: str | None = None,
        experiment_id: str | None = None,
    ) -> Page[RunRow]:
        """One page of runs (of one experiment and namespace, if given)."""
        where = []
        if experiment_id:
            where.append(RunRow.experiment_id == experiment_id)
        if namespace:
            where.append(RunRow.namespace == namespace)
        return list_page(
            self.store,
            RunRow,
            COLUMNS,
            query,
            tiebreak=RunRow.id,
            where=where,
            computed=run_list_key,
        )

    def details(self, run: RunRow) -> RunDetails:
        """``run`` with its tasks, executions by task id, and state history split by task."""
        tasks = self.store.tasks_of_run(run.id)
        with self.store.session() as session:
            executions: dict[str, list[ExecutionRow]] = {}
            for execution in session.scalars(
                select(ExecutionRow).where(ExecutionRow.run_id == run.id).order_by(ExecutionRow.id)
            ):
                # A run's executions all have a task (only a user's Vertex ones have none).
                executions.setdefault(execution.task_id or "", []).append(execution)
            transitions = list(
                session.scalars(
                    select(StateTransitionRow)
                    .where(StateTransitionRow.run_id == run.id)
                    .order_by(StateTransitionRow.id)
                )
            )
        own = [t for t in transitions if t.task_id is None]
        per_task: dict[str, list[StateTransitionRow]] = {}
        for transition in transitions:
            if transition.task_id is not None:
                per_task.setdefault(transition.task_id, []).append(transition)
        return RunDetails(run, tasks, executions, own, per_task)

    def set_storage_state(self, run_id: str, storage: str) -> None:
        """Archive (``ARCHIVED``) or restore (``AVAILABLE``) a run."""
        with self.store.session() as session:
            session.execute(update(RunRow).where(RunRow.id == run_id).values(storage_state=storage))

    def count_of_recurring(self, recurring_run_id: str, states: Sequence[str]) -> int:
        """How many runs a recurring run started are in ``states``."""
        with self.store.session() as session:
            count = session.scalar(
                select(func.count())
                .select_from(RunRow)
                .where(RunRow.recurring_run_id == recurring_run_id, RunRow.state.in_(states))
            )
        return int(count or 0)

    def run_of_slot(self, recurring_run_id: str, slot: datetime) -> str | None:
        """The id of the run a recurring run started for ``slot``, if any."""
        with self.store.session() as session:
            found = session.scalar(
                select(RunRow.id).where(
                    RunRow.recurring_run_id == recurring_run_id, RunRow.scheduled_at == slot
                )
            )
        return None if found is None else str(found)

    def server_runs(self, states: Sequence[str], limit: int | None = None) -> list[tuple[str, str]]:
        """``(id, state)`` of the server's runs in ``states``, in submission order.

        A server's runs are those it created (``executed_by`` is ``"server"``); runs
        ``sluice run`` or the Python API created are their creators' to execute.
        """
        # Oldest first, the id breaking ties: the order runs were submitted in. Only the
        # columns needed, since this runs on every wake-up and specs can be large.
        query = (
            select(RunRow.id, RunRow.state)
            .where(RunRow.state.in_(states), RunRow.executed_by == EXECUTED_BY_SERVER)
            .order_by(RunRow.created_at, RunRow.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.store.session() as session:
            return [(str(i), str(st)) for i, st in session.execute(query).all()]

    def with_running_attempts(self, states: Sequence[str]) -> list[str]:
        """Ids of runs in ``states`` that still have an execution RUNNING."""
        query = (
            select(ExecutionRow.run_id)
            .join(RunRow, RunRow.id == ExecutionRow.run_id)
            .where(ExecutionRow.state == "RUNNING", RunRow.state.in_(states))
            .distinct()
        )
        with self.store.session() as session:
            return [str(run_id) for run_id in session.scalars(query).all()]

    def name_of_execution_run(self, execution_id: int) -> str | None:
        """The name of the run an execution belongs to."""
        with self.store.session() as session:
            name = session.scalar(
                select(RunRow.name)
                .join(ExecutionRow, ExecutionRow.run_id == RunRow.id)
                .where(ExecutionRow.id == execution_id)
            )
        return None if name is None else str(name)

    def by_name(self, name: str) -> RunRow | None:
        """The run with exactly this name, or None."""
        with self.store.session() as session:
            return session.scalar(select(RunRow).where(RunRow.name == name))

    def join_experiment(self, run_id: str, experiment_id: str, experiment_name: str) -> None:
        """Put a run in an experiment (its KFP experiment and its experiment context)."""
        with self.store.session() as session:
            context_id = self.store.ensure_context(session, "system.Experiment", experiment_name)
            session.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(experiment_id=experiment_id, experiment_context_id=context_id)
            )
