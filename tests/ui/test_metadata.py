"""Artifacts and executions pages: the AIP-160 filter with field autocomplete, type and
state facets, metadata columns, a bad filter's message, details with producer and consumers
(design acceptance tests 49 and 51)."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.meta_pipelines import model_id as meta_model_id
from tests.ui.meta_pipelines import trained_runs

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

UI = "/apis/sluice/v1"
MODELS = 'schema_title="system.Model" AND metadata.accuracy.number_value>0.5'


@pytest.fixture(scope="module")
def trained(ui_server: UiServer) -> dict[str, str]:
    """Two train runs: accuracy 0.9 (``good``) and 0.3 (``bad``)."""
    return trained_runs(ui_server)


def model_id(ui_server: UiServer, run_id: str) -> int:
    return meta_model_id(ui_server.url, run_id)


def test_artifact_filter_facets_and_metadata_columns(
    ui_server: UiServer, trained: dict[str, str], page: Page
) -> None:
    page.goto(f"/artifacts?filter={quote(MODELS)}")
    table = page.get_by_role("table", name="Artifacts")
    # Other modules' runs on the shared server log models too: this module's good model is
    # listed, its bad one is not, and every row is a model above the threshold.
    good = table.locator(f'tbody tr[data-artifact-id="{model_id(ui_server, trained["good"])}"]')
    expect(good).to_have_count(1)
    bad = table.locator(f'tbody tr[data-artifact-id="{model_id(ui_server, trained["bad"])}"]')
    expect(bad).to_have_count(0)
    expect(table.get_by_role("columnheader", name="accuracy")).to_be_visible()
    expect(good).to_contain_text("0.9")
    for row in table.locator("tbody tr").all():
        expect(row).to_contain_text("system.Model")
    facets = page.get_by_role("group", name="Artifact types")
    expect(facets.get_by_role("button", name=re.compile(r"system\.Model"))).to_have_attribute(
        "aria-pressed", "true"
    )
    # Dropping the type facet keeps the metadata clause.
    facets.get_by_role("button", name=re.compile(r"system\.Model")).click()
    expect(page).to_have_url(re.compile(r"filter=metadata\.accuracy"))
    facets.get_by_role("button", name=re.compile(r"system\.Dataset")).click()
    box = page.get_by_role("combobox", name="Artifact filter")
    expect(box).to_have_value(re.compile(r'^schema_title="system.Dataset"'))


def test_bad_filter_names_its_column_and_the_page_lives_on(
    ui_server: UiServer, trained: dict[str, str], page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the 400 is the point; no exception may be thrown
    page.goto("/artifacts")
    expect(page.get_by_role("table", name="Artifacts").locator("tbody tr").first).to_be_visible()
    box = page.get_by_role("combobox", name="Artifact filter")
    # Field autocomplete: Tab takes the suggestion.
    box.fill("sch")
    expect(page.get_by_role("option", name="schema_title")).to_be_visible()
    box.press("Tab")
    expect(box).to_have_value("schema_title")
    box.fill("bogus = 1")
    box.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("column 1")
    expect(alert).to_contain_text("unknown field 'bogus'")
    expect(page.get_by_role("heading", name="Artifacts")).to_be_visible()
    box.fill(MODELS)
    box.press("Enter")
    expect(page.get_by_role("alert")).to_have_count(0)
    good = model_id(ui_server, trained["good"])
    table = page.get_by_role("table", name="Artifacts")
    expect(table.locator(f'tbody tr[data-artifact-id="{good}"]')).to_have_count(1)
    assert browser_log.page_errors == []


def test_artifact_details_producer_consumers_and_lineage(
    ui_server: UiServer, trained: dict[str, str], page: Page
) -> None:
    model = model_id(ui_server, trained["good"])
    page.goto(f"/artifacts?filter={quote(MODELS)}")
    row = page.locator(f'tbody tr[data-artifact-id="{model}"]')
    row.get_by_role("link", name="model", exact=True).click()
    expect(page).to_have_url(f"{ui_server.url}/artifacts/{model}")
    expect(page.get_by_label("Metadata JSON")).to_contain_text('"accuracy": 0.9')
    produced = page.get_by_role("region", name="Produced by")
    expect(produced.get_by_role("link", name="train")).to_be_visible()
    expect(
        page.get_by_role("region", name="Consumed by").get_by_role("link", name="evaluate")
    ).to_be_visible()
    download = page.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", re.compile(rf"artifacts/{model}:content$"))
    produced.get_by_role("link", name="open in the run graph").click()
    expect(page).to_have_url(re.compile(rf"/runs/{trained['good']}\?task=train$"))
    expect(page.get_by_role("complementary", name="Task details")).to_be_visible()
    page.go_back()
    page.get_by_role("link", name="Lineage").click()
    expect(page).to_have_url(re.compile(rf"/lineage\?artifact={model}$"))


def test_failed_executions_open_the_run_graph_on_their_task(
    ui_server: UiServer, page: Page
) -> None:
    failed_filter = quote('state="FAILED"')
    page.goto(f"/executions?filter={failed_filter}")
    failed_run = ui_server.runs["failed"]
    expect(
        page.get_by_role("group", name="Execution states").get_by_role(
            "button", name=re.compile("FAILED")
        )
    ).to_have_attribute("aria-pressed", "true")
    row = page.locator("tbody tr", has=page.locator(f'a[href$="/runs/{failed_run}"]'))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("FAILED")
    row.get_by_role("link", name="fail", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/runs/{failed_run}\?task=fail"))
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("alert")).to_contain_text("the failure the UI shows")


def test_execution_details_page(
    ui_server: UiServer, trained: dict[str, str], page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the unknown execution's 404
    found = httpx.get(
        f"{ui_server.url}{UI}/executions",
        params={"filter": f'run_id="{trained["good"]}" AND component="comp-train"'},
    ).json()["executions"][0]
    page.goto(f"/executions/{found['id']}")
    expect(page.get_by_role("heading", name="train")).to_be_visible()
    expect(
        page.get_by_role("region", name="Inputs").get_by_role("link", name="train_data")
    ).to_be_visible()
    expect(
        page.get_by_role("region", name="Outputs").get_by_role("link", name="model")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Input parameters")).to_contain_text("0.9")
    page.goto("/executions/999999")
    expect(page.get_by_role("alert")).to_contain_text("no execution with id 999999")
