"""The FastAPI application serving KFP's v2beta1 REST API over a Sluice store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from sluice.server import vertex
from sluice.server.auth import configured_token, require_token
from sluice.server.config import ServerConfig, ServerState
from sluice.server.errors import error_response, install_error_handlers
from sluice.server.gcs import install as install_gcs_emulation
from sluice.server.routers import (
    artifacts,
    events,
    experiments,
    health,
    logs,
    pipelines,
    recurring_runs,
    runs,
)
from sluice.server.submission import submit_recurring
from sluice.server.ui_api import PREFIX as UI_API_PREFIX
from sluice.server.ui_api import router as ui_api_router
from sluice.server.ui_static import install_ui
from sluice.service.stores import HeldLock, lock_for_server, open_store
from sluice.store.models import RecurringRunRow, RunRow

API_PREFIX = "/apis/v2beta1"
_UPLOAD_PATHS = (f"{API_PREFIX}/pipelines/upload", f"{API_PREFIX}/pipelines/upload_version")


def _scheduler_submit(state: ServerState) -> Callable[[RecurringRunRow, datetime], RunRow]:
    """What the scheduler calls to start a slot's run, bound to this server."""

    def submit(row: RecurringRunRow, slot: datetime) -> RunRow:
        return submit_recurring(state, row, slot)

    return submit


class UploadLimit:
    """Refuse an oversized upload (413) from its Content-Length, before its body is read.

    The upload handlers also count the bytes they read, for uploads sent without a
    Content-Length (chunked).
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 for an upload declared too large; pass everything else on."""
        if scope["type"] == "http" and scope["path"] in _UPLOAD_PATHS:
            length = Headers(scope=scope).get("content-length", "")
            if length.isdigit() and int(length) > self.limit + 64 * 1024:
                response = error_response(413, f"the upload is larger than {self.limit} bytes", 8)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _start_serving(state: ServerState) -> None:
    """Serve the deployed models again (in the background: the API does not wait for them)."""
    from sluice.service.endpoints import EndpointService
    from sluice.serving.supervisor import ServingSupervisor

    state.serving = ServingSupervisor()
    state.serving.start_watching()
    service = EndpointService(state.store, state.config.settings, state.serving)
    await asyncio.to_thread(service.serve_all)


def create_app(config: ServerConfig, *, store_lock: HeldLock | None = None) -> FastAPI:
    """The API over the store of ``config.settings``; background work starts with the app.

    A server executing runs (``config.background``) holds the store's server lock from
    start to shutdown, so a second server on the same SQLite store cannot run the first
    one's runs again (servers on one PostgreSQL share the runs by leases instead).
    ``store_lock`` is that lock when the caller took it already (``sluice server`` does,
    to refuse before starting uvicorn); the app releases it at shutdown.
    """
    store = open_store(config.settings)
    state = ServerState(config=config, store=store)
    state.extras["token"] = configured_token(config.token)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        lock = store_lock
        if config.background:
            from sluice.server.manager import RunManager
            from sluice.server.scheduler import Scheduler

            lock = lock or lock_for_server(store)
            state.manager = RunManager(
                store,
                config.settings,
                max_concurrent_runs=config.max_concurrent_runs,
                lease_seconds=config.lease_seconds,
                heartbeat_seconds=config.heartbeat_seconds,
            )
            await state.manager.start()
            state.scheduler = Scheduler(
                store, config.settings, submit=_scheduler_submit(state), now=config.clock
            )
            await state.scheduler.start()
            await _start_serving(state)
        try:
            yield
        finally:
            if state.serving is not None:
                await asyncio.to_thread(state.serving.close)
            if state.scheduler is not None:
                await state.scheduler.stop()
            if state.manager is not None:
                await state.manager.stop()
            if lock is not None:
                lock.release()

    app = FastAPI(
        title="Sluice",
        description="Kubeflow Pipelines v2beta1 REST API, served by Sluice on this machine.",
        version="2beta1",
        # FastAPI's /docs and /redoc pages load their scripts from a CDN, which Sluice never
        # does; the schema itself is served below, behind the token like everything else.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sluice = state
    install_error_handlers(app)

    # A plain ASGI middleware: Starlette's BaseHTTPMiddleware (``@app.middleware``) runs
    # every request's app in a task of its own with memory streams, a cost every request
    # paid for a check only the upload paths need.
    app.add_middleware(UploadLimit, limit=config.max_upload_bytes)
    app.add_middleware(
        health.HealthzFastPath, paths=(f"{API_PREFIX}/healthz", "/apis/v1beta1/healthz")
    )

    routers = [
        health.router,
        experiments.router,
        pipelines.router,
        runs.router,
        recurring_runs.router,
        artifacts.router,
        logs.router,
    ]
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(events.router, prefix=events.PREFIX)
    app.include_router(ui_api_router, prefix=UI_API_PREFIX)  # the web UI's calls (docs/ui.md)
    app.include_router(vertex.router)  # Vertex AI's /v1/projects/... and /ui/... (LRO polls)
    app.add_api_route("/apis/v1beta1/healthz", health.healthz, methods=["GET"], tags=["health"])
    install_gcs_emulation(app, state)  # only with --emulate-gcs

    async def openapi_schema() -> JSONResponse:
        """The OpenAPI schema of this API."""
        return JSONResponse(app.openapi())

    app.add_api_route(
        "/openapi.json",
        openapi_schema,
        methods=["GET"],
        include_in_schema=False,
        dependencies=[Depends(require_token)],
    )
    install_ui(app)  # last: the UI's fallback route must not shadow an API route
    return app
