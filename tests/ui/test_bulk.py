"""Run list bulk actions (design acceptance tests 13 and 14): select runs, Archive and
Restore them, Terminate a running one, Delete after a confirmation."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.pipelines import compile_to, failing

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _submit_failing(ui_server: UiServer, name: str) -> str:
    package = ui_server.folder / "bulk-failing.yaml"
    if not package.exists():
        compile_to(failing, str(package))
    run = ui_server.client.create_run_from_pipeline_package(str(package), run_name=name)
    return str(run.run_id)


def _processes_of(run_id: str) -> list[int]:
    """The pids of processes holding a file of the run open (a task writes its log under
    the run's folder, which is named by the run's id)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:  # it ended meanwhile, or is not ours to read
            continue
        if any(run_id in link for link in links):
            found.append(int(entry.name))
    return found


def test_archive_and_restore_selected_runs(ui_server: UiServer, page: Page) -> None:
    ids = [_submit_failing(ui_server, name) for name in ("bulk-a", "bulk-b")]
    for run_id in ids:
        ui_server.wait_run(run_id)
    page.goto("/runs?q=bulk-")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name="Select all runs on this page").check()
    bar = page.get_by_role("toolbar", name="Bulk actions")
    expect(bar).to_contain_text("2 runs selected")
    bar.get_by_role("button", name="Archive").click()
    expect(bar.get_by_role("status")).to_have_text("Archived 2 runs")
    expect(rows).to_have_count(0)
    page.get_by_role("checkbox", name="Archived").check()
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name="Select bulk-a").check()
    page.get_by_role("checkbox", name="Select bulk-b").check()
    bar.get_by_role("button", name="Restore").click()
    expect(bar.get_by_role("status")).to_have_text("Restored 2 runs")
    expect(rows).to_have_count(0)
    page.get_by_role("checkbox", name="Archived").uncheck()
    expect(rows).to_have_count(2)
    for run_id in ids:
        run = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
        assert run["storage_state"] == "AVAILABLE"


def test_terminate_a_running_run_from_the_list(ui_server: UiServer, page: Page) -> None:
    gate = ui_server.folder / "gate-bulk-terminate"
    run_id = ui_server.submit_showcase("bulk-terminate", gate)
    try:
        deadline = time.monotonic() + 60
        while not _processes_of(run_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of(run_id), "no task of the run started"
        page.goto("/runs?q=bulk-terminate")
        row = page.locator(f'tbody tr[data-run-id="{run_id}"]')
        expect(row.locator(".badge")).to_have_attribute("data-state", "RUNNING")
        row.get_by_role("checkbox").check()
        page.get_by_role("toolbar", name="Bulk actions").get_by_role(
            "button", name="Terminate"
        ).click()
        expect(row.locator(".badge")).to_have_attribute("data-state", "CANCELED", timeout=5_000)
        deadline = time.monotonic() + 5
        while _processes_of(run_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of(run_id) == []
    finally:
        gate.write_text("")
    assert ui_server.run_state(run_id) == "CANCELED"


def test_delete_asks_first(ui_server: UiServer, page: Page) -> None:
    run_id = _submit_failing(ui_server, "bulk-delete")
    ui_server.wait_run(run_id)
    page.goto("/runs?q=bulk-delete")
    page.get_by_role("checkbox", name="Select bulk-delete").check()
    bar = page.get_by_role("toolbar", name="Bulk actions")
    bar.get_by_role("button", name="Delete", exact=True).click()
    confirm = bar.get_by_role("alertdialog", name="Confirm delete")
    expect(confirm).to_contain_text("cannot be undone")
    confirm.get_by_role("button", name="Cancel").click()
    assert httpx.get(f"{ui_server.server.api}/runs/{run_id}").status_code == 200
    bar.get_by_role("button", name="Delete", exact=True).click()
    confirm.get_by_role("button", name=re.compile(r"^Delete 1 run$")).click()
    expect(bar.get_by_role("status")).to_have_text("Deleted 1 run")
    expect(page.locator("tbody tr")).to_have_count(0)
    assert httpx.get(f"{ui_server.server.api}/runs/{run_id}").status_code == 404
