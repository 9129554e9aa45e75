"""The Cache tab (design acceptance test 27): a rerun with caching on shows its tasks
CACHED, and the Cache tab links each to the run and task it reused (the link navigates
there); a rerun with one parameter changed names that parameter, with its old and new
values, as the reason for the miss, and the downstream task's miss as the upstream
task's output that changed (linked to that task)."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.log_pipelines import cache_params
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _run(ui: UiServer, name: str, **arguments: Any) -> str:
    package = ui.folder / "cache-params.yaml"
    if not package.exists():
        compile_to(cache_params, str(package))
    run = ui.client.create_run_from_pipeline_package(
        str(package), run_name=name, arguments=arguments, enable_caching=True
    )
    assert ui.wait_run(str(run.run_id)) == "SUCCEEDED"
    return str(run.run_id)


def test_cache_hit_links_to_its_source_and_a_miss_names_the_changed_parameter(
    ui_server: UiServer, page: Page
) -> None:
    tag = uuid.uuid4().hex[:8]
    # Values no other run's key has (a rerun of this test on the same server included).
    greeting = f"hello-{tag}"
    times = 2 + int(tag, 16) % 100_000
    source = _run(ui_server, f"cache-source-{tag}", greeting=greeting, times=times)
    hit = _run(ui_server, f"cache-hit-{tag}", greeting=greeting, times=times)
    page.goto(f"/runs/{hit}")
    node = page.get_by_test_id("node-greet")
    expect(node).to_have_attribute("data-state", "CACHED")
    expect(node.locator(".chip", has_text="cached")).to_be_visible()
    node.click()
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("heading", name="greet")).to_be_visible()
    expect(panel.locator(".panel-header")).to_contain_text("CACHED")
    panel.get_by_role("tab", name="Cache").click()
    cache = panel.get_by_test_id("cache")
    expect(cache).to_contain_text("CACHE HIT")
    expect(cache.get_by_test_id("cache-why")).to_have_count(0)
    cache.get_by_role("link", name=f"task greet of run cache-source-{tag}").click()
    # The source run, with the task it reused selected.
    expect(page).to_have_url(re.compile(f"/runs/{source}\\?"))
    assert parse_qs(urlsplit(page.url).query)["task"] == ["greet"]
    expect(page.get_by_test_id("node-greet")).to_have_attribute("data-state", "SUCCEEDED")
    expect(panel.get_by_role("heading", name="greet")).to_be_visible()

    # One parameter changed: both tasks miss, and the tab says why.
    changed = _run(ui_server, f"cache-changed-{tag}", greeting=greeting, times=times + 1)
    page.goto(f"/runs/{changed}?task=prepare&tab=cache")
    expect(cache).to_contain_text("NO CACHE HIT")
    expect(cache.get_by_test_id("cache-why")).to_have_text(
        f"Missed because input parameter times changed: {times} → {times + 1}."
    )
    changes = cache.get_by_role("table", name="What changed")
    expect(changes.locator("tbody tr")).to_have_count(1)
    row = changes.get_by_role("row", name=re.compile("input parameter times"))
    expect(row.get_by_role("cell").nth(0)).to_have_text("pipeline parameter 'times'")
    expect(row.get_by_role("cell").nth(1)).to_have_text(str(times))
    expect(row.get_by_role("cell").nth(2)).to_have_text(str(times + 1))
    # It was compared with an earlier run's same task, linked.
    expect(
        cache.get_by_role("link", name=re.compile(f"task prepare of run cache-(source|hit)-{tag}"))
    ).to_be_visible()
    # Downstream, the same change arrives as prepare's output; its origin links to prepare.
    page.goto(f"/runs/{changed}?task=greet&tab=cache")
    expect(cache.get_by_test_id("cache-why")).to_have_text(
        f"Missed because input parameter count changed: {times * 10} → {(times + 1) * 10}."
    )
    origin = changes.get_by_role("link", name="output 'Output' of task 'prepare'")
    origin.click()
    expect(panel.get_by_role("heading", name="prepare")).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["task"] == ["prepare"]
    expect(cache.get_by_test_id("cache-why")).to_contain_text("input parameter times")
