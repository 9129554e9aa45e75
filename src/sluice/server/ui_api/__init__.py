"""The web UI's API, ``/apis/sluice/v1``: the calls the pages make beyond KFP's REST API.

One router per concern over ``sluice.service`` (``session``: N0; ``runs``: N1 run
summaries, N2 run graphs, N4 task detail; ``logs``: N5 the log stream;
``pipelines``: N2 version graphs, N9 cron preview); the shapes are in
``shapes``. The event stream (N3) is ``sluice.server.routers.events``, under the same
prefix. See docs/ui.md.
"""

from __future__ import annotations

from fastapi import APIRouter

from sluice.server.ui_api import logs, pipelines, runs, session

PREFIX = "/apis/sluice/v1"

router = APIRouter()
router.include_router(session.router)
router.include_router(logs.router)
router.include_router(runs.router)
router.include_router(pipelines.router)

__all__ = ["PREFIX", "router"]
