"""Metadata queries: artifacts, executions, contexts and lineage (Vertex-shaped).

``sluice.metadata`` (the Python API) and any REST or UI front door read metadata through
these calls; the filter language and the SQL are in ``sluice.store.metadata_queries``,
``sluice.store.lineage_subgraph`` and ``sluice.store.filters*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from sluice.errors import MetadataNotFoundError
from sluice.store import metadata_queries as queries
from sluice.store.digest import sha256_of
from sluice.store.lineage_subgraph import LineageRows, lineage
from sluice.store.metadata_queries import EventEntry, ExecutionEntry, Page
from sluice.store.models import ArtifactRow, ContextRow
from sluice.store.repository import Store

__all__ = [
    "EventEntry",
    "ExecutionEntry",
    "LineageRows",
    "MetadataService",
    "Page",
    "local_path",
]


def local_path(uri: str) -> Path | None:
    """The local path of an artifact's uri; None for a remote one (``s3://``, ``gs://``)."""
    if uri.startswith("file://"):
        return Path(unquote(urlparse(uri).path))
    if "://" in uri:
        return None
    return Path(uri).expanduser()


class MetadataService:
    """Queries over one store's metadata, an artifact's digest, and creating contexts."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list_artifacts(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ArtifactRow]:
        """Artifacts matching ``filter`` (default newest first).

        Raises:
            InvalidFilterError / InvalidQueryError: a malformed filter, order, limit or token.
        """
        return queries.list_artifacts(
            self.store, filter, order_by, limit=limit, page_token=page_token
        )

    def list_executions(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ExecutionEntry]:
        """Executions (attempts and cache hits) matching ``filter``."""
        return queries.list_executions(
            self.store, filter, order_by, limit=limit, page_token=page_token
        )

    def list_contexts(
        self,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ContextRow]:
        """Contexts (pipelines, runs) matching ``filter``."""
        return queries.list_contexts(
            self.store, filter, order_by, limit=limit, page_token=page_token
        )

    def get_artifact(self, artifact_id: int) -> ArtifactRow:
        """The artifact with this id.

        Raises:
            MetadataNotFoundError: there is none.
        """
        row = self.find_artifact(artifact_id)
        if row is None:
            raise MetadataNotFoundError(f"no artifact with id {artifact_id}")
        return row

    def find_artifact(self, artifact_id: int) -> ArtifactRow | None:
        """The artifact with this id, or None."""
        return queries.get_artifact(self.store, artifact_id)

    def find_artifact_by_uri(self, uri: str) -> ArtifactRow | None:
        """The newest artifact at ``uri``, or None."""
        return queries.get_artifact_by_uri(self.store, uri)

    def find_artifact_at(self, location: str) -> ArtifactRow | None:
        """The newest artifact at a uri or local path, or None.

        A local artifact may have been recorded as given, as an absolute path or as a
        ``file://`` uri; a path may be given as any of them, or relative.
        """
        spellings = [location]
        path = local_path(location)
        if path is not None:
            absolute = str(path.absolute())
            spellings += [absolute, f"file://{absolute}"]
        for uri in dict.fromkeys(spellings):
            row = self.find_artifact_by_uri(uri)
            if row is not None:
                return row
        return None

    def get_execution(self, execution_id: int) -> ExecutionEntry:
        """The execution with this id.

        Raises:
            MetadataNotFoundError: there is none.
        """
        entry = self.find_execution(execution_id)
        if entry is None:
            raise MetadataNotFoundError(f"no execution with id {execution_id}")
        return entry

    def find_execution(self, execution_id: int) -> ExecutionEntry | None:
        """The execution with this id, or None."""
        return queries.get_execution(self.store, execution_id)

    def get_context(self, id_or_name: int | str) -> ContextRow:
        """The context with this id or name.

        Raises:
            MetadataNotFoundError: there is none.
        """
        row = self.find_context(id_or_name)
        if row is None:
            raise MetadataNotFoundError(f"no context '{id_or_name}'")
        return row

    def find_context(self, id_or_name: int | str) -> ContextRow | None:
        """The context with this id or name (a run's also by the run's name), or None."""
        return queries.get_context(self.store, id_or_name)

    def create_context(
        self, schema_title: str, name: str, properties: dict[str, Any] | None = None
    ) -> ContextRow:
        """Create a context of this type and name (an experiment's, say).

        Raises:
            AlreadyExistsError: one exists.
        """
        return queries.create_context(self.store, schema_title, name, properties)

    def events_of_execution(self, execution_id: int) -> list[EventEntry]:
        """The INPUT and OUTPUT events of an execution."""
        return queries.events_of_execution(self.store, execution_id)

    def artifacts_of_execution(
        self, execution_id: int, event_type: Literal["INPUT", "OUTPUT"]
    ) -> list[ArtifactRow]:
        """The artifacts an execution took in or put out."""
        return queries.artifacts_of_execution(self.store, execution_id, event_type)

    def artifacts_of_context(self, context_id: int, limit: int | None = None) -> list[ArtifactRow]:
        """The artifacts attributed to a context (oldest first, at most ``limit``)."""
        return queries.artifacts_of_context(self.store, context_id, limit)

    def executions_of_context(
        self, context_id: int, limit: int | None = None
    ) -> list[ExecutionEntry]:
        """The executions associated with a context (oldest first, at most ``limit``)."""
        return queries.executions_of_context(self.store, context_id, limit)

    def lineage(
        self,
        artifact_ids: Sequence[int],
        *,
        direction: str = "both",
        max_hops: int | None = None,
    ) -> LineageRows:
        """The lineage subgraph around ``artifact_ids`` (see ``store.lineage_subgraph``)."""
        return lineage(self.store, artifact_ids, direction=direction, max_hops=max_hops)

    def execution_lineage(
        self,
        execution_id: int,
        *,
        direction: str = "both",
        max_hops: int | None = None,
    ) -> LineageRows:
        """The lineage subgraph around one execution: upstream from the artifacts it took
        in, downstream from those it put out, with its own events. A hop is an edge, so
        ``max_hops=1`` is the execution with its inputs and outputs.

        Raises:
            MetadataNotFoundError: no such execution.
            InvalidQueryError: an unknown direction or a negative ``max_hops``.
        """
        entry = self.get_execution(execution_id)
        # The same checks as an artifact's walk, before anything is read.
        lineage(self.store, [], direction=direction, max_hops=max_hops)
        own = [
            event
            for event in self.events_of_execution(execution_id)
            if max_hops != 0
            and direction in ("both", "upstream" if event.type == "INPUT" else "downstream")
        ]
        further = None if max_hops is None else max(max_hops - 1, 0)
        parts = [LineageRows([], [entry], own)]
        for side, event_type in (("upstream", "INPUT"), ("downstream", "OUTPUT")):
            seeds = [event.artifact_id for event in own if event.type == event_type]
            if seeds:
                parts.append(lineage(self.store, seeds, direction=side, max_hops=further))
        return _union(parts)

    def filter_fields(self, kind: Literal["artifacts", "executions", "contexts"]) -> list[str]:
        """The field names a filter over ``kind`` may use (for autocomplete)."""
        return queries.filter_fields(kind)

    def facets(self, kind: Literal["artifacts", "executions", "contexts"]) -> dict[str, int]:
        """Counts by type (artifacts, contexts) or by state (executions)."""
        return queries.facet_counts(self.store, kind)

    def set_artifact_digest(self, artifact_id: int, digest: str | None) -> None:
        """Record (or clear) an artifact's content digest."""
        queries.set_artifact_digest(self.store, artifact_id, digest)

    def compute_digest(self, artifact_id: int, uri: str) -> str | None:
        """Hash the local content at an artifact's ``uri`` and record it as its digest.

        A file hashes to ``sha256:`` + the SHA-256 of its bytes; a directory to the
        SHA-256 of its files' relative paths and contents, in path order
        (:func:`sluice.store.digest.sha256_of`, the digest the engine records for small
        outputs as they are produced).

        Returns:
            The digest, or None (nothing recorded) when the uri is remote or nothing
            exists at the path.
        """
        path = local_path(uri)
        if path is None or not path.exists():
            return None
        digest = sha256_of(path)
        self.set_artifact_digest(artifact_id, digest)
        return digest


def _union(parts: Sequence[LineageRows]) -> LineageRows:
    """The union of lineage subgraphs, each list ordered by id."""
    artifacts = {row.id: row for part in parts for row in part.artifacts}
    executions = {entry.row.id: entry for part in parts for entry in part.executions}
    events = {event.id: event for part in parts for event in part.events}
    return LineageRows(
        artifacts=[artifacts[key] for key in sorted(artifacts)],
        executions=[executions[key] for key in sorted(executions)],
        events=[events[key] for key in sorted(events)],
    )
