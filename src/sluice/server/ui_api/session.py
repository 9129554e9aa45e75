"""N0, ``/apis/sluice/v1/session``: trade the API token for the web UI's session cookie.

A browser's ``EventSource``, downloads and images cannot send a bearer header, so the UI
logs in once and the cookie (HttpOnly: no script reads it; SameSite=Strict: no other site's
page sends it) authenticates what it loads. See :mod:`sluice.server.auth`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from sluice.server.auth import (
    SESSION_COOKIE,
    bearer_ok,
    cookie_ok,
    expected_token,
    session_value,
    token_matches,
)
from sluice.server.errors import ApiError
from sluice.server.ui_api.shapes import Session, SessionIn

router = APIRouter(tags=["ui"])

# A browser keeps the cookie a week; a token change ends it sooner.
_MAX_AGE = 7 * 24 * 3600


def _session(request: Request, *, authenticated: bool | None = None) -> Session:
    expected = expected_token(request)
    if expected is None:
        return Session(auth_required=False, authenticated=True)
    if authenticated is None:
        authenticated = bearer_ok(request, expected) or cookie_ok(request, expected)
    return Session(auth_required=True, authenticated=authenticated)


@router.get("/session", summary="Whether a token is required and this request has it")
def get_session(request: Request) -> Session:
    """Whether the server requires a token, and whether this request carries it (the UI
    shows its login screen when it does not). Open to everyone: it reveals no more."""
    return _session(request)


@router.post("/session", summary="Log in: set the session cookie from the token")
def create_session(body: SessionIn, request: Request, response: Response) -> Session:
    """Check ``token`` and set the HttpOnly, SameSite=Strict session cookie (401 if wrong)."""
    expected = expected_token(request)
    if expected is None:
        return _session(request)
    if not token_matches(body.token, expected):
        raise ApiError(401, "wrong token; use the server's SLUICE_TOKEN (or its --token)")
    response.set_cookie(
        SESSION_COOKIE,
        session_value(expected),
        max_age=_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _session(request, authenticated=True)


@router.delete("/session", summary="Log out: clear the session cookie")
def delete_session(request: Request, response: Response) -> Session:
    """Clear the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    if expected_token(request) is None:
        return _session(request)
    return _session(request, authenticated=False)
