"""``/healthz``: what ``kfp.Client()`` calls when it is constructed (no auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

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
