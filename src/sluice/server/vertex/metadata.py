"""``/v1/.../metadataStores/default``: the one metadata store.

It always exists, so the SDK never tries to create it (its create path expects an
``AlreadyExists`` that REST never raises). The contexts in it are served by
:mod:`.contexts`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sluice.errors import MetadataNotFoundError
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute
from sluice.server.vertex.pipeline_jobs import PREFIX, location_of

router = APIRouter(route_class=VertexRoute)
STORE = PREFIX + "/metadataStores/{store_id}"


def check_store(store_id: str) -> None:
    """Refuse a metadata store other than ``default`` (404, as for a missing one)."""
    if store_id != "default":
        raise MetadataNotFoundError(f"no metadata store '{store_id}'; Sluice has 'default'")


@router.get(STORE)
def get_metadata_store(project: str, location: str, store_id: str) -> dict[str, Any]:
    """The default store, which always exists."""
    check_store(store_id)
    return {"name": f"{location_of(project, location)}/{shapes.METADATA_STORE}"}
