"""``/runs/{run_id}/nodes/{node_id}/logs``: a task's stdout and stderr (a Sluice extension).

KFP's API has no log call (its UI reads pod logs from Kubernetes); ``sluice logs --host``
uses this one. Only log files under the run's own working directory are ever read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.service.logs import MAX_LOG_BYTES, read_log

router = APIRouter(tags=["logs"], dependencies=[Depends(require_token)])

__all__ = ["MAX_LOG_BYTES", "router"]


@router.get("/runs/{run_id}/nodes/{node_id}/logs")
def read_logs(
    run_id: str, node_id: str, request: Request, attempt: int | None = None
) -> dict[str, Any]:
    """The log of a task's last attempt (or of ``attempt``) as ``{"data", "attempt"}``."""
    state = state_of(request)
    log = read_log(state.store, state.config.settings, run_id, node_id, attempt)
    return {"data": log.data, "attempt": log.attempt, "truncated": log.truncated}
