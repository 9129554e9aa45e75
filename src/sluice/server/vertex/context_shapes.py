"""Contexts and the lineage inside one as Vertex AI v1 JSON (see :mod:`.shapes`)."""

from __future__ import annotations

from typing import Any

from sluice.server.vertex import metadata_shapes, shapes
from sluice.service.contexts import ContextView
from sluice.service.metadata import LineageRows


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


def lineage_json(location: str, rows: LineageRows) -> dict[str, Any]:
    """A LineageSubgraph: artifacts, executions and the events between them."""
    return metadata_shapes.lineage_json(location, rows)
