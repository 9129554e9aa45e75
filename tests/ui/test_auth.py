"""With a token set: the login screen, a wrong token, the session cookie, logout (design
acceptance test 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.server.server_process import ServerProcess
from tests.ui.conftest import BrowserLog

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

TOKEN = "ui-test-token"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An API-only server requiring a token."""
    with ServerProcess(Path(tmp_path_factory.mktemp("ui-auth")), token=TOKEN) as server:
        yield server


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
    expect(page.get_by_text("0 runs")).to_be_visible()
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
