"""Errors of the Vertex AI surface, in Google's JSON error shape.

``{"error": {"code": <HTTP status>, "message": ..., "status": "NOT_FOUND"}}``: the SDK
picks the ``google.api_core.exceptions`` class from the HTTP status and shows
``message``; KFP's grpc-gateway body (``{"error": "<text>", ...}``) would read as
"unknown error" there, so every route of this package answers errors through
:class:`VertexRoute` instead of the app's handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sluice.errors import SluiceError, StoreError
from sluice.server.errors import ApiError, error_status
from sluice.server.limits import LimitedRoute

log = logging.getLogger(__name__)

# google.rpc.Code names by number.
_CODE_NAMES = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    16: "UNAUTHENTICATED",
}
# The code of an HTTP status when the error names none.
_CODE_OF_STATUS = {400: 3, 401: 16, 404: 5, 405: 12, 409: 6, 413: 8, 501: 12, 503: 14}

UNIMPLEMENTED = 12


def google_error(status: int, message: str, code: int | None = None) -> JSONResponse:
    """Google's error body with this HTTP status (and gRPC ``code``, else the status's)."""
    code = code if code is not None else _CODE_OF_STATUS.get(status, 13 if status >= 500 else 3)
    body = {"error": {"code": status, "message": message, "status": _CODE_NAMES.get(code, "")}}
    return JSONResponse(body, status_code=status)


def unimplemented(message: str) -> ApiError:
    """A 501 UNIMPLEMENTED: a Vertex AI call Sluice does not serve."""
    return ApiError(501, message, UNIMPLEMENTED)


def error_answer(exc: Exception) -> JSONResponse:
    """The Google error answering ``exc``, by the server's one table of statuses."""
    if isinstance(exc, RequestValidationError):
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return google_error(400, "invalid request: " + "; ".join(parts))
    if isinstance(exc, StarletteHTTPException):
        return google_error(exc.status_code, str(exc.detail))
    status, code = error_status(exc)
    if isinstance(exc, ApiError):
        message = exc.message
    elif isinstance(exc, SluiceError) and not isinstance(exc, StoreError):
        message = str(exc)
    elif status == 503:
        # The text of a database error may hold SQL or connection details.
        log.warning("store unavailable: %s", exc)
        message = "the run store is unavailable (its database could not be reached); try again"
    else:
        log.error("%s serving a Vertex AI request", type(exc).__name__, exc_info=exc)
        message = f"internal error: {type(exc).__name__}"
    return google_error(status, message, code)


class VertexRoute(LimitedRoute):
    """A size-limited route whose errors (validation, auth, service) answer in Google's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, wrapped so that an exception becomes a Google error."""
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every error of a Vertex route is answered here
                return error_answer(exc)

        return answer

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request; a method the route lacks is a 405 in Google's shape too."""
        if self.methods and scope.get("method") not in self.methods:
            response = google_error(
                405, f"{scope.get('method')} is not a method of {scope.get('path')}", 12
            )
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)
