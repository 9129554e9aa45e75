"""The Vertex AI v1 REST surface of ``sluice server``: the SDK's calls over Sluice's service.

``aiplatform.init(api_endpoint="http://host:port", api_transport="rest", ...)`` sends
every call here: ``/v1/projects/{p}/locations/{l}/...`` and the operation polls under
``/ui/...``. One router module per resource, the JSON in :mod:`.shapes`, errors in
Google's shape (:mod:`.errors`). A call this package does not serve answers 501 saying
so, never KFP's error body (which the SDK cannot read).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from sluice.server.auth import require_token
from sluice.server.vertex import (
    artifacts,
    contexts,
    endpoints,
    executions,
    metadata,
    models,
    operations,
    pipeline_jobs,
    schedules,
    tensorboards,
)
from sluice.server.vertex.errors import VertexRoute, unimplemented

# Every method, so that one a served path lacks (TRACE, say) also answers in Google's shape.
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


async def _unsupported(path: str, request: Request) -> None:
    raise unimplemented(
        f"Sluice does not serve the Vertex AI call {request.method} {request.url.path} "
        "(docs/vertex.md lists the calls it serves)"
    )


def _build() -> APIRouter:
    built = APIRouter(tags=["vertex"], dependencies=[Depends(require_token)])
    for module in (
        pipeline_jobs,
        schedules,
        metadata,
        artifacts,
        executions,
        contexts,
        tensorboards,
        models,
        endpoints,
        operations,
    ):
        built.include_router(module.router)
    # Last, so that every served route matches first.
    for prefix in ("v1", "ui"):
        built.add_api_route(
            f"/{prefix}/{{path:path}}",
            _unsupported,
            methods=_ALL_METHODS,
            route_class_override=VertexRoute,
            include_in_schema=False,
            name=f"vertex_unsupported_{prefix}",
        )
    return built


router = _build()
"""Every Vertex AI route; ``app.include_router(vertex.router)`` serves them."""
