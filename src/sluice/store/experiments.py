"""Experiments: a name per namespace that groups runs and recurring runs (KFP's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from sluice.errors import AlreadyExistsError, StoreConflictError
from sluice.store.listing import ListQuery, Page, list_page
from sluice.store.models import ExperimentRow, RecurringRunRow, RunRow
from sluice.store.repository import Store, new_id

COLUMNS = {
    "experiment_id": ExperimentRow.id,
    "id": ExperimentRow.id,
    "display_name": ExperimentRow.display_name,
    "name": ExperimentRow.display_name,
    "created_at": ExperimentRow.created_at,
    "last_run_created_at": ExperimentRow.last_run_created_at,
    "description": ExperimentRow.description,
    "namespace": ExperimentRow.namespace,
    "storage_state": ExperimentRow.storage_state,
}
LIST_KEYS = frozenset(COLUMNS)


class ExperimentRepository:
    """Reads and writes of the ``experiments`` table of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, experiment_id: str) -> ExperimentRow | None:
        """The experiment with this id, or None."""
        with self.store.session() as session:
            return session.get(ExperimentRow, experiment_id)

    def named(self, namespace: str, name: str) -> ExperimentRow | None:
        """The experiment of this display name in the namespace, or None."""
        with self.store.session() as session:
            return session.scalar(
                select(ExperimentRow).where(
                    ExperimentRow.namespace == namespace, ExperimentRow.display_name == name
                )
            )

    def get_or_create(
        self, namespace: str, name: str, description: str | None = None
    ) -> ExperimentRow:
        """The experiment of this name in the namespace, created when missing.

        Idempotent under concurrency: a request that loses the race to insert it gets the
        winner's row back.

        Raises:
            AlreadyExistsError: the insert conflicted yet no such experiment is found.
        """
        existing = self.named(namespace, name)
        if existing is not None:
            return existing
        row = ExperimentRow(
            id=new_id(), display_name=name, description=description, namespace=namespace
        )
        try:
            with self.store.session() as session:
                session.add(row)
        except StoreConflictError as exc:
            # Created by a concurrent request between the lookup and the insert.
            existing = self.named(namespace, name)
            if existing is None:
                raise AlreadyExistsError(f"an experiment named '{name}' already exists") from exc
            return existing
        return row

    def page(self, query: ListQuery, *, namespace: str | None = None) -> Page[ExperimentRow]:
        """One page of experiments (of one namespace, if given)."""
        where = [ExperimentRow.namespace == namespace] if namespace else []
        return list_page(
            self.store, ExperimentRow, COLUMNS, query, tiebreak=ExperimentRow.id, where=where
        )

    def set_storage_state(self, experiment_id: str, storage: str) -> None:
        """Archive (``ARCHIVED``) or restore (``AVAILABLE``) an experiment.

        Archiving also archives its runs and disables its recurring runs, in one
        transaction, as KFP does; restoring leaves them as they are.
        """
        with self.store.session() as session:
            session.execute(
                update(ExperimentRow)
                .where(ExperimentRow.id == experiment_id)
                .values(storage_state=storage)
            )
            if storage == "ARCHIVED":
                session.execute(
                    update(RunRow)
                    .where(RunRow.experiment_id == experiment_id)
                    .values(storage_state="ARCHIVED")
                )
                session.execute(
                    update(RecurringRunRow)
                    .where(RecurringRunRow.experiment_id == experiment_id)
                    .values(status="DISABLED")
                )

    def delete(self, experiment_id: str) -> None:
        """Delete an experiment (its runs are kept); nothing happens when it is gone."""
        with self.store.session() as session:
            row = session.get(ExperimentRow, experiment_id)
            if row is not None:
                session.delete(row)

    def record_run_created(self, experiment_id: str, when: datetime) -> None:
        """Note that a run of the experiment was created at ``when``."""
        with self.store.session() as session:
            row = session.get(ExperimentRow, experiment_id)
            if row is not None:
                row.last_run_created_at = when
