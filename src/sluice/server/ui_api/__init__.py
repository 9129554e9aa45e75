"""The web UI's API, ``/apis/sluice/v1``: the calls the pages make beyond KFP's REST API.

One router per concern over ``sluice.service`` (``session``: N0; ``runs``: N1 run
summaries, N2 run graphs, N4 task detail; ``logs``: N5 the log stream; ``viewers``: N7
artifact content and preview, N8 compare; ``pipelines``: N2 version graphs, N9 cron
preview; ``metadata``: N10 artifacts, executions, contexts and N11 their lineage;
``search``: N12); the shapes are in ``shapes``, ``viewer_shapes`` and ``metadata_shapes``.
The event stream (N3) is ``sluice.server.routers.events``, under the same
prefix. See docs/ui.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from sluice.server.ui_api import logs, metadata, pipelines, runs, search, session, viewers

PREFIX = "/apis/sluice/v1"

router = APIRouter()
router.include_router(session.router)
router.include_router(logs.router)
router.include_router(runs.router)
router.include_router(pipelines.router)
# Before ``metadata``: ``/artifacts/{id}:content`` must not reach ``/artifacts/{id}``.
router.include_router(viewers.router)
router.include_router(metadata.router)
router.include_router(search.router)

__all__ = ["PREFIX", "router"]
