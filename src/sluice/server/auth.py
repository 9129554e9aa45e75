"""Authentication of the API (off unless a token is configured): a bearer token, or the
web UI's session cookie made from it.

A browser cannot put a bearer header on an ``EventSource``, an ``<a href>`` download or an
``<img>``, so the UI trades the token for an HttpOnly, SameSite=Strict cookie
(``POST /apis/sluice/v1/session``). The cookie holds an HMAC of the token, not the token:
a leaked cookie does not reveal the token, and changing the token ends every session. A
cookie is sent by the browser on its own, so a state-changing request that relies on it
must also carry :data:`CSRF_HEADER`, which a cross-site form cannot send.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from urllib.parse import unquote

from fastapi import Request

from sluice.server.errors import ApiError

SESSION_COOKIE = "sluice_session"
CSRF_HEADER = "X-Sluice-Request"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configured_token(token: str | None) -> str | None:
    """The token the server requires: the configured one, else ``$SLUICE_TOKEN``, else none."""
    return token or os.environ.get("SLUICE_TOKEN") or None


def expected_token(request: Request) -> str | None:
    """The token this server requires, or None when authentication is off."""
    expected = request.app.state.sluice.extras.get("token")
    return expected if isinstance(expected, str) and expected else None


def session_value(token: str) -> str:
    """The session cookie's value for ``token`` (an HMAC of it, never the token itself)."""
    return hmac.new(token.encode(), b"sluice-ui-session-v1", hashlib.sha256).hexdigest()


def token_matches(given: str, expected: str) -> bool:
    """Whether ``given`` is the token (in a time that does not reveal how much matched)."""
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def bearer_ok(request: Request, expected: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <expected>``."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_matches(given, expected)


def basic_ok(request: Request, expected: str) -> bool:
    """Whether the request carries HTTP Basic credentials whose password is ``expected``.

    Tasks reach the Cloud Storage emulation through ``STORAGE_EMULATOR_HOST``, which can
    carry credentials but not a bearer header (``server.gcs.bridge.emulator_url``).
    """
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        _user, _, given = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return token_matches(unquote(given), expected)


def cookie_ok(request: Request, expected: str) -> bool:
    """Whether the request carries the session cookie of ``expected``."""
    given = request.cookies.get(SESSION_COOKIE, "")
    return bool(given) and hmac.compare_digest(given.encode(), session_value(expected).encode())


async def require_token(request: Request) -> None:
    """FastAPI dependency: reject a request without the bearer token or the session cookie.

    A state-changing request authenticated by the cookie alone also needs the
    ``X-Sluice-Request`` header (against cross-site request forgery).
    """
    expected = expected_token(request)
    if expected is None or bearer_ok(request, expected) or basic_ok(request, expected):
        return
    if cookie_ok(request, expected):
        if request.method in _SAFE_METHODS or request.headers.get(CSRF_HEADER):
            return
        raise ApiError(
            403,
            f"a state-changing request with the session cookie needs the {CSRF_HEADER} header; "
            "send it (any value), or use 'Authorization: Bearer <token>'",
            7,  # PERMISSION_DENIED
        )
    raise ApiError(401, "missing or wrong bearer token; send 'Authorization: Bearer <token>'")
