"""Long-running operations: ``GET /ui/{name}`` (where the SDK polls) and ``GET /v1/{name}``.

Every operation Sluice hands out (a delete) is finished when it is answered, so a poll
only has to repeat the answer: the operation id says what it was, and no state is kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sluice.server.errors import not_found
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.pipeline_jobs import location_of

router = APIRouter(route_class=VertexRoute)
_OPERATION = "/projects/{project}/locations/{location}/operations/{operation_id}"


def _operation(project: str, location: str, operation_id: str) -> dict[str, Any]:
    if not operation_id.startswith("delete-"):
        raise not_found(f"no operation '{operation_id}': Sluice's operations are deletes")
    return shapes.empty_operation(location_of(project, location), operation_id)


@router.get("/ui" + _OPERATION)
def poll_operation(project: str, location: str, operation_id: str) -> dict[str, Any]:
    """An operation, where the SDK's REST transport polls it (``/ui/``, not ``/v1/``)."""
    return _operation(project, location, operation_id)


@router.get("/v1" + _OPERATION)
def get_operation(project: str, location: str, operation_id: str) -> dict[str, Any]:
    """An operation, at the path of Vertex's ``operations.get``."""
    return _operation(project, location, operation_id)
