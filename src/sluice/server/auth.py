"""Bearer-token authentication of the API (off unless a token is configured)."""

from __future__ import annotations

import hmac
import os

from fastapi import Request

from sluice.server.errors import ApiError


def configured_token(token: str | None) -> str | None:
    """The token the server requires: the configured one, else ``$SLUICE_TOKEN``, else none."""
    return token or os.environ.get("SLUICE_TOKEN") or None


async def require_token(request: Request) -> None:
    """FastAPI dependency: reject a request without ``Authorization: Bearer <token>``."""
    expected = request.app.state.sluice.extras.get("token")
    if not isinstance(expected, str) or not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    # compare_digest: the time taken must not reveal how much of the token matched.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise ApiError(401, "missing or wrong bearer token; send 'Authorization: Bearer <token>'")
