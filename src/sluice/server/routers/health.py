"""``/healthz``: what ``kfp.Client()`` calls when it is constructed (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

router = APIRouter(tags=["health"])


def healthz_body() -> dict[str, Any]:
    """KFP's healthz answer; ``multi_user`` false keeps the client off Kubernetes files."""
    from sluice import __version__

    return {
        "commit_sha": "",
        "tag_name": f"sluice-{__version__}",
        "multi_user": False,
        "pipeline_store": "database",
    }


@router.get("/healthz")
async def healthz() -> dict[str, Any]:
    """Server health and mode."""
    return healthz_body()


class HealthzFastPath:
    """Answer ``GET`` on the healthz paths before the rest of the stack (ASGI middleware).

    The answer never changes, so it is rendered once. A probe then costs the event loop a
    few microseconds instead of FastAPI's routing, dependencies, telemetry and encoding,
    so under load it waits only for the GIL, never for work queued ahead of it. The
    routes above stay for the OpenAPI schema and for any other method.
    """

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.response = JSONResponse(healthz_body())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the rendered answer to a GET of a healthz path; pass the rest on."""
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in self.paths:
            await self.response(scope, receive, send)
            return
        await self.app(scope, receive, send)
