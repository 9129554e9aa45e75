"""The Compare page (design acceptance tests 36-39) over 20 runs of the viewers pipeline
submitted through the unmodified ``kfp.Client``, and its entry from a run's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.pipelines import compile_to, viewers
from tests.ui.test_viewers import probe_errors_only

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def runs(ui_server: UiServer) -> list[str]:
    """20 finished runs (``compare-01`` ... ``compare-20``), seeds 1 to 20, oldest first."""
    package = compile_to(viewers, str(ui_server.folder / "viewers-compare.yaml"))
    ids = [
        str(
            ui_server.client.create_run_from_pipeline_package(
                package, arguments={"seed": seed}, run_name=f"compare-{seed:02d}"
            ).run_id
        )
        for seed in range(1, 21)
    ]
    for run_id in ids:
        assert ui_server.wait_run(run_id) == "SUCCEEDED"
    return ids


def _open(page: Page, ids: list[str], extra: str = "") -> None:
    page.goto(f"/compare?runs={','.join(ids)}{extra}")


def test_parameters_show_differences_only_by_default(runs: list[str], page: Page) -> None:
    _open(page, runs[:3])
    table = page.get_by_role("table", name="Parameters")
    expect(table.locator("thead th")).to_have_text(
        ["Parameter", "compare-01", "compare-02", "compare-03"]
    )
    expect(table.locator("tbody th")).to_have_text(["seed"])
    expect(table.locator("tbody td")).to_have_text(["1", "2", "3"])
    page.get_by_label("Only differences").uncheck()
    expect(page).to_have_url(re.compile(r"only_diff=0"))
    expect(table.locator("tbody th")).to_have_text(["lr", "rows", "seed"])
    page.reload()
    expect(page.get_by_role("table", name="Parameters").locator("tbody tr")).to_have_count(3)


def test_metrics_mark_the_best_and_deltas(runs: list[str], page: Page) -> None:
    _open(page, runs[:3], "&tab=metrics")
    table = page.get_by_role("table", name="Metrics")
    accuracy = table.locator(
        "tr", has=page.get_by_role("rowheader", name="evaluate.scores.accuracy")
    )
    loss = table.locator("tr", has=page.get_by_role("rowheader", name="evaluate.scores.loss"))
    expect(accuracy.locator("td")).to_have_text(["0.51", "0.52", "0.53"])
    # Higher accuracy and lower loss are better: both are the third run's.
    expect(accuracy.locator("td").nth(2)).to_have_attribute("data-best", "true")
    expect(loss.locator("td").nth(2)).to_have_attribute("data-best", "true")
    expect(table.locator('td[data-best="true"]')).to_have_count(2)  # epochs ties: none
    # Three runs or more: parallel coordinates over the differing metrics, a line per run.
    chart = page.get_by_role("img", name="Parallel coordinates")
    expect(chart.locator("polyline")).to_have_count(3)
    expect(chart.locator("polyline title")).to_have_text(["compare-01", "compare-02", "compare-03"])
    page.get_by_label("Baseline").select_option(label="compare-01")
    expect(page).to_have_url(re.compile(f"baseline={runs[0]}"))
    expect(accuracy.locator("td")).to_have_text(["0.51", "0.52 (+0.01)", "0.53 (+0.02)"])
    expect(loss.locator("td").nth(1)).to_have_text("0.96 (\u22120.02)")  # a minus sign


def test_curves_matrices_and_documents_side_by_side(
    runs: list[str], page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the HTML reports probe their sandbox
    _open(page, runs[:3], "&tab=roc")
    chart = page.get_by_role("region", name="ROC evaluate.classes")
    expect(chart.locator("canvas").first).to_be_visible()
    legend = chart.locator(".u-legend .u-series .u-label")
    expect(legend).to_have_text(["FPR", "compare-01", "compare-02", "compare-03"])
    # KFP's log_roc_curve writes no precision: the PR switch says so instead of a chart.
    page.get_by_role("group", name="Curve").get_by_role("button", name="Precision-recall").click()
    expect(page).to_have_url(re.compile("curve=pr"))
    expect(page.get_by_text("None of these runs logged a precision-recall curve")).to_be_visible()
    page.get_by_role("tab", name="Confusion matrices").click()
    expect(page).to_have_url(re.compile("tab=cm"))
    for seed in (1, 2, 3):
        matrix = page.get_by_role("table", name=f"Confusion matrix compare-0{seed}")
        expect(matrix.get_by_label("actual cat, predicted cat")).to_have_text(str(10 + seed))
    boxes = [
        page.get_by_role("table", name=f"Confusion matrix compare-0{seed}").bounding_box()
        for seed in (1, 2, 3)
    ]
    assert all(box is not None for box in boxes)
    tops = {round(box["y"]) for box in boxes if box is not None}
    assert len(tops) == 1  # one row, side by side
    page.get_by_role("tab", name="HTML and Markdown").click()
    for seed in (1, 2, 3):
        frame = page.frame_locator(f'iframe[title="report.page compare-0{seed}"]')
        expect(frame.locator("#title")).to_have_text(f"Report {seed}")
        notes = page.locator(f'.markdown[aria-label="report.notes compare-0{seed}"]')
        expect(notes.locator("h1")).to_have_text(f"Notes {seed}")
    probe_errors_only(browser_log)


def test_twenty_runs_and_the_url_holds_them(runs: list[str], page: Page) -> None:
    _open(page, runs, "&tab=metrics")
    table = page.get_by_role("table", name="Metrics")
    expect(table.locator("thead th")).to_have_count(21)
    expect(page.get_by_text("20 runs", exact=True)).to_be_visible()
    page.reload()
    expect(page.get_by_role("table", name="Metrics").locator("thead th")).to_have_count(21)
    # Removing a chip drops its column and keeps the rest in the URL.
    page.get_by_role("button", name="Remove compare-20").click()
    expect(page.get_by_role("table", name="Metrics").locator("thead th")).to_have_count(20)
    assert runs[-1] not in page.url and runs[-2] in page.url


def test_compare_with_previous_run(runs: list[str], page: Page) -> None:
    page.goto(f"/runs/{runs[2]}")
    page.get_by_role("button", name="Compare with previous run").click()
    expect(page).to_have_url(re.compile(f"/compare\\?runs={runs[1]},{runs[2]}$"))
    expect(page.get_by_role("table", name="Parameters").locator("tbody th")).to_have_text(["seed"])
