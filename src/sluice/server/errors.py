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
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sluice.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    MetadataNotFoundError,
    NotFoundError,
    RunNotFoundError,
    SluiceError,
    UserInputError,
)

log = logging.getLogger(__name__)

# gRPC status codes (google.rpc.Code) used by the API.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
FAILED_PRECONDITION = 9
INTERNAL = 13
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


class ApiError(Exception):
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


def _from_sluice_error(exc: SluiceError) -> JSONResponse:
    if isinstance(exc, (RunNotFoundError, MetadataNotFoundError, NotFoundError)):
        return error_response(404, str(exc), NOT_FOUND)
    if isinstance(exc, FailedPreconditionError):
        return error_response(400, str(exc), FAILED_PRECONDITION)
    if isinstance(exc, AlreadyExistsError):
        return error_response(409, str(exc), ALREADY_EXISTS)
    if isinstance(exc, UserInputError):
        return error_response(400, str(exc), INVALID_ARGUMENT)
    # Not the caller's fault, but still no 5xx: the request cannot be served as it stands.
    return error_response(400, str(exc), FAILED_PRECONDITION)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the grpc-gateway body and a 4xx status where possible."""

    async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.code)

    async def on_sluice_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SluiceError)
        return _from_sluice_error(exc)

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

    async def on_data_error(_request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value (too long for its column, a NUL in PostgreSQL text):
        # the request's fault, so a 400 rather than a 500.
        log.info("database rejected a value: %s", exc)
        if isinstance(exc, IntegrityError):
            return error_response(409, "the request conflicts with an existing resource", 6)
        return error_response(400, "a value in the request is invalid for the store", 3)

    async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error serving a request")
        return error_response(500, f"internal error: {type(exc).__name__}", INTERNAL)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(SluiceError, on_sluice_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(IntegrityError, on_data_error)
    app.add_exception_handler(Exception, on_unexpected)
