"""The artifact details page (``/artifacts/<id>``) shows the artifact in the same viewer as
the task panel's Visualizations tab: metrics table, confusion matrix and ROC curve, Vertex's
precision-recall curve, the sandboxed HTML iframe, rendered Markdown and the dataset preview.
The runs are submitted through the unmodified ``kfp.Client``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.diff_pipelines import evaluated
from tests.ui.pipelines import compile_to, viewers
from tests.ui.test_viewers import probe_errors_only

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _outputs(ui: UiServer, run_id: str, task: str) -> dict[str, dict[str, Any]]:
    detail = httpx.get(f"{ui.url}/apis/sluice/v1/runs/{run_id}/tasks/{task}").json()
    return {a["output_key"]: a for a in detail["artifacts"] if a["direction"] == "output"}


@pytest.fixture(scope="module")
def artifacts(ui_server: UiServer) -> dict[str, int]:
    """The ids of one run's viewer artifacts (the viewers pipeline, seed 4, and a Vertex
    evaluation import), by ``<task>.<output>``."""
    package = compile_to(viewers, str(ui_server.folder / "viewers-artifact-page.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package, arguments={"seed": 4}, run_name="artifact-page-viewers"
    )
    target = ui_server.folder / "artifact_page_metrics.json"
    target.write_text("{}")
    vertex = compile_to(evaluated, str(ui_server.folder / "evaluated-artifact-page.yaml"))
    imported = ui_server.client.create_run_from_pipeline_package(
        vertex, arguments={"uri": str(target)}, run_name="artifact-page-vertex"
    )
    ids: dict[str, int] = {}
    for run_id, tasks in (
        (str(run.run_id), ("evaluate", "report", "tables")),
        (str(imported.run_id), ("importer",)),
    ):
        assert ui_server.wait_run(run_id) == "SUCCEEDED"
        for task in tasks:
            for output, artifact in _outputs(ui_server, run_id, task).items():
                ids[f"{task}.{output}"] = int(artifact["id"])
    return ids


def test_metrics_and_classification_on_the_artifact_page(
    artifacts: dict[str, int], page: Page
) -> None:
    page.goto(f"/artifacts/{artifacts['evaluate.scores']}")
    viewer = page.get_by_role("region", name="Artifact scores")
    expect(viewer.get_by_role("table", name="Metrics scores").locator("tbody tr")).to_have_count(3)
    expect(viewer.get_by_role("rowheader", name="accuracy")).to_be_visible()
    # The properties stay beside it.
    expect(page.get_by_label("Metadata JSON")).to_contain_text('"accuracy": 0.54')

    page.goto(f"/artifacts/{artifacts['evaluate.classes']}")
    matrix = page.get_by_role("table", name="Confusion matrix classes")
    expect(matrix.get_by_label("actual cat, predicted cat: 14")).to_be_visible()
    roc = page.locator("figure", has=page.get_by_role("img", name="ROC curve classes"))
    expect(roc.locator("canvas").first).to_be_visible()
    expect(roc.get_by_test_id("roc-point")).to_have_text("threshold 1: FPR 0, TPR 0")
    roc.get_by_role("button", name="View as table").click()
    expect(
        roc.get_by_role("table", name="ROC curve classes points").locator("tbody tr")
    ).to_have_count(4)


def test_vertex_evaluation_gets_both_curves(artifacts: dict[str, int], page: Page) -> None:
    page.goto(f"/artifacts/{artifacts['importer.artifact']}")
    viewer = page.get_by_role("region", name="Artifact artifact")
    expect(viewer.locator(".chip")).to_have_text("google.ClassificationMetrics")
    pr = viewer.locator(
        "figure", has=page.get_by_role("img", name="Precision-recall curve artifact")
    )
    expect(pr.locator("canvas").first).to_be_visible()
    expect(pr.get_by_test_id("pr-point")).to_have_text("threshold 1: Recall 0, Precision 1")
    expect(viewer.get_by_role("img", name="ROC curve artifact")).to_be_visible()
    matrix = viewer.get_by_role("table", name="Confusion matrix artifact")
    expect(matrix.get_by_label("actual spam, predicted ham: 10")).to_be_visible()


def test_documents_and_dataset_on_the_artifact_page(
    artifacts: dict[str, int], page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the HTML report probes its sandbox
    page.goto(f"/artifacts/{artifacts['report.page']}")
    frame = page.frame_locator('iframe[title="page"]')
    expect(frame.locator("#title")).to_have_text("Report 4")
    expect(frame.locator("#probe")).to_contain_text("parent:blocked")
    assert page.locator('iframe[title="page"]').get_attribute("sandbox") == "allow-scripts"

    page.goto(f"/artifacts/{artifacts['report.notes']}")
    notes = page.locator('.markdown[aria-label="notes"]')
    expect(notes.locator("h1")).to_have_text("Notes 4")
    expect(notes).to_contain_text("<script>window.mdPwned = true</script>")
    assert page.evaluate("() => window.mdPwned") is None

    page.goto(f"/artifacts/{artifacts['tables.data']}")
    table = page.get_by_role("table", name="Preview data")
    expect(table.locator("thead th")).to_have_text(["id", "name", "score", "ok"])
    expect(table.locator("tbody tr")).to_have_count(100)
    # One Download: the page's own (the viewer's header leaves it out here).
    expect(page.get_by_role("link", name="Download")).to_have_count(1)
    page.goto(f"/artifacts/{artifacts['tables.folder']}")
    files = page.get_by_role("list", name="Preview folder")
    expect(files.locator("code")).to_have_text(["a.txt", "b.txt", "part/", "part/c.txt"])
    probe_errors_only(browser_log)
