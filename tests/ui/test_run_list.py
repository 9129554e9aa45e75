"""The run list: newest first, live over SSE, filters in the URL (design acceptance tests
9 and 10)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.pipelines import compile_to, echo, failing

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_a_new_run_appears_and_changes_state_live(ui_server: UiServer, page: Page) -> None:
    # Filtered by name: other modules seed the same server, past the first page of 50.
    page.goto("/runs?q=showcase")
    expect(page.get_by_role("link", name="showcase-done")).to_be_visible()
    gate = ui_server.folder / "gate-live-list"
    run_id = ui_server.submit_showcase("showcase-live-list", gate)
    row = page.locator(f'tr[data-run-id="{run_id}"]')
    try:
        # No reload: the run arrives over the event stream, at the top (newest first).
        expect(row).to_be_visible()
        expect(page.locator("tbody tr").first).to_have_attribute("data-run-id", run_id)
        expect(row.locator(".badge")).to_have_attribute("data-state", "RUNNING", timeout=60_000)
        gate.write_text("")
        expect(row.locator(".badge")).to_have_attribute("data-state", "SUCCEEDED", timeout=60_000)
    finally:
        gate.write_text("")


def test_state_and_name_filters_live_in_the_url(ui_server: UiServer, page: Page) -> None:
    # By name first: other modules seed the same server, past the first page of 50.
    page.goto("/runs?q=failing-run")
    expect(page.get_by_role("link", name="failing-run")).to_be_visible()
    page.get_by_role("combobox", name="State filter").select_option("FAILED")
    expect(page).to_have_url(re.compile(r"state=FAILED"))
    # Other modules add failed runs to the shared server: every row left is FAILED.
    others = page.locator('tbody tr .badge:not([data-state="FAILED"])')
    expect(others).to_have_count(0)
    expect(page.get_by_role("link", name="failing-run")).to_be_visible()
    page.reload()
    expect(page.get_by_role("combobox", name="State filter")).to_have_value("FAILED")
    expect(page.get_by_role("link", name="failing-run")).to_be_visible()
    expect(others).to_have_count(0)

    page.get_by_role("combobox", name="State filter").select_option("")
    search = page.get_by_role("searchbox", name="Filter by name")
    search.fill("showcase-do")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"q=showcase-do"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="showcase-done")).to_be_visible()
    page.reload()
    expect(search).to_have_value("showcase-do")
    expect(page.locator("tbody tr")).to_have_count(1)


def test_archive_and_restore(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["retried"]
    page.goto(f"/runs/{run_id}")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    page.goto("/runs?q=retried-run")
    expect(page.get_by_text("No runs match.")).to_be_visible()
    page.get_by_role("checkbox", name="Archived").check()
    expect(page).to_have_url(re.compile(r"archived=1"))
    page.get_by_role("link", name="retried-run").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("button", name="Archive")).to_be_visible()
    page.goto("/runs?q=retried-run")
    expect(page.get_by_role("link", name="retried-run")).to_be_visible()


def test_experiments_page_and_filter(ui_server: UiServer, page: Page) -> None:
    marker = ui_server.folder / "experiment-marker"
    marker.write_text("")  # the flaky task succeeds at once
    package = ui_server.folder / "retried.yaml"  # compiled by the session fixture
    run = ui_server.client.create_run_from_pipeline_package(
        str(package),
        arguments={"marker": str(marker)},
        run_name="in-its-own-experiment",
        experiment_name="ui-experiment",
    )
    page.goto("/experiments")
    table = page.get_by_role("table", name="Experiments")
    expect(table.get_by_role("link", name="Default", exact=True)).to_be_visible()
    table.get_by_role("link", name="Runs of ui-experiment").click()
    expect(page).to_have_url(re.compile(r"/runs\?experiment="))
    expect(page.get_by_role("combobox", name="Experiment filter")).to_have_value(re.compile(".+"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run-id", str(run.run_id))
    page.get_by_role("combobox", name="Experiment filter").select_option("")
    expect(page).not_to_have_url(re.compile(r"experiment="))
    # Every experiment's runs again (other modules' runs may push any one past page 1).
    expect(page.get_by_test_id("run-total")).not_to_have_text("1 runs")


def test_state_experiment_and_name_filters_combine(ui_server: UiServer, page: Page) -> None:
    """Acceptance test 10 as written: state, then experiment, then name, each narrowing the
    rows the one before left; all three in the URL; a reload gives the same rows."""
    tag = uuid.uuid4().hex[:6]
    experiment = ui_server.client.create_experiment(f"combined-{tag}")
    echo_package = compile_to(echo, str(ui_server.folder / "echo-combined.yaml"))
    failing_package = compile_to(failing, str(ui_server.folder / "failing-combined.yaml"))

    def submit(package: str, name: str, experiment_id: str | None = None) -> str:
        run = ui_server.client.create_run_from_pipeline_package(
            package, run_name=name, experiment_id=experiment_id
        )
        return str(run.run_id)

    wanted = submit(echo_package, f"combo-a-{tag}", experiment.experiment_id)
    ids = [
        wanted,
        submit(echo_package, f"combo-b-{tag}", experiment.experiment_id),  # another name
        submit(failing_package, f"combo-a-{tag}-failed", experiment.experiment_id),  # FAILED
        submit(echo_package, f"combo-a-{tag}-default"),  # another experiment
    ]
    for run_id in ids:
        ui_server.wait_run(run_id)
    page.goto("/runs")
    expect(page.locator("tbody tr").first).to_be_visible()
    rows = page.locator("tbody tr")
    page.get_by_role("combobox", name="State filter").select_option("SUCCEEDED")
    expect(page.locator('tbody tr .badge:not([data-state="SUCCEEDED"])')).to_have_count(0)
    page.get_by_role("combobox", name="Experiment filter").select_option(experiment.experiment_id)
    expect(rows).to_have_count(2)  # combo-a and combo-b: the failed one is filtered out
    search = page.get_by_role("searchbox", name="Filter by name")
    search.fill(f"combo-a-{tag}")
    search.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run-id", wanted)
    for part in ("state=SUCCEEDED", f"experiment={experiment.experiment_id}", f"q=combo-a-{tag}"):
        expect(page).to_have_url(re.compile(re.escape(part)))
    page.reload()
    expect(page.get_by_role("combobox", name="State filter")).to_have_value("SUCCEEDED")
    expect(page.get_by_role("combobox", name="Experiment filter")).to_have_value(
        experiment.experiment_id
    )
    expect(search).to_have_value(f"combo-a-{tag}")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run-id", wanted)
