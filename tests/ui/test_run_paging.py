"""Paging through 10,000 runs (design acceptance test 12): the next page, the page in the
URL, no run twice. The budgets (first page under 1 s, the next under 500 ms) are measured
by benchmarks/ui.py, never asserted here.

The runs are written straight into the store of a server of this module's own, so the
shared ``ui_server`` (and every other module) stays small and fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import insert
from tests.server.server_process import ServerProcess

from sluice.server.ui_static import ui_dist
from sluice.store.models import RunRow
from sluice.store.repository import Store

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

RUNS = 10_000
PAGE = 50  # the run list's page size
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _run(index: int) -> dict[str, Any]:
    # Two runs per second: the order must break ties (by id) for the pages to be stable.
    created = START + timedelta(seconds=index // 2)
    return {
        "id": f"run{index:05d}",
        "name": f"paged-{index}",
        "display_name": f"paged-{index}",
        "pipeline_name": "paged",
        "pipeline_spec": {},
        "arguments": {},
        "pipeline_root": "/tmp/paged",
        "options": {},
        "state": "SUCCEEDED",
        "outputs": {},
        "created_at": created,
        "started_at": created,
        "finished_at": created + timedelta(seconds=5),
        "updated_at": created,
        "executed_by": "server",
    }


def expected_order() -> list[str]:
    """Newest first, ties by id: what every page of the list must follow."""
    return [
        f"run{index:05d}"
        for index in sorted(range(RUNS), key=lambda index: (-(index // 2), f"run{index:05d}"))
    ]


@pytest.fixture(scope="module")
def paged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server (API and UI, no run manager) over a store of 10,000 finished runs."""
    if not (ui_dist() / "index.html").is_file():
        pytest.skip("the web UI is not built: run `make setup`")
    home = Path(tmp_path_factory.mktemp("paged-home"))
    store = Store(f"sqlite:///{home / 'sluice.db'}")
    with store.engine.begin() as connection:
        connection.execute(insert(RunRow), [_run(index) for index in range(RUNS)])
    store.engine.dispose()
    with ServerProcess(home) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(paged_server: ServerProcess) -> str:
    """This module's pages open on its own server, not the shared one."""
    return paged_server.url


def test_every_run_is_on_exactly_one_page(paged_server: ServerProcess) -> None:
    seen: list[str] = []
    token = ""
    while True:
        page = httpx.get(
            f"{paged_server.url}/apis/sluice/v1/runs",
            params={"page_size": 200, "page_token": token},
            timeout=30,
        ).json()
        assert page["total_size"] == RUNS
        seen += [run["run_id"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == expected_order()


def _rows(page: Page) -> list[str]:
    return [str(row.get_attribute("data-run-id")) for row in page.locator("tbody tr").all()]


def test_paging_in_the_browser(page: Page) -> None:
    order = expected_order()
    rows = page.locator("tbody tr")
    page.goto("/runs")
    expect(page.get_by_test_id("run-total")).to_have_text(f"{RUNS} runs")
    expect(rows.first).to_have_attribute("data-run-id", order[0])
    expect(rows).to_have_count(PAGE)
    pages = [_rows(page)]
    urls = [page.url]
    for number in range(1, 4):
        page.get_by_role("button", name="Next page").click()
        # The page is in the URL, and the rows are the next 50 of the order.
        expect(page).to_have_url(re.compile(r"[?&]page=[^&]+"))
        expect(rows.first).to_have_attribute("data-run-id", order[number * PAGE])
        expect(rows).to_have_count(PAGE)
        pages.append(_rows(page))
        urls.append(page.url)
    assert len(set(urls)) == len(urls)
    flat = [run for rows_of_page in pages for run in rows_of_page]
    assert len(set(flat)) == len(flat), "a run shows on two pages"
    assert flat == order[: 4 * PAGE]

    # A reload of a page's URL gives the same rows; Back goes to the page before.
    page.reload()
    expect(rows.first).to_have_attribute("data-run-id", order[3 * PAGE])
    assert _rows(page) == pages[3]
    page.go_back()
    expect(page).to_have_url(urls[2])
    expect(rows.first).to_have_attribute("data-run-id", order[2 * PAGE])
    page.get_by_role("button", name="First page").click()
    expect(rows.first).to_have_attribute("data-run-id", order[0])
    expect(page).not_to_have_url(re.compile(r"page="))
