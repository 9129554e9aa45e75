"""The run list's metric predicate and pinned metric columns (design acceptance test 11),
and its pipeline and created-range filters: all in the URL, all applied by the server.

The runs go into an experiment of this module's own, so that the rows other modules add
to the shared server never show up in the lists whose rows are counted here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.form_pipelines import typed, upload
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def scored(ui_server: UiServer) -> Iterator[dict[str, str]]:
    """An experiment with three runs of ``typed`` (accuracy 0.3, 0.7, 0.9, submitted
    through kfp.Client) and one run of it uploaded as a pipeline (accuracy 0.75)."""
    client = ui_server.client
    experiment = client.create_experiment("filters-experiment")
    package = compile_to(typed, str(ui_server.folder / "typed-filters.yaml"))
    ids = {"experiment": str(experiment.experiment_id)}
    for rate in (0.3, 0.7, 0.9):
        run = client.create_run_from_pipeline_package(
            package,
            arguments={"rate": rate},
            run_name=f"scored-{rate}",
            experiment_id=ids["experiment"],
            enable_caching=False,  # other modules run typed too: a cache hit logs nothing new
        )
        ids[str(rate)] = str(run.run_id)
    pipeline_id, version_id = upload(client, typed, str(ui_server.folder), "typed-filtered")
    stored = client.run_pipeline(
        ids["experiment"],
        "scored-stored",
        pipeline_id=pipeline_id,
        version_id=version_id,
        enable_caching=False,
    )
    ids.update(stored=str(stored.run_id), pipeline=pipeline_id)
    for key in ("0.3", "0.7", "0.9", "stored"):
        assert ui_server.wait_run(ids[key]) == "SUCCEEDED"
    yield ids


def _row_ids(page: Page) -> list[str]:
    return [str(row.get_attribute("data-run-id")) for row in page.locator("tbody tr").all()]


def test_metric_predicate_and_a_pinned_column(
    ui_server: UiServer, page: Page, scored: dict[str, str]
) -> None:
    experiment = scored["experiment"]
    page.goto(f"/runs?experiment={experiment}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Metric filter").fill("accuracy > 0.5 AND accuracy != 0.75")
    page.get_by_label("Metric filter").press("Enter")
    expect(page).to_have_url(re.compile(r"metric=accuracy"))
    expect(rows).to_have_count(2)
    assert set(_row_ids(page)) == {scored["0.7"], scored["0.9"]}

    # Pin accuracy: a column with each run's value, kept for this experiment.
    page.get_by_text("Metric columns").click()
    page.get_by_label("Pin metric accuracy").check()
    header = page.get_by_role("button", name="Sort by accuracy")
    expect(header).to_be_visible()
    expect(
        page.locator(f'tr[data-run-id="{scored["0.9"]}"] [data-metric="accuracy"]')
    ).to_have_text("0.9")
    expect(
        page.locator(f'tr[data-run-id="{scored["0.7"]}"] [data-metric="accuracy"]')
    ).to_have_text("0.7")
    # Its parameters show as chips.
    expect(page.locator(f'tr[data-run-id="{scored["0.7"]}"] .param-chips')).to_contain_text(
        "count=3"
    )

    # Sorted by the server: descending, then ascending, in the URL.
    header.click()
    expect(page).to_have_url(re.compile(r"sort=-metrics\.accuracy"))
    expect(rows.first).to_have_attribute("data-run-id", scored["0.9"])
    header.click()
    expect(page).to_have_url(re.compile(r"sort=metrics\.accuracy"))
    expect(rows.first).to_have_attribute("data-run-id", scored["0.7"])

    # A reload keeps the filter (URL) and the pinned column (localStorage).
    page.reload()
    expect(rows).to_have_count(2)
    expect(page.get_by_role("button", name="Sort by accuracy")).to_be_visible()

    # Clearing the predicate brings every run back, the column still pinned.
    page.get_by_label("Metric filter").fill("")
    page.get_by_label("Metric filter").press("Enter")
    expect(rows).to_have_count(4)
    expect(
        page.locator(f'tr[data-run-id="{scored["0.3"]}"] [data-metric="accuracy"]')
    ).to_have_text("0.3")


def test_a_bad_predicate_is_shown_inline(
    ui_server: UiServer, page: Page, scored: dict[str, str], browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the 400 is the point
    page.goto(f"/runs?experiment={scored['experiment']}")
    expect(page.locator("tbody tr")).to_have_count(4)
    page.get_by_label("Metric filter").fill("accuracy >> 0.5")
    page.get_by_label("Metric filter").press("Enter")
    help_text = page.get_by_test_id("metric-help")
    expect(help_text).to_have_attribute("role", "alert")
    expect(help_text).to_contain_text("metric: cannot read 'accuracy >> 0.5'")
    expect(page.get_by_label("Metric filter")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("tbody tr")).to_have_count(0)
    # Fixing it clears the error.
    page.get_by_label("Metric filter").fill("accuracy >= 0.9")
    page.get_by_label("Metric filter").press("Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(help_text).not_to_have_attribute("role", "alert")


def test_pipeline_and_created_range_filters(
    ui_server: UiServer, page: Page, scored: dict[str, str]
) -> None:
    page.goto(f"/runs?experiment={scored['experiment']}")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_role("combobox", name="Pipeline filter").select_option(scored["pipeline"])
    expect(page).to_have_url(re.compile(f"pipeline={scored['pipeline']}"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run-id", scored["stored"])
    page.get_by_role("combobox", name="Pipeline filter").select_option("")
    expect(rows).to_have_count(4)

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("Created from").fill(tomorrow)
    expect(page).to_have_url(re.compile(f"from={tomorrow}"))
    expect(page.get_by_text("No runs match.")).to_be_visible()
    page.goto(f"/runs?experiment={scored['experiment']}&from={yesterday}&to={tomorrow}")
    expect(rows).to_have_count(4)
