"""The records of ``sluice.metadata``: artifacts, executions, contexts, their events and
lineage, read through :class:`sluice.service.metadata.MetadataService`.

:mod:`sluice.metadata` is the public module; the names are exported from there.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sluice.config import Settings
from sluice.errors import MetadataNotFoundError
from sluice.service.metadata import (
    EventEntry,
    ExecutionEntry,
    MetadataService,
    Page,
)
from sluice.service.stores import Store, open_store
from sluice.store.models import ArtifactRow, ContextRow, as_utc


def _open(store: Store | None) -> Store:
    return store if store is not None else open_store(Settings.from_env())


def _time(value: datetime | None) -> datetime:
    result = as_utc(value)
    assert result is not None
    return result


@dataclass
class Event:
    """An artifact going INTO (``type="INPUT"``) or coming OUT OF (``"OUTPUT"``) an execution."""

    artifact_id: int
    execution_id: int
    type: str
    name: str
    position: int

    @classmethod
    def _from_row(cls, row: EventEntry) -> Event:
        return cls(row.artifact_id, row.execution_id, row.type, row.name, row.position)


@dataclass
class Artifact:
    """A stored artifact: a URI with a type (``schema_title``) and metadata."""

    id: int
    name: str
    display_name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any]
    run_id: str | None
    producer_task_id: str | None
    digest: str | None
    create_time: datetime
    update_time: datetime
    _store: Store | None = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_row(cls, row: ArtifactRow, store: Store) -> Artifact:
        return cls(
            id=row.id,
            name=row.name,
            display_name=row.display_name,
            uri=row.uri,
            schema_title=row.schema_title,
            schema_version=row.schema_version,
            metadata=dict(row.metadata_ or {}),
            run_id=row.run_id,
            producer_task_id=row.producer_task_id,
            digest=row.digest,
            create_time=_time(row.created_at),
            update_time=_time(row.updated_at),
            _store=store,
        )

    @classmethod
    def list(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> builtins.list[Artifact]:
        """Artifacts matching ``filter`` (newest first unless ``order_by`` says otherwise).

        Raises:
            InvalidFilterError: the filter or order_by does not parse.
            InvalidQueryError: ``limit`` < 1 or a page token of another query.
        """
        return cls.list_page(
            filter, order_by, limit=limit, page_token=page_token, store=store
        ).items

    @classmethod
    def list_page(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> Page[Artifact]:
        """One page of :meth:`list`; pass its ``next_page_token`` to get the next."""
        store = _open(store)
        page = MetadataService(store).list_artifacts(
            filter, order_by, limit=limit, page_token=page_token
        )
        return Page([cls._from_row(row, store) for row in page.items], page.next_page_token)

    @classmethod
    def get(cls, id_or_uri: int | str, *, store: Store | None = None) -> Artifact:
        """The artifact with this id, or the newest one with this uri.

        A string of digits is an id; a local path may be given relative or as ``file://``.

        Raises:
            MetadataNotFoundError: no such artifact.
        """
        store = _open(store)
        service = MetadataService(store)
        row: ArtifactRow | None = None
        if isinstance(id_or_uri, int) or id_or_uri.isdigit():
            row = service.find_artifact(int(id_or_uri))
        else:
            row = service.find_artifact_at(id_or_uri)
        if row is None:
            raise MetadataNotFoundError(
                f"no artifact '{id_or_uri}'; `sluice.metadata.Artifact.list()` lists them"
            )
        return cls._from_row(row, store)

    def lineage_subgraph(
        self,
        direction: Literal["upstream", "downstream", "both"] = "both",
        max_hops: int | None = None,
        *,
        store: Store | None = None,
    ) -> LineageGraph:
        """The artifacts and executions this artifact came from and/or led to.

        Args:
            direction: "upstream" walks to the executions that produced it and their
                inputs, "downstream" to the executions that consumed it and their
                outputs, "both" does both walks.
            max_hops: how many edges (artifact→execution or execution→artifact) to
                follow; None follows them all.
        """
        store = _open(store or self._store)
        rows = MetadataService(store).lineage([self.id], direction=direction, max_hops=max_hops)
        return LineageGraph(
            artifacts=[Artifact._from_row(row, store) for row in rows.artifacts],
            executions=[Execution._from_entry(entry, store) for entry in rows.executions],
            events=[Event._from_row(row) for row in rows.events],
        )

    def compute_digest(self, *, store: Store | None = None) -> str | None:
        """Hash the artifact's local content and record it as ``digest``.

        A file hashes to ``sha256:`` + the SHA-256 of its bytes; a directory to the
        SHA-256 of its files' relative paths and contents, in path order
        (:func:`sluice.store.digest.sha256_of`, the same digest the engine records for
        small outputs as they are produced).

        Returns:
            The digest, or None when the uri is remote or nothing exists at the path.
        """
        digest = MetadataService(_open(store or self._store)).compute_digest(self.id, self.uri)
        if digest is not None:
            self.digest = digest
        return digest

    def to_dsl(self) -> Any:
        """The artifact as its ``kfp.dsl`` class (``dsl.Model``, ``dsl.Dataset``, ...)."""
        from sluice.client.convert import to_dsl_artifact

        row = ArtifactRow(
            name=self.name, uri=self.uri, schema_title=self.schema_title, metadata_=self.metadata
        )
        return to_dsl_artifact(row)


@dataclass
class Execution:
    """One attempt of a task (a cache hit is an execution with ``state="CACHED"``)."""

    id: int
    schema_title: str
    component: str
    state: str
    attempt: int
    # None for an execution recorded through Vertex AI's API (no run, no task).
    run_id: str | None
    task_id: str | None
    task_path: str | None
    input_parameters: dict[str, Any]
    output_parameters: dict[str, Any]
    fingerprint: str | None
    cached_execution_id: int | None
    create_time: datetime
    update_time: datetime
    exit_code: int | None
    _store: Store | None = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_entry(cls, entry: ExecutionEntry, store: Store) -> Execution:
        row = entry.row
        return cls(
            id=row.id,
            schema_title=row.type,
            component=row.component_name,
            state=row.state,
            attempt=row.attempt,
            run_id=row.run_id,
            task_id=row.task_id,
            task_path=entry.task_path,
            input_parameters=dict(row.input_parameters or {}),
            output_parameters=dict(row.output_parameters or {}),
            fingerprint=row.fingerprint,
            cached_execution_id=row.cached_execution_id,
            create_time=_time(row.started_at),
            update_time=_time(row.finished_at or row.started_at),
            exit_code=row.exit_code,
            _store=store,
        )

    @classmethod
    def list(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> builtins.list[Execution]:
        """Executions matching ``filter`` (newest first unless ``order_by`` says otherwise)."""
        return cls.list_page(
            filter, order_by, limit=limit, page_token=page_token, store=store
        ).items

    @classmethod
    def list_page(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> Page[Execution]:
        """One page of :meth:`list`; pass its ``next_page_token`` to get the next."""
        store = _open(store)
        page = MetadataService(store).list_executions(
            filter, order_by, limit=limit, page_token=page_token
        )
        return Page([cls._from_entry(e, store) for e in page.items], page.next_page_token)

    @classmethod
    def get(cls, id: int | str, *, store: Store | None = None) -> Execution:
        """The execution with this id.

        Raises:
            MetadataNotFoundError: no such execution.
        """
        store = _open(store)
        entry = None
        if isinstance(id, int) or id.isdigit():
            entry = MetadataService(store).find_execution(int(id))
        if entry is None:
            raise MetadataNotFoundError(
                f"no execution '{id}'; `sluice.metadata.Execution.list()` lists them"
            )
        return cls._from_entry(entry, store)

    def get_input_artifacts(self, *, store: Store | None = None) -> builtins.list[Artifact]:
        """The artifacts this execution took in, by input name then position."""
        return self._artifacts("INPUT", store)

    def get_output_artifacts(self, *, store: Store | None = None) -> builtins.list[Artifact]:
        """The artifacts this execution put out (or reused, for a cache hit)."""
        return self._artifacts("OUTPUT", store)

    def _artifacts(
        self, event_type: Literal["INPUT", "OUTPUT"], store: Store | None
    ) -> builtins.list[Artifact]:
        store = _open(store or self._store)
        rows = MetadataService(store).artifacts_of_execution(self.id, event_type)
        return [Artifact._from_row(row, store) for row in rows]

    def get_events(self, *, store: Store | None = None) -> builtins.list[Event]:
        """This execution's events: INPUTs then OUTPUTs, each by name then position."""
        rows = MetadataService(_open(store or self._store)).events_of_execution(self.id)
        return [Event._from_row(row) for row in rows]


