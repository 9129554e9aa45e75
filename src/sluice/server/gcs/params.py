"""Reading a storage API request: its path segments, query parameters and JSON body."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from fastapi import Request

from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.rules import Conditions
from sluice.server.gcs.shapes import WRITABLE_FIELDS, GcsError
from sluice.server.gcs.uploads import Sessions


def store(request: Request) -> ObjectStore:
    """The backing store of the app serving ``request``."""
    store: ObjectStore = request.app.state.sluice.extras["gcs_store"]
    return store


def sessions(request: Request) -> Sessions:
    """The resumable upload sessions of the app serving ``request``."""
    sessions: Sessions = request.app.state.sluice.extras["gcs_sessions"]
    return sessions


def segments(request: Request, prefix: str) -> list[str]:
    """The decoded segments of the raw path after ``prefix`` (``%2F`` stays inside one)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    path = path.split("?", 1)[0]
    rest = path[path.index(prefix) + len(prefix) :].strip("/") if prefix in path else ""
    return [unquote(part) for part in rest.split("/")] if rest else []


def base(request: Request) -> str:
    """The scheme and host the client used: links in answers point back there."""
    return str(request.base_url).rstrip("/")


def query_int(request: Request, name: str) -> int | None:
    """Query parameter ``name`` as an integer (None when absent; 400 when not a number)."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise GcsError(400, f"Invalid value for {name}: {value!r}") from None


def conditions(request: Request) -> Conditions:
    """The ``if*Match`` query parameters."""
    return Conditions(
        generation_match=query_int(request, "ifGenerationMatch"),
        generation_not_match=query_int(request, "ifGenerationNotMatch"),
        metageneration_match=query_int(request, "ifMetagenerationMatch"),
        metageneration_not_match=query_int(request, "ifMetagenerationNotMatch"),
    )


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty; 400 when not an object)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise GcsError(400, "Parse Error: the request body is not JSON") from None
    if not isinstance(body, dict):
        raise GcsError(400, "Parse Error: the request body is not a JSON object")
    return body


def writable(properties: dict[str, Any]) -> dict[str, Any]:
    """The object properties a client may set, from a request body."""
    return {k: properties[k] for k in WRITABLE_FIELDS if k in properties}


def unsupported(request: Request) -> GcsError:
    """501 for a call the emulation does not serve, naming it."""
    return GcsError(
        501,
        f"Sluice's Cloud Storage emulation does not serve {request.method} {request.url.path}",
    )
