"""Metadata contexts as Vertex AI's API sees them: create, get, list, update, delete,
children, members and the lineage inside one.

Contexts are the store's rows (a run's ``system.PipelineRun`` context, its pipeline's
``system.Pipeline``, experiments, and what users create), each known by its resource id:
its name, or for a run's own context the run's name (the job id). A ``system.Experiment``
context is also the KFP experiment of that name: creating one creates it, and putting a
pipeline job's context in it moves the run into that experiment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.errors import InvalidArgumentError, MetadataNotFoundError
from sluice.service.experiments import ExperimentService
from sluice.service.metadata import MetadataService
from sluice.service.metadata_resources import MetadataResourceService
from sluice.store import context_writes as writes
from sluice.store.context_links import resource_id_of
from sluice.store.context_writes import NewContext
from sluice.store.lineage_subgraph import LineageRows
from sluice.store.metadata_queries import Page
from sluice.store.models import ContextRow, RunRow
from sluice.store.repository import Store
from sluice.store.run_executions import pipeline_parameters
from sluice.store.runs import RunRepository

EXPERIMENT = "system.Experiment"
PIPELINE_RUN = writes.PIPELINE_RUN

__all__ = ["EXPERIMENT", "PIPELINE_RUN", "ContextService", "ContextView", "NewContext"]


@dataclass(frozen=True)
class ContextView:
    """A context with what its Vertex shape needs: its resource id and its parents' ids."""

    row: ContextRow
    resource_id: str
    parent_ids: list[str]


