"""The one table that maps an error class to its HTTP status and gRPC code."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from tests.server.conftest import start_server

from sluice.errors import (
    AmbiguousRunError,
    ComponentError,
    ExecutorError,
    InvalidArgumentError,
    MetadataNotFoundError,
    PlaceholderError,
    RunNameTakenError,
    RunNotFoundError,
    SluiceError,
    StoreError,
    UserInputError,
)
from sluice.server.errors import ApiError, error_status


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (UserInputError("x"), 400, 3),
        (InvalidArgumentError("x"), 400, 3),
        (AmbiguousRunError("x"), 400, 3),
        (RunNotFoundError("x"), 404, 5),
        (MetadataNotFoundError("x"), 404, 5),
        (RunNameTakenError("x"), 409, 6),
        (StoreError("x"), 503, 14),
        (OperationalError("SELECT 1", {}, Exception("connection lost")), 503, 14),
        (ExecutorError("x"), 500, 13),
        (PlaceholderError("x"), 400, 9),
        (ComponentError("t", "x"), 400, 9),
        (ApiError(413, "too big"), 413, 8),
        (ValueError("x"), 500, 13),
    ],
)
def test_error_status_walks_the_mro(error: BaseException, status: int, code: int) -> None:
    assert error_status(error) == (status, code)


def test_api_error_is_a_sluice_error() -> None:
    assert isinstance(ApiError(404, "gone"), SluiceError)


def test_a_lost_store_answers_503(tmp_path: Path) -> None:
    """A real server whose SQLite file can no longer be opened answers 503 UNAVAILABLE."""
    home = tmp_path / "home"
    server, stop = start_server(home, background=False)
    try:
        api = httpx.Client(base_url=server.url + "/apis/v2beta1", timeout=30)
        assert api.get("/runs").status_code == 200
        # The database's directory disappears (a file stands in its place), and the pooled
        # connections are closed: the next request cannot open the store.
        home.rename(tmp_path / "moved")
        home.write_text("not a directory")
        server.state.store.engine.dispose()
        response = api.get("/runs")
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["code"] == 14 and "unavailable" in body["message"]
        assert "SELECT" not in body["message"]  # no SQL leaks to the caller
    finally:
        if home.is_file():
            home.unlink()
            (tmp_path / "moved").rename(home)
        stop()
