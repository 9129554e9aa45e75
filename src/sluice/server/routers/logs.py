"""``/runs/{run_id}/nodes/{node_id}/logs``: a task's stdout and stderr (a Sluice extension).

KFP's API has no log call (its UI reads pod logs from Kubernetes); ``sluice logs --host``
uses this one. Only log files under the run's own working directory are ever read.

By default the answer is JSON holding the end of the log. A client that accepts
``text/plain`` gets the whole log instead, streamed in chunks read off the event loop, so
a log of any size costs the server one chunk of memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from sluice.logfiles import CHUNK_BYTES, read_tail
from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import bad_request, not_found
from sluice.server.routers.artifacts import find_task
from sluice.store.models import RunRow

router = APIRouter(tags=["logs"], dependencies=[Depends(require_token)])

# The end of a log is what explains a failure; larger logs are cut from the front.
MAX_LOG_BYTES = 4 * 1024 * 1024


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The end of the log as JSON, or all of it as text (Accept: text/plain)",
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/runs/{run_id}/nodes/{node_id}/logs", response_model=None, responses=_RESPONSES)
def read_logs(
    run_id: str, node_id: str, request: Request, attempt: int | None = None
) -> dict[str, Any] | StreamingResponse:
    """The log of a task's last attempt (or of ``attempt``) as ``{"data", "attempt"}``.

    With ``Accept: text/plain``: the whole log as text, its attempt in ``X-Sluice-Attempt``.
    """
    state = state_of(request)
    with state.store.session() as session:
        run = session.get(RunRow, run_id)
    if run is None:
        raise not_found(f"no run '{run_id}'")
    task = find_task(state, run_id, node_id)
    if not task.log_path:
        reason = "it came from the cache" if task.state == "CACHED" else "it did not run"
        raise not_found(f"task '{task.path}' has no log: {reason} (state {task.state})")
    path = Path(task.log_path)
    number = attempt if attempt is not None else task.attempts
    if attempt is not None:
        if attempt < 1:
            raise bad_request("attempt must be 1 or more")
        path = path.parent.parent / f"attempt-{attempt}" / path.name
    root = (state.config.settings.runs_dir / run.id).resolve()
    resolved = path.resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise not_found(f"task '{task.path}' has no log for attempt {number}")
    if "text/plain" in request.headers.get("accept", ""):
        # A sync iterator: Starlette runs each step in a worker thread.
        return StreamingResponse(
            _chunks(resolved, resolved.stat().st_size),
            media_type="text/plain; charset=utf-8",
            headers={"X-Sluice-Attempt": str(number)},
        )
    tail, truncated = read_tail(resolved, MAX_LOG_BYTES)
    return {
        "data": tail.decode("utf-8", errors="replace"),
        "attempt": number,
        "truncated": truncated,
    }


def _chunks(path: Path, size: int) -> Iterator[bytes]:
    """The first ``size`` bytes of ``path`` (its size when asked: a running task appends)."""
    with path.open("rb") as handle:
        while size > 0:
            chunk = handle.read(min(CHUNK_BYTES, size))
            if not chunk:
                return
            size -= len(chunk)
            yield chunk