class ContextService:
    """The contexts of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.metadata = MetadataService(store)
        self.experiments = ExperimentService(store)

    # -- reads ----------------------------------------------------------------------------

    def find(self, resource_id: str) -> ContextRow | None:
        """The context with this resource id (or full resource name), or None.

        A KFP experiment that no run has used yet has no context: it gets one here, so
        ``aiplatform.Experiment(name)`` finds every experiment ``kfp.Client`` made.
        """
        key = resource_id_of(resource_id)
        found = writes.find(self.store, key)
        if found is None and self.experiments.repo.named("", key) is not None:
            found = writes.ensure(self.store, EXPERIMENT, key)
        return found

    def get(self, resource_id: str) -> ContextRow:
        """The context with this resource id (or full resource name).

        Raises:
            MetadataNotFoundError: there is none.
        """
        row = self.find(resource_id)
        if row is None:
            raise MetadataNotFoundError(
                f"no context '{resource_id_of(resource_id)}' in the metadata store; "
                "Context.list() shows them"
            )
        return row

    def views(self, rows: Sequence[ContextRow]) -> list[ContextView]:
        """The rows with their resource ids and parents (a few queries for all of them)."""
        parents = writes.parents_of(self.store, [row.id for row in rows])
        every_parent = [p for found in parents.values() for p in found]
        names = writes.run_names(
            self.store, [*(row.id for row in rows), *(p.id for p in every_parent)]
        )
        return [
            ContextView(
                row,
                names.get(row.id, row.name),
                [names.get(p.id, p.name) for p in parents.get(row.id, [])],
            )
            for row in rows
        ]

    def view(self, row: ContextRow) -> ContextView:
        """One row as a :class:`ContextView`."""
        return self.views([row])[0]

    def list(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ContextView]:
        """One page of contexts matching a Vertex ``filter`` (newest first by default).

        Raises:
            InvalidFilterError: the filter or order names an unknown field or does not parse.
        """
        page = self.metadata.list_contexts(filter, order_by, limit=limit, page_token=page_token)
        return Page(self.views(page.items), page.next_page_token)

    def lineage(self, resource_id: str) -> LineageRows:
        """The artifacts and executions in the context and the events between them."""
        return writes.members_subgraph(self.store, self.get(resource_id).id)

    # -- writes ---------------------------------------------------------------------------

    def create(self, new: NewContext) -> ContextRow:
        """Record a context; an experiment's is also the KFP experiment of its name.

        Raises:
            AlreadyExistsError: a context already has this resource id.
            InvalidArgumentError: the id or schema title is empty.
        """
        if not new.resource_id.strip() or not new.schema_title.strip():
            raise InvalidArgumentError("a context needs a resource id and a schema title")
        if "/" in new.resource_id:
            raise InvalidArgumentError(f"a context id holds no '/': '{new.resource_id}'")
        row = writes.create(self.store, new)
        if row.type == EXPERIMENT:
            self.experiments.create(row.name)
        return row

    def update(self, resource_id: str, fields: Mapping[str, Any]) -> ContextRow:
        """Replace these fields (``display_name``, ``description``, ``schema_version``,
        ``metadata``, ``labels``) of the context; the update time and etag move on."""
        row = self.get(resource_id)
        values = {("properties" if k == "metadata" else k): v for k, v in fields.items()}
        return writes.update_fields(self.store, row.id, values)

    def delete(self, resource_id: str) -> None:
        """Delete the context (runs in an experiment stay, out of it); an experiment's
        is also the KFP experiment of that name.

        Raises:
            MetadataNotFoundError: there is none.
            FailedPreconditionError: it is a pipeline job's own or pipeline context.
        """
        row = self.get(resource_id)
        writes.delete_context(self.store, row.id)
        if row.type == EXPERIMENT:
            # One experiment in both APIs: KFP's goes too (its runs stay, as in KFP).
            kfp_experiment = self.experiments.repo.named("", row.name)
            if kfp_experiment is not None:
                self.experiments.delete(kfp_experiment.id)

    def add_children(self, resource_id: str, children: Iterable[str]) -> None:
        """Put contexts under this one.

        A pipeline job's context put in an experiment moves the run into that experiment
        (its KFP experiment, and its experiment context as its parent).

        Raises:
            MetadataNotFoundError: the context or a child does not exist.
            FailedPreconditionError: a child would make a cycle.
        """
        parent = self.get(resource_id)
        rows = [self.get(child) for child in children]
        runs = RunRepository(self.store)
        linked = []
        for child in rows:
            run = runs.get(child.name) if child.type == PIPELINE_RUN else None
            if run is not None and run.run_context_id == child.id and parent.type == EXPERIMENT:
                experiment = self.experiments.create(parent.name)
                runs.join_experiment(run.id, experiment.id, experiment.display_name)
                # Its row in get_experiment_df reads its parameters and state from it.
                writes.ensure_run_execution(self.store, run.id, parameters_of(run))
            else:
                linked.append(child.id)
        writes.add_children(self.store, parent.id, linked)

    def remove_children(self, resource_id: str, children: Iterable[str]) -> None:
        """Take contexts out of this one (a run keeps its KFP experiment).

        Raises:
            MetadataNotFoundError: the context or a child does not exist.
        """
        parent = self.get(resource_id)
        writes.remove_children(self.store, parent.id, [self.get(c).id for c in children])

    def add_members(
        self,
        location: str,
        resource_id: str,
        artifacts: Iterable[str],
        executions: Iterable[str],
    ) -> None:
        """Attribute artifacts and associate executions (by resource name, as ``location``
        sees them) to the context.

        Raises:
            MetadataNotFoundError: the context, an artifact or an execution does not exist.
        """
        context = self.get(resource_id)
        resources = MetadataResourceService(self.store)
        artifact_ids = [
            resources.get_artifact(location, resource_id_of(name)).id for name in artifacts
        ]
        execution_ids = [
            resources.get_execution(location, resource_id_of(name)).row.id for name in executions
        ]
        writes.add_members(self.store, context.id, artifact_ids, execution_ids)


def parameters_of(run: RunRow) -> dict[str, Any]:
    """The run's arguments that are parameters of its pipeline (not input artifacts)."""
    return pipeline_parameters(run.pipeline_spec, run.arguments)
