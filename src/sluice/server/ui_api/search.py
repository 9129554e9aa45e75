"""N12 ``GET /apis/sluice/v1/search``: the search palette's hits, each with its UI route."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.ui_api.metadata_shapes import SearchHit, SearchResult
from sluice.service.runs import RunService
from sluice.service.search import Hit, SearchService

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])

_ROUTES = {
    "run": "/runs/{id}",
    "pipeline": "/pipelines/{id}",
    "experiment": "/experiments/{id}",
    "artifact": "/artifacts/{id}",
}


def _hit(hit: Hit) -> SearchHit:
    return SearchHit(
        kind=hit.kind,
        id=hit.id,
        name=hit.name,
        detail=hit.detail,
        url=_ROUTES[hit.kind].format(id=hit.id),
    )


@router.get("/search", summary="Runs, pipelines, experiments and artifacts by name or id")
def search(
    request: Request,
    q: str = Query(..., min_length=1, max_length=256, description="An id or part of a name."),
    limit: int = Query(20, ge=1, le=100, description="At most this many hits."),
) -> SearchResult:
    """Exact id matches first, then names that start with ``q``, then names that contain it."""
    server = state_of(request)
    service = SearchService(server.store, RunService(server.store, server.config.settings))
    return SearchResult(hits=[_hit(hit) for hit in service.search(q, limit)])
