"""Browser tests of the web UI: one real ``sluice server`` (executing runs, seeded through
the unmodified ``kfp.Client``) and one Chromium per session.

Chromium is Debian's (``apt-get install chromium``), or ``$SLUICE_CHROMIUM``: Playwright
cannot download its own browser here. Without it these tests skip with a hint, and with
``CI=true`` they fail instead. The UI must be built (``make setup``) the same way.

Every test's page records the hosts it requests and the errors it logs: a request leaving
127.0.0.1, or an uncaught exception, fails the test (design acceptance tests 3 and 4).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import kfp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright
from tests.server.server_process import ServerProcess
from tests.ui.pipelines import compile_to, failing, retried, showcase

from sluice.server.ui_static import ui_dist

FINAL = {"SUCCEEDED", "FAILED", "CANCELED"}
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``ui``, and keep them on one xdist worker (``make test`` runs
    ``--dist loadgroup``), so they share one server and one browser."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.ui)
            item.add_marker(pytest.mark.xdist_group("ui"))


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: the browser tests must run)")
    pytest.skip(what)


def chromium_path() -> str | None:
    """The Chromium to drive: ``$SLUICE_CHROMIUM``, else ``chromium`` on the PATH."""
    return os.environ.get("SLUICE_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright's sync API, for the tests of this package.

    Package-scoped, not session-scoped: the sync API runs an event loop in the test
    thread for as long as it is open, and every later test in that process that calls
    ``asyncio.run`` would fail. Closing it when the UI tests end (they run together: one
    xdist group) gives the thread back.
    """
    path = chromium_path()
    if path is None:
        _missing("no Chromium: `apt-get install -y chromium` (or set SLUICE_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A fresh browser profile per test, pages opening relative to the server."""
    opened = browser.new_context(base_url=base_url)
    try:
        yield opened
    finally:
        opened.close()


@dataclass
class UiServer:
    """The session's server, its kfp client, and where a test may put files."""

    server: ServerProcess
    client: kfp.Client
    folder: Path
    runs: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def run_state(self, run_id: str) -> str:
        return str(httpx.get(f"{self.server.api}/runs/{run_id}").json()["state"])

    def wait_run(self, run_id: str, states: set[str] = FINAL, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            state = self.run_state(run_id)
            if state in states or time.monotonic() > deadline:
                return state
            time.sleep(0.1)

    def submit_showcase(self, name: str, gate: Path) -> str:
        """Submit the showcase pipeline; its gate task waits for the file ``gate``."""
        package = self.folder / "showcase.yaml"
        if not package.exists():
            compile_to(showcase, str(package))
        run = self.client.create_run_from_pipeline_package(
            str(package), arguments={"gate_file": str(gate)}, run_name=name
        )
        return str(run.run_id)


@pytest.fixture(scope="package")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A real server with the built UI, and three finished runs: ``done`` (the showcase,
    gate released), ``failed``, and ``retried`` (a task that failed once, then succeeded)."""
    if not (ui_dist() / "index.html").is_file():
        _missing("the web UI is not built: run `make setup`")
    if chromium_path() is None:
        _missing("no Chromium: `apt-get install -y chromium` (or set SLUICE_CHROMIUM)")
    home = Path(tmp_path_factory.mktemp("ui-home"))
    folder = Path(tmp_path_factory.mktemp("ui-files"))
    with ServerProcess(home, background=True) as server:
        ui = UiServer(server, kfp.Client(host=server.url), folder)
        open_gate = folder / "open"
        open_gate.write_text("")
        ui.runs["done"] = ui.submit_showcase("showcase-done", open_gate)
        failed = ui.client.create_run_from_pipeline_package(
            compile_to(failing, str(folder / "failing.yaml")), run_name="failing-run"
        )
        ui.runs["failed"] = str(failed.run_id)
        retry = ui.client.create_run_from_pipeline_package(
            compile_to(retried, str(folder / "retried.yaml")),
            arguments={"marker": str(folder / "flaky-marker")},
            run_name="retried-run",
        )
        ui.runs["retried"] = str(retry.run_id)
        assert ui.wait_run(ui.runs["done"]) == "SUCCEEDED"
        assert ui.wait_run(ui.runs["failed"]) == "FAILED"
        assert ui.wait_run(ui.runs["retried"]) == "SUCCEEDED"
        yield ui


@pytest.fixture(scope="package")
def base_url(ui_server: UiServer) -> str:
    """Pages open relative to the server (``page.goto("/runs")``)."""
    return ui_server.url


@dataclass
class BrowserLog:
    """What a page did that a test may check: the hosts it asked for, what it logged."""

    hosts: set[str] = field(default_factory=set)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    # A test that provokes error answers (401s, 404s) on purpose sets this.
    allow_console_errors: bool = False


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(context: BrowserContext, browser_log: BrowserLog) -> Iterator[Page]:
    """A page whose every request must stay on 127.0.0.1 and that must throw nothing."""

    def record(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob"):  # made in the page, not fetched
            route.continue_()
            return
        host = parts.hostname or ""
        browser_log.hosts.add(host)
        if host == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", record)
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Assertions wait as long as actions do: under the full suite on 2 cores a shared
    # server executing a 500-iteration run can take over expect's default 5 s to answer.
    expect.set_options(timeout=10_000)
    page.on(
        "console",
        lambda message: (
            browser_log.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))
    yield page
    assert browser_log.hosts <= {"127.0.0.1"}, f"requests left the origin: {browser_log.hosts}"
    assert not browser_log.page_errors, browser_log.page_errors
    if not browser_log.allow_console_errors:
        assert not browser_log.console_errors, browser_log.console_errors
