"""``/apis/sluice/v1/events``: run and task state changes as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from sluice.server import services
from sluice.server.auth import require_token
from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.service.events import event_json, event_type

PREFIX = "/apis/sluice/v1"

router = APIRouter(tags=["events"], dependencies=[Depends(require_token)])

_DESCRIPTION = """\
Server-sent events (`text/event-stream`) of run and task state changes: each event has
`id: <seq>` (the id of its state history row), `event:` one of `run_state`, `task_state`,
`task_log`, `task_notice`, and `data:` its JSON. The stream first replays the history
after `Last-Event-ID` (header, or `last_event_id`; from the start without one), then
follows new changes, including those of runs another process executes on the same store.
A `: keepalive` comment comes after 15 s without an event.
"""


@router.get(
    "/events",
    summary="Stream run and task events",
    description=_DESCRIPTION,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream_events(
    request: Request,
    run_id: str | None = Query(None, description="Only this run's events (all runs if empty)."),
    last_event_id: str | None = Query(
        None, description="Resume after this event id (as the Last-Event-ID header does)."
    ),
    last_event_id_header: str | None = Header(None, alias="Last-Event-ID"),
) -> StreamingResponse:
    """Stream the events of one run (``run_id``) or of every run."""
    state = state_of(request)
    service = services.events(state)
    given = last_event_id_header or last_event_id or "0"
    if not given.strip().isdigit():
        raise bad_request(
            f"Last-Event-ID must be an event id (a whole number), not {given!r}; "
            "send the id: of the last event received"
        )
    after = int(given.strip())
    if run_id:
        service.check_run(run_id)  # a 404 now, before the stream starts

    async def body() -> AsyncIterator[str]:
        # Tells EventSource how long to wait before reconnecting (ms).
        yield "retry: 1000\n\n"
        # An event that arrives late (its row committed after a higher id was read) keeps
        # the id at the highest seen, so a reconnect never replays what was already sent.
        resume_at = after
        async for event in service.follow(
            run_id=run_id or None,
            after=after,
            poll_interval=state.config.events_poll,
            idle_interval=state.config.events_heartbeat,
        ):
            if event is None:
                yield ": keepalive\n\n"
            else:
                resume_at = max(resume_at, event.seq)
                yield f"id: {resume_at}\nevent: {event_type(event)}\ndata: {event_json(event)}\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        # No proxy may buffer or cache the stream.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
