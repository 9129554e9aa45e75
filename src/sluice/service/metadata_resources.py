"""Artifacts and executions as Vertex AI's metadata API serves them: create, get, list,
update, delete, events, and lineage, within one location (``projects/{p}/locations/{l}``).

The rows are the ones runs write: ``Artifact.list(filter='schema_title="system.Dataset"')``
lists what a pipeline run produced beside what a user created, and a lineage walk
crosses both. What a run recorded stays the engine's: a user may annotate a run's
artifact or execution (metadata, description, display name) but not move it (its uri,
an execution's state) nor delete it (deleting the run does); see docs/vertex.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sluice.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    MetadataNotFoundError,
)
from sluice.store import metadata_scope as scope
from sluice.store import metadata_writes as writes
from sluice.store.lineage_subgraph import LineageRows
from sluice.store.metadata_queries import ExecutionEntry, Page
from sluice.store.metadata_writes import etag_of, execution_etag
from sluice.store.models import ArtifactRow
from sluice.store.repository import Store

__all__ = [
    "ArtifactChanges",
    "ArtifactState",
    "ExecutionChanges",
    "ExecutionState",
    "MetadataResourceService",
    "etag_of",
    "execution_etag",
]

# Vertex AI's resource id rule; all-digit ids are left to the ids Sluice assigns.
_RESOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
_MAX_HOPS = 100


class ArtifactState(str, Enum):
    """Vertex AI's Artifact.State (a run's artifacts are LIVE)."""

    PENDING = "PENDING"
    LIVE = "LIVE"


class ExecutionState(str, Enum):
    """Execution states: MLMD's, which runs record, plus Vertex AI's NEW."""

    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CACHED = "CACHED"
    CANCELED = "CANCELED"


@dataclass
class ArtifactChanges:
    """What an artifact update sets; a field left None is kept."""

    display_name: str | None = None
    uri: str | None = None
    state: ArtifactState | None = None
    metadata: dict[str, Any] | None = None
    description: str | None = None
    schema_version: str | None = None

    def columns(self) -> dict[str, Any]:
        """The store columns these changes set."""
        out = {
            "display_name": self.display_name,
            "uri": self.uri,
            "state": self.state.value if self.state is not None else None,
            "metadata_": self.metadata,
            "description": self.description,
            "schema_version": self.schema_version,
        }
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class ExecutionChanges:
    """What an execution update sets; a field left None is kept."""

    display_name: str | None = None
    state: ExecutionState | None = None
    metadata: dict[str, Any] | None = None
    description: str | None = None
    schema_version: str | None = None

    def columns(self) -> dict[str, Any]:
        """The store columns these changes set."""
        out = {
            "display_name": self.display_name,
            "state": self.state.value if self.state is not None else None,
            "metadata_": self.metadata,
            "description": self.description,
            "schema_version": self.schema_version,
        }
        return {k: v for k, v in out.items() if v is not None}


def _check_id(kind: str, resource_id: str) -> None:
    if not _RESOURCE_ID.match(resource_id) or resource_id.isdigit():
        raise InvalidArgumentError(
            f"{kind} id {resource_id!r} is invalid: use 1-128 lowercase letters, digits and "
            "'-', starting with a letter or digit and not all digits (those are the ids "
            "Sluice assigns)"
        )


class MetadataResourceService:
    """Vertex AI's artifacts and executions over one store, seen from one location."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- artifacts ----------------------------------------------------------------------------

    def create_artifact(
        self,
        location: str,
        *,
        schema_title: str,
        resource_id: str | None = None,
        uri: str | None = None,
        display_name: str | None = None,
        schema_version: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        state: ArtifactState = ArtifactState.LIVE,
    ) -> ArtifactRow:
        """Record an artifact in ``location``.

        Raises:
            InvalidArgumentError: a malformed resource id.
            AlreadyExistsError: the location has an artifact of that id.
        """
        if resource_id is not None:
            _check_id("artifact", resource_id)
        return writes.create_artifact(
            self.store,
            location=location,
            resource_id=resource_id,
            uri=uri or "",
            name=resource_id or display_name or "",
            display_name=display_name or "",
            schema_title=schema_title,
            schema_version=schema_version or "0.0.1",
            description=description or None,
            metadata_=dict(metadata or {}),
            state=state.value,
        )

    def get_artifact(self, location: str, artifact_id: str) -> ArtifactRow:
        """The artifact ``location`` sees by its resource id.

        Raises:
            MetadataNotFoundError: there is none.
        """
        row = scope.find_artifact(self.store, location, artifact_id)
        if row is None:
            raise MetadataNotFoundError(
                f"no artifact '{artifact_id}' in {location}; Artifact.list() shows them"
            )
        return row

    def list_artifacts(
        self,
        location: str,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ArtifactRow]:
        """One page of the artifacts ``location`` sees, matching a Vertex ``filter``.

        Raises:
            InvalidFilterError / InvalidQueryError: a malformed filter, order or token.
        """
        return scope.list_artifacts(
            self.store, location, filter, order_by, limit=limit, page_token=page_token
        )

    def update_artifact(
        self,
        location: str,
        artifact_id: str,
        changes: ArtifactChanges,
        *,
        etag: str | None = None,
    ) -> ArtifactRow:
        """Apply ``changes`` to an artifact (refused when ``etag`` is stale).

        Raises:
            MetadataNotFoundError: no such artifact.
            FailedPreconditionError: a stale etag, or a run's artifact's uri changed.
        """
        row = self.get_artifact(location, artifact_id)
        if row.run_id is not None and changes.uri is not None and changes.uri != row.uri:
            raise FailedPreconditionError(
                f"artifact '{artifact_id}' was written by pipeline run {row.run_id}, which "
                "reads it at its uri; record a new artifact instead of moving this one"
            )
        return writes.update_artifact(self.store, row.id, changes.columns(), etag=etag)

    def delete_artifact(self, location: str, artifact_id: str) -> None:
        """Delete an artifact a user created, with its events.

        Raises:
            MetadataNotFoundError: no such artifact.
            FailedPreconditionError: a run wrote it (delete the run instead).
        """
        row = self.get_artifact(location, artifact_id)
        if row.run_id is not None:
            raise FailedPreconditionError(
                f"artifact '{artifact_id}' belongs to pipeline run {row.run_id}; delete the "
                "run (PipelineJob.delete()) to delete its artifacts"
            )
        writes.delete_artifact(self.store, row.id)

    def artifact_lineage(
        self,
        location: str,
        artifact_id: str,
        *,
        max_hops: int | None = None,
        filter: str | None = None,
    ) -> LineageRows:
        """The lineage subgraph around an artifact (both ways), within ``max_hops`` edges.

        Raises:
            MetadataNotFoundError: no such artifact.
            InvalidArgumentError: a negative or too large ``max_hops``.
            InvalidFilterError: a malformed artifact filter.
        """
        if max_hops is not None and not 0 <= max_hops <= _MAX_HOPS:
            raise InvalidArgumentError(
                f"maxHops must be between 0 and {_MAX_HOPS}, got {max_hops}; leave it out "
                "for the whole lineage"
            )
        row = self.get_artifact(location, artifact_id)
        return scope.artifact_lineage(
            self.store, location, row.id, max_hops=max_hops, artifact_filter=filter
        )

    # -- executions ---------------------------------------------------------------------------

    def create_execution(
        self,
        location: str,
        *,
        schema_title: str,
        resource_id: str | None = None,
        display_name: str | None = None,
        schema_version: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        state: ExecutionState = ExecutionState.RUNNING,
    ) -> ExecutionEntry:
        """Record an execution (no run, no task) in ``location``.

        Raises:
            InvalidArgumentError: a malformed resource id.
            AlreadyExistsError: the location has an execution of that id.
        """
        if resource_id is not None:
            _check_id("execution", resource_id)
        row = writes.create_execution(
            self.store,
            location=location,
            resource_id=resource_id,
            display_name=display_name or None,
            type=schema_title,
            schema_version=schema_version or "0.0.1",
            description=description or None,
            metadata_=dict(metadata or {}),
            state=state.value,
        )
        return ExecutionEntry(row, None)

    def get_execution(self, location: str, execution_id: str) -> ExecutionEntry:
        """The execution ``location`` sees by its resource id.

        Raises:
            MetadataNotFoundError: there is none.
        """
        entry = scope.find_execution(self.store, location, execution_id)
        if entry is None:
            raise MetadataNotFoundError(
                f"no execution '{execution_id}' in {location}; Execution.list() shows them"
            )
        return entry

    def list_executions(
        self,
        location: str,
        filter: str | None = None,
        order_by: str | None = None,
        *,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[ExecutionEntry]:
        """One page of the executions ``location`` sees, matching a Vertex ``filter``."""
        return scope.list_executions(
            self.store, location, filter, order_by, limit=limit, page_token=page_token
        )

    def update_execution(
        self,
        location: str,
        execution_id: str,
        changes: ExecutionChanges,
        *,
        etag: str | None = None,
    ) -> ExecutionEntry:
        """Apply ``changes`` to an execution (refused when ``etag`` is stale).

        Raises:
            MetadataNotFoundError: no such execution.
            FailedPreconditionError: a stale etag, or a run's execution's state changed.
        """
        entry = self.get_execution(location, execution_id)
        row = entry.row
        if row.run_id is not None and changes.state is not None and changes.state != row.state:
            raise FailedPreconditionError(
                f"execution '{execution_id}' is an attempt of pipeline run {row.run_id}, "
                "whose engine records its state; cancel the run to stop it"
            )
        updated = writes.update_execution(self.store, row.id, changes.columns(), etag=etag)
        return ExecutionEntry(updated, entry.task_path)

    def delete_execution(self, location: str, execution_id: str) -> None:
        """Delete an execution a user created, with its events.

        Raises:
            MetadataNotFoundError: no such execution.
            FailedPreconditionError: it is an attempt of a run (delete the run instead).
        """
        row = self.get_execution(location, execution_id).row
        if row.run_id is not None:
            raise FailedPreconditionError(
                f"execution '{execution_id}' belongs to pipeline run {row.run_id}; delete "
                "the run (PipelineJob.delete()) to delete its executions"
            )
        writes.delete_execution(self.store, row.id)

    def add_execution_events(
        self, location: str, execution_id: str, events: list[tuple[str, str]]
    ) -> None:
        """Record (artifact resource id, INPUT|OUTPUT) events of an execution.

        Raises:
            MetadataNotFoundError: the execution or one of the artifacts does not exist
                (then nothing is recorded).
            InvalidArgumentError: an event type other than INPUT or OUTPUT.
        """
        row = self.get_execution(location, execution_id).row
        resolved: list[tuple[int, str]] = []
        for artifact_id, event_type in events:
            if event_type not in ("INPUT", "OUTPUT"):
                raise InvalidArgumentError(
                    f"event type {event_type!r} is invalid; use INPUT (1) or OUTPUT (2)"
                )
            resolved.append((self.get_artifact(location, artifact_id).id, event_type))
        writes.add_events(self.store, row.id, resolved)

    def execution_inputs_and_outputs(self, location: str, execution_id: str) -> LineageRows:
        """The execution with the artifacts it took in and put out, and those events.

        Raises:
            MetadataNotFoundError: no such execution.
        """
        row = self.get_execution(location, execution_id).row
        return scope.execution_inputs_and_outputs(self.store, location, row.id)
