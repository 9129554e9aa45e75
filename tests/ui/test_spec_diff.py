"""The pipeline page's Diff versions view: two versions uploaded with the unmodified
``kfp.Client``, their summary (tasks and inputs added, removed, changed) and the unified
diff of their IR, the pickers in the URL and Swap."""

from __future__ import annotations

import re

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
