"""Precision-recall curves (design §3.3 Viewers): a Vertex-style
``google.ClassificationMetrics`` artifact, whose ``confidenceMetrics`` carry precision and
recall per threshold, shows a PR curve (and a ROC curve from the same points) with a
threshold slider and "View as table", and its confusion matrix; the run is submitted
through the unmodified ``kfp.Client``. In Compare, two such runs overlay their PR and ROC
curves (a switch between them) and show their confusion matrices side by side."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from tests.ui.conftest import UiServer
from tests.ui.diff_pipelines import VERTEX_METRICS, evaluated
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def run_id(ui_server: UiServer) -> str:
    """A finished run importing the evaluation metrics."""
    target = ui_server.folder / "evaluation_metrics.json"
    target.write_text("{}")
    package = compile_to(evaluated, str(ui_server.folder / "evaluated.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package, arguments={"uri": str(target)}, run_name="vertex-evaluation-run"
    )
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    return str(run.run_id)


def _figure(page: Page, chart: str) -> Locator:
    return page.locator("figure", has=page.get_by_role("img", name=chart))


def test_pr_curve_with_slider_and_table(ui_server: UiServer, run_id: str, page: Page) -> None:
    page.goto(f"/runs/{run_id}?task=importer&tab=viz")
    pr = _figure(page, "Precision-recall curve artifact")
    expect(pr.locator("canvas").first).to_be_visible()
    point = pr.get_by_test_id("pr-point")
    # By rising recall: the first point is the strictest threshold.
    expect(point).to_have_text("threshold 1: Recall 0, Precision 1")
    pr.get_by_label("Precision-recall threshold").fill("2")
    expect(point).to_have_text("threshold 0.5: Recall 0.8, Precision 0.85")

    pr.get_by_role("button", name="View as table").click()
    table = pr.get_by_role("table", name="Precision-recall curve artifact points")
    expect(table.locator("thead th")).to_have_text(["Recall", "Precision", "Threshold"])
    points = sorted(
        VERTEX_METRICS["confidenceMetrics"],  # type: ignore[arg-type]
        key=lambda p: (p["recall"], -p["precision"]),
    )
    expect(table.locator("tbody tr")).to_have_count(len(points))
    expect(table.locator("tbody tr").nth(2).locator("td")).to_have_text(["0.8", "0.85", "0.5"])
    expect(table.locator("tbody tr.focused td").first).to_have_text("0.8")

    # The ROC curve from the same points, and the confusion matrix with bare rows.
    roc = _figure(page, "ROC curve artifact")
    expect(roc.locator("canvas").first).to_be_visible()
    expect(roc.get_by_test_id("roc-point")).to_have_text("threshold 1: FPR 0, TPR 0")
    matrix = page.get_by_role("table", name="Confusion matrix artifact")
    expect(matrix.get_by_label("actual spam, predicted ham: 10")).to_be_visible()
    expect(matrix.get_by_label("actual ham, predicted ham: 45")).to_be_visible()


def test_compare_overlays_pr_and_roc_curves_and_matrices(
    ui_server: UiServer, run_id: str, page: Page
) -> None:
    """Two Vertex evaluations in Compare: a ROC/PR switch (in the URL), a legend entry per
    run, "View as table" with a Curve column, and their confusion matrices side by side."""
    package = compile_to(evaluated, str(ui_server.folder / "evaluated.yaml"))
    second = str(
        ui_server.client.create_run_from_pipeline_package(
            package,
            arguments={"uri": str(ui_server.folder / "evaluation_metrics.json")},
            run_name="vertex-evaluation-second",
        ).run_id
    )
    assert ui_server.wait_run(second) == "SUCCEEDED"
    page.goto(f"/compare?runs={run_id},{second}&tab=roc")
    roc = page.get_by_role("region", name="ROC importer.artifact")
    expect(roc.locator(".u-legend .u-series .u-label")).to_have_text(
        ["FPR", "vertex-evaluation-run", "vertex-evaluation-second"]
    )
    switch = page.get_by_role("group", name="Curve")
    expect(switch.get_by_role("button", name="ROC")).to_have_attribute("aria-pressed", "true")
    switch.get_by_role("button", name="Precision-recall").click()
    expect(page).to_have_url(re.compile(r"curve=pr"))
    pr = page.get_by_role("region", name="PR importer.artifact")
    expect(pr.locator("canvas").first).to_be_visible()
    expect(pr.locator(".u-legend .u-series .u-label")).to_have_text(
        ["Recall", "vertex-evaluation-run", "vertex-evaluation-second"]
    )
    expect(pr.get_by_test_id("pr-point")).to_have_text(
        "threshold 1: Recall 0, Precision 1 (vertex-evaluation-run)"
    )
    pr.get_by_role("button", name="View as table").click()
    table = pr.get_by_role("table", name="Precision-recall curves importer.artifact points")
    expect(table.locator("thead th")).to_have_text(["Curve", "Recall", "Precision", "Threshold"])
    points = len(VERTEX_METRICS["confidenceMetrics"])  # type: ignore[arg-type]
    expect(table.locator("tbody tr")).to_have_count(2 * points)
    expect(table.locator("tbody tr").nth(points).locator("td").first).to_have_text(
        "vertex-evaluation-second"
    )
    page.reload()  # the switch is in the URL
    expect(page.get_by_role("region", name="PR importer.artifact")).to_be_visible()

    page.get_by_role("tab", name="Confusion matrices").click()
    for name in ("vertex-evaluation-run", "vertex-evaluation-second"):
        matrix = page.get_by_role("table", name=f"Confusion matrix {name}")
        expect(matrix.get_by_label("actual spam, predicted ham: 10")).to_be_visible()
    page.get_by_role("tab", name="Metrics").click()
    metrics = page.get_by_role("table", name="Metrics")
    expect(
        metrics.locator("tr", has=page.get_by_role("rowheader", name="importer.auRoc")).locator(
            "td"
        )
    ).to_have_text(["0.93", "0.93"])
