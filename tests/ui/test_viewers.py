"""Artifact viewers in the task panel's Visualizations tab and the run's Outputs tab
(design acceptance tests 29-35), on a run of the viewers pipeline submitted through the
unmodified ``kfp.Client``."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.pipelines import compile_to, viewers

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def run_id(ui_server: UiServer) -> str:
    """A finished run of the viewers pipeline (seed 1)."""
    package = compile_to(viewers, str(ui_server.folder / "viewers.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package, arguments={"seed": 1}, run_name="viewers-run"
    )
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    return str(run.run_id)


def probe_errors_only(browser_log: BrowserLog) -> None:
    """Fail on console errors other than the viewers pipeline's HTML report's probes (it
    tries to reach its parent and the API, and the browser logs each refusal)."""
    expected = ("sandboxed: SecurityError", "from origin 'null'", "net::ERR_FAILED")
    strays = [line for line in browser_log.console_errors if not any(e in line for e in expected)]
    assert not strays, strays


def _outputs(ui_server: UiServer, run_id: str, task: str) -> dict[str, dict[str, Any]]:
    detail = httpx.get(f"{ui_server.url}/apis/sluice/v1/runs/{run_id}/tasks/{task}").json()
    return {a["output_key"]: a for a in detail["artifacts"] if a["direction"] == "output"}


def test_metrics_table_sorts(
    ui_server: UiServer, run_id: str, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the Outputs tab holds the probing HTML report
    page.goto(f"/runs/{run_id}?task=evaluate&tab=viz")
    table = page.get_by_role("table", name="Metrics scores")
    scores = _outputs(ui_server, run_id, "evaluate")["scores"]
    metadata = scores["metadata"]
    # What `sluice artifacts show` prints for it, read from the server's own store.
    shown = subprocess.run(
        [sys.executable, "-m", "sluice", "artifacts", "show", str(scores["id"]), "--json"],
        env={**os.environ, "SLUICE_HOME": str(ui_server.server.home)},
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(shown.stdout)["metadata"] == metadata
    expect(table.locator("tbody th")).to_have_text(sorted(metadata))
    expect(table.locator("tbody td")).to_have_text([str(metadata[k]) for k in sorted(metadata)])
    table.get_by_role("button", name=re.compile("^Value")).click()
    by_value = sorted(metadata, key=lambda k: metadata[k])
    expect(table.locator("tbody th")).to_have_text(by_value)
    table.get_by_role("button", name=re.compile("^Value")).click()
    expect(table.locator("tbody th")).to_have_text(list(reversed(by_value)))
    # The run's Outputs tab shows the same viewers for the whole run.
    page.goto(f"/runs/{run_id}?view=outputs")
    expect(
        page.get_by_role("table", name="Metrics evaluate.scores").locator("tbody tr")
    ).to_have_count(3)
    expect(page.get_by_role("table", name="Confusion matrix evaluate.classes")).to_be_visible()
    probe_errors_only(browser_log)


def test_confusion_matrix_and_roc(ui_server: UiServer, run_id: str, page: Page) -> None:
    page.goto(f"/runs/{run_id}?task=evaluate&tab=viz")
    matrix = page.get_by_role("table", name="Confusion matrix classes")
    expect(matrix.locator("thead th")).to_have_text(["actual \\ predicted", "cat", "dog", "fish"])
    expect(matrix.locator("tbody th")).to_have_text(["cat", "dog", "fish"])
    stored = _outputs(ui_server, run_id, "evaluate")["classes"]["metadata"]["confusionMatrix"]
    rows = [row["row"] for row in stored["rows"]]
    expect(matrix.locator("tbody td")).to_have_text([str(v) for row in rows for v in row])
    expect(matrix.get_by_label("actual dog, predicted fish: 1")).to_have_text(str(rows[1][2]))
    # ROC: a drawn chart, a slider over the thresholds, the points as a table.
    expect(page.locator('[aria-label="ROC curve classes"] canvas').first).to_be_visible()
    point = page.get_by_test_id("roc-point")
    expect(point).to_have_text("threshold 1: FPR 0, TPR 0")
    page.get_by_label("Threshold").fill("1")
    expect(point).to_have_text("threshold 0.8: FPR 0.11, TPR 0.6")
    page.get_by_role("button", name="View as table").click()
    points = page.get_by_role("table", name="ROC curve classes points")
    expect(points.locator("tbody tr")).to_have_count(4)
    expect(points.locator("tbody tr").nth(1)).to_have_text("0.110.60.8")


def test_html_runs_sandboxed_on_white(
    ui_server: UiServer, run_id: str, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the report's probes fail on purpose
    page.emulate_media(color_scheme="dark")
    page.goto(f"/runs/{run_id}?task=report&tab=viz")
    frame = page.frame_locator('iframe[title="page"]')
    expect(frame.locator("#title")).to_have_text("Report 1")
    expect(frame.locator("#probe")).to_contain_text("parent:blocked")
    expect(frame.locator("#probe")).to_contain_text("fetch:")
    assert "fetch:200" not in frame.locator("#probe").inner_text()
    assert any("sandboxed: SecurityError" in line for line in browser_log.console_errors)
    iframe = page.locator('iframe[title="page"]')
    assert iframe.get_attribute("sandbox") == "allow-scripts"
    background = iframe.evaluate("node => getComputedStyle(node).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    probe_errors_only(browser_log)


def test_markdown_is_rendered_without_raw_html(
    ui_server: UiServer, run_id: str, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the HTML report beside it probes its sandbox
    page.goto(f"/runs/{run_id}?task=report&tab=viz")
    notes = page.locator('.markdown[aria-label="notes"]')
    expect(notes.locator("h1")).to_have_text("Notes 1")
    expect(notes.locator("table td")).to_have_text(["seed", "1"])
    expect(notes.locator("pre code")).to_have_text("code block\n")
    expect(notes).to_contain_text("<script>window.mdPwned = true</script>")
    assert notes.locator("script, img").count() == 0
    assert page.evaluate("() => window.mdPwned") is None
    link = notes.get_by_role("link", name="a link")
    assert "noopener" in (link.get_attribute("rel") or "")
    assert link.get_attribute("target") == "_blank"
    probe_errors_only(browser_log)


def test_dataset_preview_and_directory(ui_server: UiServer, run_id: str, page: Page) -> None:
    page.goto(f"/runs/{run_id}?task=tables&tab=viz")
    table = page.get_by_role("table", name="Preview data")
    expect(table.locator("thead th")).to_have_text(["id", "name", "score", "ok"])
    expect(table.locator("tbody tr")).to_have_count(100)
    expect(table.locator("tbody tr").nth(3)).to_have_text("3row-30.75true")
    expect(page.get_by_text("first 100 rows")).to_be_visible()
    files = page.get_by_role("list", name="Preview folder")
    expect(files.locator("code")).to_have_text(["a.txt", "b.txt", "part/", "part/c.txt"])


def test_download_gives_the_exact_bytes(
    ui_server: UiServer, run_id: str, page: Page, tmp_path: Path
) -> None:
    page.goto(f"/runs/{run_id}?task=tables&tab=viz")
    viewer = page.get_by_role("region", name="Artifact data")
    with page.expect_download() as download:
        viewer.get_by_role("link", name="Download").click()
    saved = tmp_path / "data"
    download.value.save_as(saved)
    data = _outputs(ui_server, run_id, "tables")["data"]
    got = hashlib.sha256(saved.read_bytes()).hexdigest()
    assert got == hashlib.sha256(Path(data["uri"]).read_bytes()).hexdigest()
    # The digest the store recorded when the task wrote it (what `sluice artifacts` shows).
    stored = httpx.get(f"{ui_server.url}/apis/sluice/v1/artifacts/{data['id']}").json()
    assert stored["artifact"]["digest"] == f"sha256:{got}"
    assert saved.stat().st_size > 0
