"""N0: the session cookie, with a token and without one."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.server.conftest import RunningServer, start_server

TOKEN = "ui-s3cret"
UI = "/apis/sluice/v1"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An API-only server requiring a token."""
    running, stop = start_server(
        Path(tmp_path_factory.mktemp("ui-auth-home")), background=False, token=TOKEN
    )
    try:
        yield running
    finally:
        stop()


def test_login_sets_a_strict_httponly_cookie(token_server: RunningServer) -> None:
    with httpx.Client(base_url=token_server.url) as browser:
        assert browser.get(f"{UI}/session").json() == {
            "auth_required": True,
            "authenticated": False,
        }
        assert browser.get("/apis/v2beta1/experiments").status_code == 401
        wrong = browser.post(f"{UI}/session", json={"token": "nope"})
        assert wrong.status_code == 401
        assert "wrong token" in wrong.json()["message"]
        login = browser.post(f"{UI}/session", json={"token": TOKEN})
        assert login.status_code == 200
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert TOKEN not in cookie  # an HMAC of the token, not the token
        assert browser.get(f"{UI}/session").json()["authenticated"] is True
        # Reads work with the cookie alone, the event stream's too (EventSource sends no header).
        assert browser.get("/apis/v2beta1/experiments").status_code == 200
        assert browser.get(f"{UI}/runs").status_code == 200
        # A state-changing call with the cookie alone is refused without the custom header.
        forged = browser.post("/apis/v2beta1/experiments", json={"display_name": "csrf"})
        assert forged.status_code == 403
        assert "X-Sluice-Request" in forged.json()["message"]
        made = browser.post(
            "/apis/v2beta1/experiments",
            json={"display_name": "from-ui"},
            headers={"X-Sluice-Request": "1"},
        )
        assert made.status_code == 200, made.text
        logout = browser.delete(f"{UI}/session", headers={"X-Sluice-Request": "1"})
        assert logout.status_code == 200
        assert browser.get("/apis/v2beta1/experiments").status_code == 401
        assert browser.get(f"{UI}/session").json()["authenticated"] is False


def test_a_forged_cookie_is_401(token_server: RunningServer) -> None:
    cookies = {"sluice_session": TOKEN}
    response = httpx.get(f"{token_server.url}/apis/v2beta1/experiments", cookies=cookies)
    assert response.status_code == 401


def test_bearer_token_still_works_without_the_header(token_server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    made = httpx.post(
        f"{token_server.url}/apis/v2beta1/experiments",
        json={"display_name": "from-bearer"},
        headers=headers,
    )
    assert made.status_code == 200
    assert httpx.get(f"{token_server.url}{UI}/runs", headers=headers).status_code == 200
    assert httpx.get(f"{token_server.url}{UI}/runs").status_code == 401


def test_without_a_token_everyone_is_authenticated(api_server: RunningServer) -> None:
    assert httpx.get(f"{api_server.url}{UI}/session").json() == {
        "auth_required": False,
        "authenticated": True,
    }
    assert httpx.post(f"{api_server.url}{UI}/session", json={"token": "x"}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/artifacts/1:content", "/artifacts/1:preview", "/compare?run_ids=a,b"]
)
def test_viewer_and_compare_calls_need_the_token(token_server: RunningServer, path: str) -> None:
    assert httpx.get(f"{token_server.url}{UI}{path}").status_code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    # With the token the call reaches its handler: no such artifact or run here.
    assert httpx.get(f"{token_server.url}{UI}{path}", headers=headers).status_code == 404


def test_every_ui_call_but_the_session_needs_the_token(token_server: RunningServer) -> None:
    # Every GET of /apis/sluice/v1 in the UI's OpenAPI document (ui/openapi.json, kept
    # fresh by test_openapi_types.py; ids filled in with 1): a 401
    # without the token, never an answer, whatever the call.
    document = json.loads((Path(__file__).parents[3] / "ui" / "openapi.json").read_text())
    paths = [
        path
        for path, operations in document["paths"].items()
        if path.startswith(UI) and "get" in operations and path != f"{UI}/session"
    ]
    assert {f"{UI}/artifacts", f"{UI}/executions/{{execution_id}}/lineage", f"{UI}/search"} <= set(
        paths
    )
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "1", path)
        assert httpx.get(f"{token_server.url}{url}").status_code == 401, path
