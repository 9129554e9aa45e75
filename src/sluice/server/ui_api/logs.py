"""N5, ``/apis/sluice/v1/runs/{run}/logs:stream``: a task's log as server-sent events.

A live tail that resumes: each ``log`` event carries whole lines of the log, and its id is
the byte offset just after them, so a reconnecting ``EventSource`` (``Last-Event-ID``) or a
client passing ``offset`` goes on where it stopped, none twice and none lost. A log longer
than 4 MiB starts at its last 4 MiB (a ``truncated`` event says how much was skipped), so
the first screen of a huge log shows at once. ``end`` comes once the attempt has ended and
everything it wrote was sent: ``{"state", "attempt"}``. Only log files under the run's own
directory are read (``sluice.service.logs.find_log``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from sluice.names import safe_component
from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.service.logs import MAX_LOG_BYTES, find_log, log_chunks
from sluice.service.tasks import TaskService
from sluice.states import FINAL_TASK_STATES

router = APIRouter(tags=["ui"], dependencies=[Depends(require_token)])

_CHUNK = 64 * 1024
_POLL = 0.2
_HEARTBEAT = 15.0
_FINAL = frozenset(state.value for state in FINAL_TASK_STATES)

_DESCRIPTION = """\
Server-sent events of one attempt's log (the task's last attempt unless `attempt`):
`log` events (`data: {"text"}`, whole lines; `id:` the byte offset after them), a
`truncated` event first when the log is longer than 4 MiB and no offset was given
(`data: {"skipped"}`, bytes), and `end` (`data: {"state", "attempt"}`) once the attempt
has ended and all of it was sent. Resume with `Last-Event-ID` or `offset`.
"""


def _read(path: Path, offset: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read(_CHUNK)


def _event(kind: str, data: dict[str, object], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get(
    "/runs/{run_id}/logs:stream",
    summary="Stream a task's log",
    description=_DESCRIPTION,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream_log(
    run_id: str,
    request: Request,
    task: str = Query(..., max_length=1024, description="The task's id, path or unique name."),
    attempt: int | None = Query(None, ge=1, le=2**31 - 1, description="Which attempt."),
    offset: int | None = Query(None, ge=0, le=2**53, description="Resume at this byte."),
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Stream the log of a task's attempt, live while it runs."""
    state = state_of(request)
    found = await asyncio.to_thread(
        find_log, state.store, state.config.settings, run_id, task, attempt
    )
    start = offset
    if last_event_id:
        if not last_event_id.strip().isdigit():
            raise bad_request("Last-Event-ID must be a byte offset (the id: of the last event)")
        start = int(last_event_id.strip())
    size = found.path.stat().st_size
    skipped = 0
    if start is None:
        start = skipped = max(0, size - MAX_LOG_BYTES)
    tasks = TaskService(state.store)

    def attempt_state() -> str | None:
        """The attempt's final state, or None while it runs."""
        row = tasks.find(run_id, task)
        if row.attempts > found.attempt:
            return "ENDED"  # a newer attempt has started: this one is over
        return row.state if row.state in _FINAL else None

    async def body() -> AsyncIterator[str]:
        yield "retry: 1000\n\n"
        if skipped:
            yield _event("truncated", {"skipped": skipped})
        position = start
        pending = b""
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        ended: str | None = None
        while True:
            chunk = await asyncio.to_thread(_read, found.path, position)
            if chunk:
                position += len(chunk)
                pending += chunk
                # Whole lines only, so an offset never splits a character.
                cut = pending.rfind(b"\n") + 1
                if cut:
                    text = pending[:cut].decode("utf-8", errors="replace")
                    pending = pending[cut:]
                    yield _event("log", {"text": text}, position - len(pending))
                    quiet_since = loop.time()
                continue
            if ended is not None:
                if pending:  # the last line had no newline
                    yield _event("log", {"text": pending.decode("utf-8", "replace")}, position)
                yield _event("end", {"state": ended, "attempt": found.attempt})
                return
            # Read once more after seeing the end: the process wrote its last bytes before
            # its state was recorded.
            ended = await asyncio.to_thread(attempt_state)
            if ended is None and pending:
                # A line still being written (a progress bar): show it rather than wait.
                yield _event("log", {"text": pending.decode("utf-8", "replace")}, position)
                pending = b""
            if ended is None:
                if loop.time() - quiet_since > _HEARTBEAT:
                    yield ": keepalive\n\n"
                    quiet_since = loop.time()
                await asyncio.sleep(_POLL)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/runs/{run_id}/logs:download",
    summary="Download a task's whole log",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def download_log(
    run_id: str,
    request: Request,
    task: str = Query(..., max_length=1024, description="The task's id, path or unique name."),
    attempt: int | None = Query(None, ge=1, le=2**31 - 1, description="Which attempt."),
) -> StreamingResponse:
    """The whole log of a task's attempt as a file (what the Logs tab's Download link
    fetches: a link cannot ask for ``text/plain`` the way the KFP logs call needs)."""
    state = state_of(request)
    found = find_log(state.store, state.config.settings, run_id, task, attempt)
    name = safe_component(f"{task.replace('/', '.')}-attempt-{found.attempt}") + ".log"
    return StreamingResponse(
        log_chunks(found.path, found.path.stat().st_size),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
