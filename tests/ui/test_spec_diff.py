"""The pipeline page's Diff versions view: two versions uploaded with the unmodified
``kfp.Client``, their summary (tasks and inputs added, removed, changed) and the unified
diff of their IR, the pickers in the URL and Swap."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.diff_pipelines import versioned_v1, versioned_v2
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_diff_two_uploaded_versions(ui_server: UiServer, page: Page) -> None:
    first = compile_to(versioned_v1, str(ui_server.folder / "versioned-v1.yaml"))
    second = compile_to(versioned_v2, str(ui_server.folder / "versioned-v2.yaml"))
    pipeline = ui_server.client.upload_pipeline(first, pipeline_name="versioned-ui")
    v1 = ui_server.client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    v2 = ui_server.client.upload_pipeline_version(
        second, pipeline_version_name="versioned-ui v2", pipeline_id=pipeline.pipeline_id
    )

    page.goto(f"/pipelines/{pipeline.pipeline_id}")
    page.get_by_role("tab", name="Diff versions").click()
    expect(page).to_have_url(re.compile(r"view=diff"))
    # The newest version against the one before it.
    expect(page.get_by_role("combobox", name="From version")).to_have_value(v1.pipeline_version_id)
    expect(page.get_by_role("combobox", name="To version")).to_have_value(v2.pipeline_version_id)
    expect(page.get_by_test_id("diff-tasks-added")).to_have_text("publish")
    expect(page.get_by_test_id("diff-tasks-removed")).to_have_text("report")
    expect(page.get_by_test_id("diff-tasks-changed")).to_have_text("train")
    expect(page.get_by_test_id("diff-inputs-added")).to_have_text("rate")
    expect(page.get_by_test_id("diff-inputs-removed")).to_have_text("label")
    expect(page.get_by_test_id("diff-inputs-changed")).to_have_text("n: default 1 → 2")
    diff = page.get_by_role("region", name="Version diff").locator("pre.spec-diff")
    expect(diff.locator("span.file").first).to_contain_text(v1.pipeline_version_id)
    expect(diff.locator("span.add", has_text="comp-publish:")).to_have_count(1)
    expect(diff.locator("span.del", has_text="comp-report:")).to_have_count(1)

    # Swap: the other way round, and the pair is in the URL (a reload keeps it).
    page.get_by_role("button", name="Swap").click()
    expect(page).to_have_url(re.compile(rf"base={v2.pipeline_version_id}"))
    expect(page.get_by_test_id("diff-tasks-added")).to_have_text("report")
    page.reload()
    expect(page.get_by_test_id("diff-tasks-removed")).to_have_text("publish")
    expect(page.get_by_test_id("diff-inputs-changed")).to_have_text("n: default 2 → 1")

    # The same version on both sides.
    page.get_by_role("combobox", name="From version").select_option(v1.pipeline_version_id)
    expect(page.get_by_text("The two versions have the same spec.")).to_be_visible()


def test_create_run_from_an_older_version_then_remove_it(ui_server: UiServer, page: Page) -> None:
    first = compile_to(versioned_v1, str(ui_server.folder / "versioned-v1.yaml"))
    second = compile_to(versioned_v2, str(ui_server.folder / "versioned-v2.yaml"))
    pipeline = ui_server.client.upload_pipeline(first, pipeline_name="versioned-runs")
    v1 = ui_server.client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    v2 = ui_server.client.upload_pipeline_version(
        second, pipeline_version_name="versioned-runs v2", pipeline_id=pipeline.pipeline_id
    )

    # The picked (older) version's parameters with their defaults, and Create run on it.
    page.goto(f"/pipelines/{pipeline.pipeline_id}?version={v1.pipeline_version_id}")
    page.get_by_role("tab", name="Parameters").click()
    table = page.get_by_role("table", name="Parameters")
    expect(table.get_by_role("row", name=re.compile(r"^n NUMBER_INTEGER 1$"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(r"^label STRING"))).to_be_visible()
    page.get_by_role("link", name="Create run", exact=True).click()
    expect(page.get_by_role("combobox", name="Version")).to_have_value(v1.pipeline_version_id)
    expect(page.get_by_label("n", exact=True)).to_have_value("1")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}"))
    run_id = page.url.rsplit("/", 1)[-1].split("?")[0]
    made = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
    assert made["pipeline_version_reference"]["pipeline_version_id"] == v1.pipeline_version_id
    assert ui_server.wait_run(run_id) == "SUCCEEDED"

    # Remove that version after a confirmation: the pipeline keeps v2, the run stays.
    page.goto(f"/pipelines/{pipeline.pipeline_id}?version={v1.pipeline_version_id}")
    page.get_by_role("button", name="Remove version").click()
    dialog = page.get_by_role("alertdialog", name="Remove version")
    expect(dialog).to_contain_text("Runs made from this version are kept")
    dialog.get_by_role("button", name="Remove this version").click()
    picker = page.get_by_role("combobox", name="Version")
    expect(picker.locator("option")).to_have_count(1)
    expect(picker).to_have_value(v2.pipeline_version_id)
    # The last version cannot be removed alone (Delete removes the pipeline).
    expect(page.get_by_role("button", name="Remove version")).to_be_disabled()
    assert httpx.get(f"{ui_server.server.api}/runs/{run_id}").status_code == 200
