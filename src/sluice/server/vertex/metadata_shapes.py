"""Artifacts, executions, events and lineage subgraphs as Vertex AI v1 JSON, and their
enums read off the wire.

The SDK writes enums as integers (``$alt=json;enum-encoding=int``) and reads names and
numbers alike; answers carry names. A resource is named by the id its creator gave it,
else by its numeric id, under the location the request came from.
"""

from __future__ import annotations

from typing import Any

from sluice.server.errors import bad_request
from sluice.server.vertex.shapes import METADATA_STORE, ts
from sluice.service.metadata import EventEntry, ExecutionEntry, LineageRows
from sluice.service.metadata_resources import (
    ArtifactState,
    ExecutionState,
    etag_of,
    execution_etag,
)
from sluice.store.models import ArtifactRow

# Wire values (numbers and names) of Artifact.State; UNSPECIFIED is recorded as LIVE.
_ARTIFACT_STATES: dict[int | str, ArtifactState] = {
    0: ArtifactState.LIVE,
    1: ArtifactState.PENDING,
    2: ArtifactState.LIVE,
    "STATE_UNSPECIFIED": ArtifactState.LIVE,
    "PENDING": ArtifactState.PENDING,
    "LIVE": ArtifactState.LIVE,
}
# Wire values of Execution.State (Vertex AI's CANCELLED is MLMD's CANCELED).
_EXECUTION_STATES: dict[int | str, ExecutionState] = {
    1: ExecutionState.NEW,
    2: ExecutionState.RUNNING,
    3: ExecutionState.COMPLETE,
    4: ExecutionState.FAILED,
    5: ExecutionState.CACHED,
    6: ExecutionState.CANCELED,
    **{state.value: state for state in ExecutionState},
    "CANCELLED": ExecutionState.CANCELED,
}
_EXECUTION_STATE_NAMES = {"CANCELED": "CANCELLED"}
_EVENT_TYPES: dict[int | str, str] = {1: "INPUT", 2: "OUTPUT", "INPUT": "INPUT", "OUTPUT": "OUTPUT"}


def artifact_state(raw: int | str | None) -> ArtifactState | None:
    """An Artifact.State from the wire (None when absent).

    Raises:
        ApiError: 400 for a value that is none of Vertex AI's.
    """
    if raw is None:
        return None
    state = _ARTIFACT_STATES.get(raw)
    if state is None:
        raise bad_request(f"artifact state {raw!r} is invalid; use PENDING (1) or LIVE (2)")
    return state


def execution_state(raw: int | str | None) -> ExecutionState | None:
    """An Execution.State from the wire (None when absent or unspecified).

    Raises:
        ApiError: 400 for a value that is none of Vertex AI's.
    """
    if raw in (None, 0, "STATE_UNSPECIFIED"):
        return None
    assert raw is not None
    state = _EXECUTION_STATES.get(raw)
    if state is None:
        raise bad_request(
            f"execution state {raw!r} is invalid; use NEW (1), RUNNING (2), COMPLETE (3), "
            "FAILED (4), CACHED (5) or CANCELLED (6)"
        )
    return state


def event_type(raw: int | str | None) -> str:
    """An Event.Type from the wire: INPUT or OUTPUT.

    Raises:
        ApiError: 400 for any other value.
    """
    found = _EVENT_TYPES.get(raw) if raw is not None else None
    if found is None:
        raise bad_request(f"event type {raw!r} is invalid; use INPUT (1) or OUTPUT (2)")
    return found


def resource_id(name: str) -> str:
    """The id at the end of a resource name (a bare id is returned as it is)."""
    return name.rstrip("/").rsplit("/", 1)[-1]


def _put_times(out: dict[str, Any], **times: Any) -> None:
    for key, value in times.items():
        text = ts(value)
        if text is not None:
            out[key] = text


def artifact_name(location: str, row: ArtifactRow) -> str:
    """An artifact's resource name."""
    return f"{location}/{METADATA_STORE}/artifacts/{row.resource_id or row.id}"


def artifact_json(location: str, row: ArtifactRow) -> dict[str, Any]:
    """A metadata Artifact (``metadata`` always present: the SDK reads it unguarded)."""
    out: dict[str, Any] = {
        "name": artifact_name(location, row),
        "displayName": row.display_name or row.name,
        "schemaTitle": row.schema_title,
        "schemaVersion": row.schema_version,
        "metadata": dict(row.metadata_ or {}),
        "state": row.state or "LIVE",
        "etag": etag_of(row.updated_at),
    }
    if row.uri:
        out["uri"] = row.uri
    if row.description:
        out["description"] = row.description
    _put_times(out, createTime=row.created_at, updateTime=row.updated_at)
    return out


def execution_name(location: str, entry: ExecutionEntry) -> str:
    """An execution's resource name."""
    row = entry.row
    return f"{location}/{METADATA_STORE}/executions/{row.resource_id or row.id}"


def _execution_metadata(entry: ExecutionEntry) -> dict[str, Any]:
    row = entry.row
    # A run's execution shows its parameters as Vertex AI does: input:/output: keys.
    out = {f"input:{k}": v for k, v in (row.input_parameters or {}).items()}
    out.update({f"output:{k}": v for k, v in (row.output_parameters or {}).items()})
    out.update(row.metadata_ or {})
    return out


def execution_json(location: str, entry: ExecutionEntry) -> dict[str, Any]:
    """A metadata Execution: a user's, or an attempt of a run's task."""
    row = entry.row
    task_name = entry.task_path.rsplit("/", 1)[-1] if entry.task_path else None
    out: dict[str, Any] = {
        "name": execution_name(location, entry),
        "displayName": row.display_name or task_name or row.component_name,
        "state": _EXECUTION_STATE_NAMES.get(row.state, row.state),
        "schemaTitle": row.type,
        "schemaVersion": row.schema_version or "0.0.1",
        "metadata": _execution_metadata(entry),
        "etag": execution_etag(row),
    }
    if row.description:
        out["description"] = row.description
    _put_times(
        out,
        createTime=row.started_at,
        updateTime=row.updated_at or row.finished_at or row.started_at,
    )
    return out


def lineage_json(location: str, rows: LineageRows) -> dict[str, Any]:
    """A LineageSubgraph: artifacts, executions, and the events between them."""
    artifacts = {row.id: artifact_name(location, row) for row in rows.artifacts}
    executions = {entry.row.id: execution_name(location, entry) for entry in rows.executions}

    def event(item: EventEntry) -> dict[str, Any]:
        return {
            "artifact": artifacts[item.artifact_id],
            "execution": executions[item.execution_id],
            "type": item.type,
        }

    return {
        "artifacts": [artifact_json(location, row) for row in rows.artifacts],
        "executions": [execution_json(location, entry) for entry in rows.executions],
        "events": [
            event(item)
            for item in rows.events
            if item.artifact_id in artifacts and item.execution_id in executions
        ],
    }
