"""Contexts and the lineage inside one as Vertex AI v1 JSON (see :mod:`.shapes`)."""

from __future__ import annotations

from typing import Any

from sluice.server.vertex import shapes
from sluice.service.contexts import ContextView
from sluice.service.metadata import ExecutionEntry, LineageRows

# MLMD execution states as Vertex's Execution.State.
_EXECUTION_STATES = {"CANCELED": "CANCELLED"}


def contexts_prefix(location: str) -> str:
    """Where a location's contexts are named: ``{location}/metadataStores/default/contexts``."""
    return f"{location}/{shapes.METADATA_STORE}/contexts"


def context_json(location: str, view: ContextView) -> dict[str, Any]:
    """A Context with its full name and its parents' names."""
    prefix = contexts_prefix(location)
    return shapes.context_json(
        location,
        view.row,
        resource_id=view.resource_id,
        parents=[f"{prefix}/{parent}" for parent in view.parent_ids],
    )


def execution_json(location: str, entry: ExecutionEntry) -> dict[str, Any]:
    """An Execution of a run (its parameters as ``input:``/``output:`` metadata)."""
    row = entry.row
    metadata = {f"input:{k}": v for k, v in (row.input_parameters or {}).items()}
    metadata.update({f"output:{k}": v for k, v in (row.output_parameters or {}).items()})
    out: dict[str, Any] = {
        "name": f"{location}/{shapes.METADATA_STORE}/executions/{row.id}",
        # A task's execution is shown by the task's name, as in the job's taskDetails.
        "displayName": entry.task_path.rsplit("/", 1)[-1]
        if entry.task_path
        else row.component_name,
        "state": _EXECUTION_STATES.get(row.state, row.state),
        "schemaTitle": row.type,
        "schemaVersion": "0.0.1",
        "metadata": metadata,
    }
    for key, value in (("createTime", row.started_at), ("updateTime", row.finished_at)):
        text = shapes.ts(value)
        if text is not None:
            out[key] = text
    return out


def lineage_json(location: str, rows: LineageRows) -> dict[str, Any]:
    """A LineageSubgraph: artifacts, executions and the events between them."""
    store = f"{location}/{shapes.METADATA_STORE}"
    return {
        "artifacts": [shapes.artifact_json(location, row) for row in rows.artifacts],
        "executions": [execution_json(location, entry) for entry in rows.executions],
        "events": [
            {
                "artifact": f"{store}/artifacts/{event.artifact_id}",
                "execution": f"{store}/executions/{event.execution_id}",
                "type": event.type,
            }
            for event in rows.events
        ],
    }
