"""``/runs/{run_id}/nodes/{node_id}/logs``: a task's stdout and stderr (a Sluice extension).

KFP's API has no log call (its UI reads pod logs from Kubernetes); ``sluice logs --host``
uses this one. Only log files under the run's own working directory are ever read.

By default the answer is JSON holding the end of the log. A client that accepts
``text/plain`` gets the whole log instead, streamed in chunks read off the event loop, so
a log of any size costs the server one chunk of memory.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.service.logs import MAX_LOG_BYTES, find_log, log_chunks, read_log

router = APIRouter(tags=["logs"], dependencies=[Depends(require_token)])

__all__ = ["MAX_LOG_BYTES", "router"]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The end of the log as JSON, or all of it as text (Accept: text/plain)",
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


# ``:path``: a nested task's path has slashes ("outer/inner"), which clients send quoted
# (%2F) and the ASGI server decodes before routing.
@router.get("/runs/{run_id}/nodes/{node_id:path}/logs", response_model=None, responses=_RESPONSES)
def read_logs(
    run_id: str, node_id: str, request: Request, attempt: int | None = None
) -> dict[str, Any] | StreamingResponse:
    """The log of a task's last attempt (or of ``attempt``) as ``{"data", "attempt"}``.

    With ``Accept: text/plain``: the whole log as text, its attempt in ``X-Sluice-Attempt``.
    """
    state = state_of(request)
    if "text/plain" in request.headers.get("accept", ""):
        found = find_log(state.store, state.config.settings, run_id, node_id, attempt)
        # A sync iterator: Starlette runs each step in a worker thread.
        return StreamingResponse(
            log_chunks(found.path, found.path.stat().st_size),
            media_type="text/plain; charset=utf-8",
            headers={"X-Sluice-Attempt": str(found.attempt)},
        )
    log = read_log(state.store, state.config.settings, run_id, node_id, attempt)
    return {"data": log.data, "attempt": log.attempt, "truncated": log.truncated}
