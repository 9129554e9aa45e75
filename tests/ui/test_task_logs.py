"""The Logs tab's edges: a log over 4 MiB shows its last 4 MiB with a notice and a link to
the whole file (design acceptance test 26); a cached task has no log and says where its
log is, never an error, even once the task it reused is gone (test 28)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.pipelines import big_logged, compile_to, echo

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

MIB = 1024 * 1024


def _submit(ui: UiServer, pipeline: Any, name: str, **arguments: Any) -> str:
    package = ui.folder / f"{pipeline.name}.yaml"
    if not package.exists():
        compile_to(pipeline, str(package))
    run = ui.client.create_run_from_pipeline_package(
        str(package), run_name=name, arguments=arguments
    )
    return str(run.run_id)


def _panel(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("complementary", name="Task details")


def test_a_log_over_4_mib_shows_its_end_and_downloads_whole(
    ui_server: UiServer, page: Page, tmp_path: Path
) -> None:
    run_id = _submit(ui_server, big_logged, "big-log", megabytes=5)
    assert ui_server.wait_run(run_id) == "SUCCEEDED"
    page.goto(f"/runs/{run_id}?task=big-log&tab=logs")
    panel = _panel(page)
    notice = panel.get_by_text(re.compile(r"Truncated: showing the last 4 MiB"))
    expect(notice).to_be_visible(timeout=30_000)
    log = panel.get_by_test_id("log")
    expect(log).to_have_attribute("data-ended", "true", timeout=30_000)
    expect(log).to_contain_text("the last line of the big log")
    expect(log).not_to_contain_text("00000000 xxx")  # the first line is in the part not shown
    with page.expect_download() as started:
        panel.get_by_role("link", name="Download the whole file").click()
    saved = tmp_path / "whole.log"
    started.value.save_as(saved)
    whole = saved.read_bytes()
    assert len(whole) > 5 * MIB
    assert b"00000000 xxx" in whole[:4096]
    # The executor's own closing lines come after the component's last one.
    assert b"the last line of the big log" in whole[-64 * 1024 :]
    assert started.value.suggested_filename.endswith(".log")


def test_a_cached_task_links_to_the_log_it_reused(ui_server: UiServer, page: Page) -> None:
    text = f"cached-{uuid.uuid4().hex[:8]}"
    source = _submit(ui_server, echo, "echo-source", text=text)
    assert ui_server.wait_run(source) == "SUCCEEDED"
    hit = _submit(ui_server, echo, "echo-hit", text=text)
    assert ui_server.wait_run(hit) == "SUCCEEDED"
    page.goto(f"/runs/{hit}?task=shout&tab=logs")
    panel = _panel(page)
    cached = panel.get_by_test_id("cached-log")
    expect(cached).to_contain_text("No log: taken from the cache.")
    expect(cached).to_contain_text("It reused task shout of run echo-source.")
    expect(panel.get_by_role("alert")).to_have_count(0)
    cached.get_by_role("link", name="Open the log of the task it reused.").click()
    # The source run, with that task's Logs tab open and its log shown.
    expect(page).to_have_url(re.compile(f"/runs/{source}\\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["task"] == ["shout"] and query["tab"] == ["logs"]
    log = panel.get_by_test_id("log")
    expect(log).to_contain_text(f"line 49: {text}")
    expect(log).to_have_attribute("data-ended", "true")
    expect(panel.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")


def test_a_cached_task_whose_source_is_deleted_is_no_error(ui_server: UiServer, page: Page) -> None:
    text = f"orphan-{uuid.uuid4().hex[:8]}"
    source = _submit(ui_server, echo, "echo-orphan-source", text=text)
    assert ui_server.wait_run(source) == "SUCCEEDED"
    hit = _submit(ui_server, echo, "echo-orphan-hit", text=text)
    assert ui_server.wait_run(hit) == "SUCCEEDED"
    assert httpx.delete(f"{ui_server.server.api}/runs/{source}").status_code == 200
    page.goto(f"/runs/{hit}?task=shout&tab=logs")
    panel = _panel(page)
    cached = panel.get_by_test_id("cached-log")
    expect(cached).to_contain_text("No log: taken from the cache.")
    expect(cached).to_contain_text("The task it reused is no longer stored")
    expect(cached.get_by_role("link")).to_have_count(0)
    expect(panel.get_by_role("alert")).to_have_count(0)
    # The Overview still says it came from the cache, without a dead link.
    panel.get_by_role("tab", name="Overview").click()
    expect(panel.get_by_test_id("cache-source")).to_have_text("taken from the cache")
