"""The one table that maps an error class to its HTTP status and gRPC code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.server.conftest import start_server
from tests.server.pipelines import adder, compile_to
from tests.tcp_relay import TcpRelay

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
    StoreConflictError,
    StoreError,
    StoreUnavailableError,
    StoreValueError,
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
        (StoreUnavailableError("x"), 503, 14),
        (StoreConflictError("x"), 409, 6),
        (StoreValueError("x"), 400, 3),
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


def _assert_one_line_error(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["error"] == body["message"]
    message: str = body["message"]
    assert "\n" not in message and "SELECT" not in message and "INSERT" not in message
    return message


def test_a_postgresql_outage_answers_503_on_one_line(tmp_path: Path, postgres_url: str) -> None:
    """A real server whose PostgreSQL host goes away (its port then refuses connections)."""
    url = make_url(postgres_url)
    with TcpRelay((url.host or "127.0.0.1", url.port or 5432)) as relay:
        db_url = url.set(port=relay.port).render_as_string(hide_password=False)
        server, stop = start_server(tmp_path / "home", db_url=db_url, background=False)
        try:
            api = httpx.Client(base_url=server.url + "/apis/v2beta1", timeout=30)
            assert api.get("/runs").status_code == 200
            relay.cut()
            for path in ("/runs", "/experiments", "/pipelines", "/recurringruns"):
                message = _assert_one_line_error(api.get(path), 503, 14)
                assert "unavailable" in message and "try again" in message
                assert str(relay.port) not in message  # no connection details either
        finally:
            stop()


def _adder_spec(tmp_path: Path) -> dict[str, Any]:
    with open(compile_to(adder, str(tmp_path / "adder.yaml"))) as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def test_a_violated_constraint_answers_409_as_before(tmp_path: Path) -> None:
    """The database refuses a write (a unique index the code does not know): 409, not 500."""
    server, stop = start_server(tmp_path / "home", background=False)
    try:
        with server.state.store.engine.begin() as connection:
            connection.execute(
                text("CREATE UNIQUE INDEX uq_test_name ON recurring_runs (display_name)")
            )
        api = httpx.Client(base_url=server.url + "/apis/v2beta1", timeout=30)
        body = {
            "display_name": "nightly",
            "pipeline_spec": _adder_spec(tmp_path),
            "runtime_config": {"parameters": {"a": 1, "b": 2}},
            "trigger": {"periodic_schedule": {"interval_second": 3600}},
            "mode": "DISABLE",
        }
        assert api.post("/recurringruns", json=body).status_code == 200
        message = _assert_one_line_error(api.post("/recurringruns", json=body), 409, 6)
        assert message == "the request conflicts with an existing resource"
        assert api.get("/recurringruns").json()["total_size"] == 1
    finally:
        stop()


def test_a_value_postgresql_refuses_answers_400_as_before(
    tmp_path: Path, postgres_url: str
) -> None:
    """PostgreSQL text cannot hold NUL: a filter value with one is the request's fault."""
    server, stop = start_server(tmp_path / "home", db_url=postgres_url, background=False)
    try:
        api = httpx.Client(base_url=server.url + "/apis/v2beta1", timeout=30)
        predicate = {"key": "display_name", "operation": 1, "string_value": "a\x00b"}
        nul = json.dumps({"predicates": [predicate]})
        message = _assert_one_line_error(api.get("/experiments", params={"filter": nul}), 400, 3)
        assert message == "a value in the request is invalid for the store"
    finally:
        stop()