@dataclass
class Context:
    """A group of artifacts and executions: a pipeline, a run, or an experiment."""

    id: int
    name: str
    schema_title: str
    properties: dict[str, Any]
    create_time: datetime
    _store: Store | None = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_row(cls, row: ContextRow, store: Store) -> Context:
        return cls(
            id=row.id,
            name=row.name,
            schema_title=row.type,
            properties=dict(row.properties or {}),
            create_time=_time(row.created_at),
            _store=store,
        )

    @classmethod
    def list(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> builtins.list[Context]:
        """Contexts matching ``filter`` (newest first unless ``order_by`` says otherwise)."""
        return cls.list_page(
            filter, order_by, limit=limit, page_token=page_token, store=store
        ).items

    @classmethod
    def list_page(
        cls,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
        store: Store | None = None,
    ) -> Page[Context]:
        """One page of :meth:`list`; pass its ``next_page_token`` to get the next."""
        store = _open(store)
        page = MetadataService(store).list_contexts(
            filter, order_by, limit=limit, page_token=page_token
        )
        return Page([cls._from_row(row, store) for row in page.items], page.next_page_token)

    @classmethod
    def get(cls, id_or_name: int | str, *, store: Store | None = None) -> Context:
        """A context by id or name; a run's context also by the run's name.

        Raises:
            MetadataNotFoundError: no such context.
        """
        store = _open(store)
        row = MetadataService(store).find_context(id_or_name)
        if row is None:
            raise MetadataNotFoundError(
                f"no context '{id_or_name}'; `sluice.metadata.Context.list()` lists them"
            )
        return cls._from_row(row, store)

    def get_artifacts(self, *, store: Store | None = None) -> builtins.list[Artifact]:
        """The artifacts in this context, oldest first."""
        store = _open(store or self._store)
        rows = MetadataService(store).artifacts_of_context(self.id)
        return [Artifact._from_row(row, store) for row in rows]

    def get_executions(self, *, store: Store | None = None) -> builtins.list[Execution]:
        """The executions in this context, oldest first."""
        store = _open(store or self._store)
        entries = MetadataService(store).executions_of_context(self.id)
        return [Execution._from_entry(entry, store) for entry in entries]


@dataclass
class LineageGraph:
    """A lineage subgraph: artifacts and executions joined by events, each ordered by id."""

    artifacts: list[Artifact]
    executions: list[Execution]
    events: list[Event]
