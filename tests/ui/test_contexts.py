"""The Contexts pages: the filter box with type facets, and a run's context listing the
run's artifacts and executions, linked to them, to their lineage and back to the run."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.meta_pipelines import trained_runs

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

UI = "/apis/sluice/v1"
RUNS = 'schema_title="system.PipelineRun"'


def test_a_runs_context_lists_its_artifacts_and_links_back(ui_server: UiServer, page: Page) -> None:
    run_id = trained_runs(ui_server)["good"]
    artifacts = httpx.get(
        f"{ui_server.url}{UI}/artifacts", params={"filter": f'run_id="{run_id}"'}
    ).json()["artifacts"]
    assert artifacts

    page.goto("/runs")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contexts").click()
    expect(page).to_have_url(re.compile(r"/contexts$"))
    # The type facet narrows the list to run contexts and puts the filter in the URL.
    page.get_by_role("group", name="Context types").get_by_role(
        "button", name=re.compile(r"^system\.PipelineRun")
    ).click()
    expect(page.get_by_role("combobox", name="Context filter")).to_have_value(RUNS)
    expect(page).to_have_url(re.compile(r"\?filter="))
    table = page.get_by_role("table", name="Contexts")
    types = table.locator("tbody tr td:nth-child(2)")
    # The rows of the unfiltered list stay until the filtered page arrives: wait for every
    # row to be a run context rather than reading the cells once (that raced in CI).
    expect(types.filter(has_not_text=re.compile(r"^system\.PipelineRun$"))).to_have_count(0)
    expect(types.first).to_have_text("system.PipelineRun")
    # Other modules seed the same server: narrow to this run by name (the run id).
    box = page.get_by_role("combobox", name="Context filter")
    box.fill(f'{RUNS} AND name="{run_id}"')
    box.press("Enter")
    row = table.locator("tbody tr", has=page.get_by_role("link", name=run_id, exact=True))
    expect(row).to_have_count(1)

    # This run's context (its name is the run id).
    row.get_by_role("link", name=run_id, exact=True).click()
    expect(page).to_have_url(re.compile(r"/contexts/\d+$"))
    listed = page.get_by_role("table", name="Context artifacts")
    for artifact in artifacts:
        row = listed.locator(f'tbody tr[data-artifact-id="{artifact["id"]}"]')
        expect(
            row.get_by_role("link", name=artifact["display_name"], exact=True)
        ).to_have_attribute("href", re.compile(rf"/artifacts/{artifact['id']}$"))
        expect(row.get_by_role("link", name="Lineage")).to_have_attribute(
            "href", re.compile(rf"/lineage\?artifact={artifact['id']}$")
        )
    executions = page.get_by_role("table", name="Context executions")
    expect(executions.get_by_role("link", name="train", exact=True)).to_be_visible()
    # Back to the run.
    page.get_by_role("link", name="Open the run").click()
    expect(page).to_have_url(re.compile(rf"/runs/{run_id}"))


def test_a_bad_context_filter_names_its_column(
    ui_server: UiServer, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the browser logs the 400
    page.goto(f"/contexts?filter={quote('bogus=1')}")
    expect(page.get_by_role("alert")).to_contain_text("column 1")
    expect(page.get_by_role("heading", name="Contexts")).to_be_visible()


def test_an_unknown_context_says_so(
    ui_server: UiServer, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the browser logs the 404
    page.goto("/contexts/999999999")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", name="Context 999999999")).to_be_visible()


def test_a_pipelines_context_leads_to_its_runs_contexts(ui_server: UiServer, page: Page) -> None:
    run_id = trained_runs(ui_server)["good"]
    pipelines = httpx.get(
        f"{ui_server.url}{UI}/contexts",
        params={"filter": 'schema_title="system.Pipeline" AND name="meta-train"'},
    ).json()["contexts"]
    (pipeline,) = pipelines
    page.goto(f"/contexts/{pipeline['id']}")
    expect(page.get_by_role("heading", name="meta-train")).to_be_visible()
    page.get_by_role("link", name="Its child contexts").click()
    expect(page.get_by_role("combobox", name="Context filter")).to_have_value(
        'parent_contexts:"meta-train"'
    )
    table = page.get_by_role("table", name="Contexts")
    expect(table.get_by_role("link", name=run_id, exact=True)).to_be_visible()
    expect(table.locator("tbody tr td:nth-child(2)").first).to_have_text("system.PipelineRun")
