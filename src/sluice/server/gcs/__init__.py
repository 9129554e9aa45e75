"""``gs://`` without Google: the part of the Cloud Storage JSON API that
``google-cloud-storage`` and ``gcsfs`` use, served by ``sluice server --emulate-gcs``.

Routes (:mod:`.routes`) speak Google's wire format; objects live as plain files in any
fsspec filesystem (:mod:`.backend`); the server's own ``gs://`` traffic goes straight to
that store (:mod:`.bridge`), and tasks reach it over HTTP through ``STORAGE_EMULATOR_HOST``.
See "gs:// without Google" in docs/vertex.md.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from sluice.config import Settings
from sluice.server.auth import require_token
from sluice.server.config import ServerState
from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.bridge import ENV_VAR, Bridge, announce, emulator_url, masked
from sluice.server.gcs.routes import build_router
from sluice.server.gcs.uploads import Sessions
from sluice.service.gcs_bridge import STORE_VARIABLE

__all__ = ["ENV_VAR", "announce", "emulator_url", "install", "masked", "store_url"]


def store_url(settings: Settings, emulate_gcs: str) -> str:
    """The backing store of ``--emulate-gcs [DIR_OR_URL]`` ('' : ``$SLUICE_HOME/gcs``)."""
    if not emulate_gcs:
        return str(settings.home / "gcs")
    if "://" in emulate_gcs:
        return emulate_gcs
    from pathlib import Path

    return str(Path(emulate_gcs).expanduser().absolute())


def install(app: FastAPI, state: ServerState) -> None:
    """Serve the emulation on ``app`` if ``state.config.emulate_gcs`` asks for it.

    The routes sit behind ``--token`` like every other API. fsspec's ``gs://`` in this
    process points at the backing store while the app runs (before the run manager starts,
    so recovered runs see it too).
    """
    config = state.config
    if config.emulate_gcs is None:
        return
    store = ObjectStore(
        store_url(config.settings, config.emulate_gcs),
        scratch=config.settings.home / "gcs-scratch",
    )
    state.extras["gcs_store"] = store
    state.extras["gcs_sessions"] = Sessions(config.settings.home / "gcs-scratch" / "sessions")
    app.include_router(build_router(), dependencies=[Depends(require_token)])
    bridge = Bridge(store.fs, store.root)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        bridge.install()
        # The worker process the server starts (it executes the runs) installs the same
        # bridge; it inherits this variable.
        os.environ[STORE_VARIABLE] = store.url
        try:
            async with inner(running) as value:
                yield value
        finally:
            os.environ.pop(STORE_VARIABLE, None)
            bridge.remove()

    app.router.lifespan_context = lifespan
