"""Errors of the HTTP API, in the shape KFP's grpc-gateway answers with.

Every 4xx/5xx body is ``{"error", "code", "message", "details"}`` where ``code`` is the
gRPC status code, so ``kfp.Client`` (which only looks at the HTTP status) and tools
written against real KFP both read it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice.errors import (
    AlreadyExistsError,
    ExecutorError,
    FailedPreconditionError,
    MetadataNotFoundError,
    NotFoundError,
    RunNotFoundError,
    SluiceError,
    StoreConflictError,
    StoreError,
    StoreUnavailableError,
    StoreUnusableError,
    StoreValueError,
    UserInputError,
)
from sluice.states import IllegalTransitionError

log = logging.getLogger(__name__)

# gRPC status codes (google.rpc.Code) used by the API.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
FAILED_PRECONDITION = 9
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16
RESOURCE_EXHAUSTED = 8

_CODE_OF_STATUS = {
    400: INVALID_ARGUMENT,
    401: UNAUTHENTICATED,
    404: NOT_FOUND,
    405: 12,  # UNIMPLEMENTED
    409: ALREADY_EXISTS,
    413: RESOURCE_EXHAUSTED,
}


class ApiError(SluiceError):
    """An error answered with ``status`` and the gRPC ``code``."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else _CODE_OF_STATUS.get(status, INVALID_ARGUMENT)


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT."""
    return ApiError(400, message, INVALID_ARGUMENT)


def not_found(message: str) -> ApiError:
    """A 404 NOT_FOUND."""
    return ApiError(404, message, NOT_FOUND)


def conflict(message: str) -> ApiError:
    """A 409 ALREADY_EXISTS."""
    return ApiError(409, message, ALREADY_EXISTS)


def precondition(message: str) -> ApiError:
    """A 400 FAILED_PRECONDITION: the request is valid but not in the resource's state."""
    return ApiError(400, message, FAILED_PRECONDITION)


def error_response(status: int, message: str, code: int) -> JSONResponse:
    """The grpc-gateway error body."""
    body = {"error": message, "code": code, "message": message, "details": []}
    return JSONResponse(body, status_code=status)


# The one place an error class becomes an HTTP status and a gRPC code. Looked up along the
# raised exception's MRO, so the most specific class listed wins (RunNotFoundError is a
# UserInputError, but answers 404) and a new subclass inherits its parent's answer.
STATUS_OF_ERROR: dict[type[BaseException], tuple[int, int]] = {
    UserInputError: (400, INVALID_ARGUMENT),
    RunNotFoundError: (404, NOT_FOUND),
    MetadataNotFoundError: (404, NOT_FOUND),
    NotFoundError: (404, NOT_FOUND),
    FailedPreconditionError: (400, FAILED_PRECONDITION),
    AlreadyExistsError: (409, ALREADY_EXISTS),
    # The store is down or the connection to it was lost: worth retrying later.
    StoreError: (503, UNAVAILABLE),
    StoreUnavailableError: (503, UNAVAILABLE),
    # It answers but cannot be used (read-only, full, not a Sluice store): the server's own
    # configuration is at fault, and trying again will not help.
    StoreUnusableError: (500, INTERNAL),
    # The database refused the request's write or value: the request's fault, not a 5xx.
    StoreConflictError: (409, ALREADY_EXISTS),
    StoreValueError: (400, INVALID_ARGUMENT),
    # Sluice could not start or supervise a process: a fault of this server.
    ExecutorError: (500, INTERNAL),
    # The store refused a state change the transition table forbids: a Sluice bug.
    IllegalTransitionError: (500, INTERNAL),
    # Any other SluiceError (a CEL or placeholder error, ...): not the caller's fault, but
    # still no 5xx: the request cannot be served as it stands.
    SluiceError: (400, FAILED_PRECONDITION),
}

# Errors whose own text may hold SQL, values or connection details (the driver's line) are
# answered with these instead; the server's log has the whole error.
PUBLIC_MESSAGE_OF_ERROR: dict[type[BaseException], str] = {
    StoreUnavailableError: (
        "the run store is unavailable (its database could not be reached); try again"
    ),
    StoreUnusableError: "the run store cannot be used as it stands; the server's log says why",
    StoreConflictError: "the request conflicts with an existing resource",
    StoreValueError: "a value in the request is invalid for the store",
}


def error_status(exc: BaseException) -> tuple[int, int]:
    """The HTTP status and gRPC code that answer ``exc`` (500 INTERNAL if none is listed)."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code
    for cls in type(exc).__mro__:
        found = STATUS_OF_ERROR.get(cls)
        if found is not None:
            return found
    return 500, INTERNAL


def _public_message(exc: BaseException) -> str | None:
    for cls in type(exc).__mro__:
        found = PUBLIC_MESSAGE_OF_ERROR.get(cls)
        if found is not None:
            return found
    return None


def _from_error(exc: Exception) -> JSONResponse:
    status, code = error_status(exc)
    public = _public_message(exc)
    if public is not None:
        # The driver's line (in the error's own text) is for the operator, not the caller.
        log.log(
            logging.WARNING if status >= 500 else logging.INFO, "%s: %s", type(exc).__name__, exc
        )
        message = public
    elif isinstance(exc, ApiError):
        message = exc.message
    else:
        message = str(exc)
    if status >= 500:
        log.error("%s answered %d: %s", type(exc).__name__, status, message)
    return error_response(status, message, code)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the grpc-gateway body and a 4xx status where possible."""

    async def on_mapped_error(_request: Request, exc: Exception) -> JSONResponse:
        return _from_error(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(400, "invalid request: " + "; ".join(parts), INVALID_ARGUMENT)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _CODE_OF_STATUS.get(status, INVALID_ARGUMENT if status < 500 else INTERNAL)
        return error_response(status, str(exc.detail), code)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error serving a request")
        return error_response(500, f"internal error: {type(exc).__name__}", INTERNAL)

    app.add_exception_handler(SluiceError, on_mapped_error)  # ApiError is one
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
