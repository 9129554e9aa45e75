"""Experiment details: created in the UI, a run into it listed with its metric columns,
archive hiding it and its runs from the default lists (design acceptance test 48)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.form_pipelines import typed
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_experiment_details_metrics_and_archive(ui_server: UiServer, page: Page) -> None:
    page.goto("/experiments")
    page.get_by_label("New experiment name").fill("scored-experiment")
    page.get_by_role("button", name="Create experiment").click()
    expect(page).to_have_url(re.compile(r"/experiments/[0-9a-f]{32}$"))
    experiment_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name="scored-experiment")).to_be_visible()

    package = compile_to(typed, str(ui_server.folder / "typed-experiment.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package,
        arguments={"rate": 0.9},
        run_name="scored-run",
        experiment_id=experiment_id,
    )
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    page.reload()
    table = page.get_by_role("table", name="Experiment runs")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)  # only its own runs
    expect(rows.first).to_have_attribute("data-run-id", str(run.run_id))
    expect(table.get_by_role("columnheader", name="accuracy")).to_be_visible()
    expect(rows.first.locator('[data-metric="accuracy"]')).to_have_text("0.9")
    expect(rows.first.locator('[data-metric="count"]')).to_have_text("3")

    page.goto("/experiments")
    recent = page.locator(f'tr[data-experiment-id="{experiment_id}"]').get_by_test_id("recent-runs")
    expect(recent).to_have_attribute("data-total", "1")
    expect(recent.get_by_role("link", name="scored-run: succeeded")).to_be_visible()
    page.goto(f"/experiments/{experiment_id}")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    expect(rows).to_have_count(0)  # its runs were archived with it
    page.goto("/experiments")
    expect(page.get_by_role("link", name="Default", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="scored-experiment", exact=True)).to_have_count(0)
    page.get_by_role("checkbox", name="Archived").check()
    expect(page.get_by_role("link", name="scored-experiment", exact=True)).to_be_visible()
    page.goto("/runs?q=scored-run")  # by name: other modules' runs fill the first page
    expect(page.get_by_text("No runs match.")).to_be_visible()
