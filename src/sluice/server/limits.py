"""Limits on what a request may carry: body size, JSON nesting, and stored strings.

Every JSON endpoint's router uses :class:`LimitedRoute`, so its body is read with a byte
cap (413 past it) and parsed off the event loop with a nesting limit (400 past it): a
deeply nested document would otherwise reach recursive code (protobuf's parser, the JSON
encoder) and end as a ``RecursionError``, a 500. :func:`loads_json` applies the same
nesting limit to JSON passed in query parameters (``filter``, ``tags``).

The string types (:data:`Name`, :data:`Description`, ...) bound every string the API
stores, to the store's column sizes, and keep control characters out of names; pydantic
reports a violation, which the API answers with a 400.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import anyio.to_thread
from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator

from sluice.server.errors import bad_request
from sluice.spec.safe_yaml import MAX_DEPTH as MAX_JSON_DEPTH
from sluice.spec.safe_yaml import JsonTooDeepError, check_depth

NAME_CHARS = 256  # the store's String(256) name columns
DESCRIPTION_CHARS = 64 * 1024
TEXT_CHARS = 4096  # paths and URLs (pipeline_root, code_source_url)
_PARSE_INLINE_BYTES = 256 * 1024  # parsed in a millisecond or two: not worth a thread


def loads_json(text: str | bytes, what: str) -> Any:
    """Parse JSON from a request; 400 (naming ``what``) when invalid or nested too deeply."""
    try:
        value = json.loads(text)
        check_depth(value)
    except RecursionError as exc:
        raise bad_request(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except JsonTooDeepError as exc:
        raise bad_request(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError as exc:
        raise bad_request(f"{what} is not valid JSON: {exc}") from exc
    return value


class LimitedRequest(Request):
    """A request whose body is capped in bytes and whose JSON is parsed off the loop."""

    async def body(self) -> bytes:
        """The body, or 413 as soon as it passes the server's limit (before reading it all)."""
        if not hasattr(self, "_body"):
            limit: int = self.app.state.sluice.config.max_upload_bytes
            length = self.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                raise _too_large(limit)
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        """The parsed body; 400 when it is not JSON or is nested too deeply."""
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) <= _PARSE_INLINE_BYTES:
                self._json = _parse_body(body)
            else:
                # A body of megabytes takes a while to parse: not on the event loop.
                self._json = await anyio.to_thread.run_sync(_parse_body, body)
        return self._json


def _parse_body(body: bytes) -> Any:
    try:
        return loads_json(body, "the request body")
    except Exception as exc:
        # FastAPI turns anything but an HTTPException raised here into a generic 400.
        status = getattr(exc, "status", 400)
        raise HTTPException(status, getattr(exc, "message", str(exc))) from exc


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the request body is larger than {limit} bytes")


class LimitedRoute(APIRoute):
    """An API route reading its request through :class:`LimitedRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The handler, given a :class:`LimitedRequest` instead of the plain request."""
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            return await handler(LimitedRequest(request.scope, request.receive))

        return limited


# -- strings ---------------------------------------------------------------------------------


def _control(text: str) -> str | None:
    for char in text:
        if unicodedata.category(char) == "Cc":
            return repr(char)
    return None


def check_name(value: str, field: str = "a name", limit: int = NAME_CHARS) -> str:
    """``value`` if it is at most ``limit`` characters without control characters."""
    if len(value) > limit:
        raise ValueError(f"{field} is {len(value)} characters long; the limit is {limit}")
    bad = _control(value)
    if bad is not None:
        raise ValueError(f"{field} contains the control character {bad}; remove it")
    return value


def check_description(value: str, field: str = "a description") -> str:
    """``value`` if it is at most :data:`DESCRIPTION_CHARS` characters without NUL."""
    if len(value) > DESCRIPTION_CHARS:
        raise ValueError(
            f"{field} is {len(value)} characters long; the limit is {DESCRIPTION_CHARS}"
        )
    if "\x00" in value:
        raise ValueError(f"{field} contains a NUL character; remove it")
    return value


def _validator(check: Callable[[str], str]) -> AfterValidator:
    return AfterValidator(check)


Name = Annotated[str, _validator(lambda v: check_name(v, "the value"))]
"""A name, display name, namespace or account: at most 256 characters, no control chars."""

Description = Annotated[str, _validator(lambda v: check_description(v, "the value"))]
"""A description: at most 64 KiB characters, no NUL."""

Text = Annotated[str, _validator(lambda v: check_name(v, "the value", TEXT_CHARS))]
"""A path or URL: at most 4096 characters, no control characters."""
