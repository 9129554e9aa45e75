"""Serving the built web UI (``ui/`` built into ``server/ui_dist/``) at ``/``.

``/assets/*`` are Vite's content-hashed files: cached for a year, immutable. Any other
GET outside the API answers ``index.html`` (never cached, so a rebuild shows at once) and
the app's router reads the path: a deep link like ``/runs/<id>?task=train`` loaded cold
works. The paths of the APIs (``/apis/``, Vertex's ``/v1/`` and ``/ui/``, the Cloud Storage
emulation, ``/openapi.json``, ``/docs``) never fall back, so their 404s and 405s stay JSON.

The build uses relative asset URLs (Vite's ``base: './'``); ``index.html`` gets a ``<base>``
of the app's root path, so the same build works at ``/runs/x/y`` and behind a path prefix.
Without a build (a source checkout before ``make setup``), ``/`` says how to make one and
the API works as before. ``$SLUICE_UI_DIST`` points at another build (UI development).
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DIST = Path(__file__).parent / "ui_dist"
NOT_BUILT = "Sluice's web UI is not built: run `make setup` in the source checkout."
# First segments of the APIs' paths (and FastAPI's docs pages, which Sluice does not
# serve); the SPA fallback never answers them.
_RESERVED = (
    "apis",
    "v1",
    "ui",
    "storage",
    "upload",
    "download",
    "openapi.json",
    "assets",
    "docs",
    "redoc",
)
_BASE_TAG = re.compile(rb'<base href="[^"]*"\s*/?>')


class _SpaPath(Convertor[str]):
    """Any path (maybe empty) that is not one of the APIs'."""

    regex = "(?!(?:" + "|".join(re.escape(name) for name in _RESERVED) + ")(?:/|$)).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("spa", _SpaPath())


class _ImmutableFiles(StaticFiles):
    """Static files whose names change with their content: cache them for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def ui_dist() -> Path:
    """Where the built UI is (``$SLUICE_UI_DIST`` or the package's ``ui_dist``)."""
    override = os.environ.get("SLUICE_UI_DIST")
    return Path(override) if override else DIST


def install_ui(app: FastAPI) -> None:
    """Serve the built UI at ``/`` (after every API route, so those win)."""
    dist = ui_dist().resolve()
    index = dist / "index.html"
    if not index.is_file():

        async def not_built() -> HTMLResponse:
            body = f"<!doctype html><title>Sluice</title><p>{html.escape(NOT_BUILT)}</p>\n"
            return HTMLResponse(body, status_code=404, headers={"Cache-Control": "no-cache"})

        app.add_api_route("/", not_built, methods=["GET"], include_in_schema=False)
        return

    if (dist / "assets").is_dir():
        app.mount("/assets", _ImmutableFiles(directory=dist / "assets"), name="ui-assets")
    page = index.read_bytes()

    async def spa(path: str, request: Request) -> Response:
        # A file of the build's top level (favicon.svg) is served as it is; every other
        # path is a route of the app.
        if path and "/" not in path:
            candidate = (dist / path).resolve()
            if candidate.parent == dist and candidate.is_file():
                return FileResponse(candidate, headers={"Cache-Control": "no-cache"})
        root = request.scope.get("root_path", "").rstrip("/")
        base = f'<base href="{html.escape(root, quote=True)}/" />'.encode()
        body = _BASE_TAG.sub(base, page, count=1)
        return Response(
            body, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    app.add_api_route(
        "/{path:spa}", spa, methods=["GET", "HEAD"], include_in_schema=False, name="ui"
    )
