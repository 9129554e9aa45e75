"""Experiments: create (idempotent by name), get, list, archive, unarchive, delete."""

from __future__ import annotations

from collections.abc import Callable

from sluice.errors import InvalidArgumentError, NotFoundError
from sluice.store.experiments import LIST_KEYS, ExperimentRepository
from sluice.store.listing import ListQuery, Page
from sluice.store.models import ExperimentRow
from sluice.store.repository import Store

DEFAULT_EXPERIMENT = "Default"

__all__ = ["DEFAULT_EXPERIMENT", "LIST_KEYS", "ExperimentService"]


class ExperimentService:
    """Experiments of one store.

    Args:
        store: the store.
        on_schedules_changed: called after recurring runs were disabled (the server wakes
            its scheduler with it).
    """

    def __init__(
        self, store: Store, *, on_schedules_changed: Callable[[], None] | None = None
    ) -> None:
        self.repo = ExperimentRepository(store)
        self._on_schedules_changed = on_schedules_changed

    def create(
        self, display_name: str, *, description: str | None = None, namespace: str = ""
    ) -> ExperimentRow:
        """Create an experiment, or return the one of that name in the namespace.

        Idempotent by name: ``kfp.Client`` looks an experiment up and creates it when it is
        missing, so concurrent first submissions all create "Default"; each of them must
        get the same experiment back rather than a conflict for all but one.

        Raises:
            InvalidArgumentError: the name is empty.
        """
        name = display_name.strip()
        if not name:
            raise InvalidArgumentError("experiment display_name must be 1 to 256 characters")
        return self.repo.get_or_create(namespace, name, description or None)

    def default(self, namespace: str = "") -> ExperimentRow:
        """The "Default" experiment, created on first use as KFP does."""
        return self.repo.get_or_create(namespace, DEFAULT_EXPERIMENT)

    def get(self, experiment_id: str) -> ExperimentRow:
        """The experiment with this id.

        Raises:
            NotFoundError: there is none.
        """
        row = self.repo.get(experiment_id)
        if row is None:
            raise NotFoundError(f"no experiment '{experiment_id}'")
        return row

    def resolve(self, experiment_id: str | None) -> ExperimentRow:
        """The experiment with this id, or the default one when None or empty.

        Raises:
            NotFoundError: no experiment has this id.
        """
        if not experiment_id:
            return self.default()
        row = self.repo.get(experiment_id)
        if row is None:
            raise NotFoundError(
                f"no experiment '{experiment_id}'; GET /apis/v2beta1/experiments lists them"
            )
        return row

    def list(self, query: ListQuery, *, namespace: str | None = None) -> Page[ExperimentRow]:
        """One page of experiments (of one namespace, if given)."""
        return self.repo.page(query, namespace=namespace)

    def archive(self, experiment_id: str) -> None:
        """Archive an experiment and its runs, and disable its recurring runs (as KFP)."""
        self.get(experiment_id)
        self.repo.set_storage_state(experiment_id, "ARCHIVED")
        if self._on_schedules_changed is not None:
            self._on_schedules_changed()

    def unarchive(self, experiment_id: str) -> None:
        """Make an archived experiment available again (its runs stay archived, as KFP)."""
        self.get(experiment_id)
        self.repo.set_storage_state(experiment_id, "AVAILABLE")

    def delete(self, experiment_id: str) -> None:
        """Delete an experiment; its runs are kept."""
        self.get(experiment_id)
        self.repo.delete(experiment_id)
