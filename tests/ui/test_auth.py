"""With a token set: the login screen, a wrong token, the session cookie, logout; after
login, a task's log streams over SSE and an artifact downloads on the cookie alone (design
acceptance test 5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import kfp
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.server.server_process import ServerProcess
from tests.ui.conftest import FINAL, BrowserLog
from tests.ui.panel_pipelines import DATA_BYTES, panel_typed
from tests.ui.pipelines import compile_to, echo

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

TOKEN = "ui-test-token"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server requiring a token, executing runs."""
    home = Path(tmp_path_factory.mktemp("ui-auth"))
    with ServerProcess(home, token=TOKEN, background=True) as server:
        yield server


def _log_in(page: Page, url: str) -> None:
    page.goto(url + "/runs")
    page.get_by_label("Token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()


def test_login_wrong_token_and_logout(
    token_server: ServerProcess, browser: Browser, browser_log: BrowserLog, page: Page
) -> None:
    browser_log.allow_console_errors = True  # the 401s before login are logged
    page.goto(token_server.url + "/runs")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    token = page.get_by_label("Token")
    token.fill("wrong")
    token.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("wrong token")
    token.fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    expect(page.get_by_test_id("run-total")).to_be_visible()
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["sluice_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["value"] != TOKEN
    # The page's script cannot read it.
    assert "sluice_session" not in page.evaluate("document.cookie")
    page.reload()
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert "sluice_session" not in {cookie["name"] for cookie in page.context.cookies()}
    assert httpx.get(token_server.api + "/runs").status_code == 401


def test_after_login_logs_stream_and_artifacts_download(
    token_server: ServerProcess, browser_log: BrowserLog, page: Page, tmp_path: Path
) -> None:
    browser_log.allow_console_errors = True  # the 401s before login are logged
    client = kfp.Client(host=token_server.url, existing_token=TOKEN)
    folder = token_server.home
    runs = {
        "echo": client.create_run_from_pipeline_package(
            compile_to(echo, str(folder / "echo.yaml")),
            arguments={"text": "behind-the-token"},
            run_name="auth-echo",
        ).run_id,
        "typed": client.create_run_from_pipeline_package(
            compile_to(panel_typed, str(folder / "typed.yaml")), run_name="auth-typed"
        ).run_id,
    }
    headers = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.monotonic() + 90
    for run_id in runs.values():
        state = ""
        while state not in FINAL and time.monotonic() < deadline:
            state = httpx.get(f"{token_server.api}/runs/{run_id}", headers=headers).json()["state"]
            time.sleep(0.1)
        assert state == "SUCCEEDED"
    _log_in(page, token_server.url)
    # The log arrives over the event stream (EventSource sends the cookie, no header).
    page.goto(f"{token_server.url}/runs/{runs['echo']}?task=shout&tab=logs")
    log = page.get_by_test_id("log")
    expect(log).to_contain_text("line 49: behind-the-token")
    expect(log).to_have_attribute("data-ended", "true")
    # A plain link download, on the cookie too.
    page.goto(f"{token_server.url}/runs/{runs['typed']}?task=typed-values")
    row = page.get_by_role("table", name="Artifacts").locator("tbody tr", has_text="output data")
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    saved = tmp_path / "data"
    download.value.save_as(saved)
    assert saved.read_bytes() == b"x" * DATA_BYTES
    # Without the cookie or the header, the same calls are refused.
    assert httpx.get(f"{token_server.url}/apis/sluice/v1/runs/{runs['typed']}").status_code == 401
