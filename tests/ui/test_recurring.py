"""Recurring runs: create with a cron and a zone (preview, in words), an invalid cron,
edit in place, disable / enable, delete keeping the runs it started (design acceptance
tests 44-47)."""

from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import BrowserLog, UiServer
from tests.ui.form_pipelines import typed, upload

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def typed_pipeline(ui_server: UiServer) -> tuple[str, str]:
    return upload(ui_server.client, typed, str(ui_server.folder), "typed-recurring")


@pytest.fixture(scope="module")
def weekday_schedule(ui_server: UiServer, typed_pipeline: tuple[str, str]) -> str:
    """A recurring run made through the form: 09:00 on weekdays in Paris (never fires
    during the tests)."""
    pipeline_id, _ = typed_pipeline
    made = httpx.post(
        f"{ui_server.server.api}/recurringruns",
        json={
            "display_name": "made-by-api",
            "pipeline_version_reference": {"pipeline_id": pipeline_id},
            "trigger": {"cron_schedule": {"cron": "0 9 * * 1-5", "time_zone": "Europe/Paris"}},
            "max_concurrency": "1",
            "mode": "DISABLE",
        },
    )
    assert made.status_code == 200, made.text
    return str(made.json()["recurring_run_id"])


def test_create_with_cron_and_zone(
    ui_server: UiServer, typed_pipeline: tuple[str, str], page: Page
) -> None:
    pipeline_id, _ = typed_pipeline
    page.goto(f"/runs/new?pipeline={pipeline_id}&recurring=1")
    page.get_by_label("Run name").fill("weekday-mornings")
    page.get_by_label("Cron").fill("0 9 * * 1-5")
    page.get_by_label("Time zone").fill("Europe/Paris")
    preview = page.get_by_role("list", name="Next fire times")
    expect(preview.locator("li")).to_have_count(5)
    expect(preview.locator("li").first).to_contain_text("9:00")
    # The next 5 weekday mornings at 09:00 in Paris, one a day, in order.
    paris = ZoneInfo("Europe/Paris")
    fires = [
        datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).astimezone(paris)
        for stamp in preview.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)")
    ]
    assert len(fires) == 5
    assert all((f.hour, f.minute, f.weekday() < 5) == (9, 0, True) for f in fires), fires
    assert len({f.date() for f in fires}) == 5 and fires == sorted(fires)
    assert fires[0] > datetime.now(paris)
    expect(page.get_by_test_id("cron-words")).to_have_text("09:00 on weekdays, Europe/Paris")
    page.get_by_role("button", name="Create recurring run").click()
    expect(page).to_have_url(re.compile(r"/recurring/[0-9a-f]{32}$"))
    recurring_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("trigger-words")).to_have_text("09:00 on weekdays, Europe/Paris")
    page.goto("/recurring")
    row = page.locator(f'tr[data-recurring-id="{recurring_id}"]')
    expect(row.get_by_test_id("trigger-words")).to_have_text("09:00 on weekdays, Europe/Paris")
    expect(row.locator(".chip")).to_have_attribute("data-mode", "ENABLE")
    stored = httpx.get(f"{ui_server.server.api}/recurringruns/{recurring_id}").json()
    expected = {"cron": "0 9 * * 1-5", "time_zone": "Europe/Paris"}
    assert stored["trigger"]["cron_schedule"] == expected
    httpx.delete(f"{ui_server.server.api}/recurringruns/{recurring_id}")


def test_an_invalid_cron_shows_its_error_and_cannot_be_sent(
    ui_server: UiServer, typed_pipeline: tuple[str, str], page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow_console_errors = True  # the preview's 400 is logged by the browser
    pipeline_id, _ = typed_pipeline
    page.goto(f"/runs/new?pipeline={pipeline_id}&recurring=1")
    page.get_by_label("Run name").fill("never-made")
    page.get_by_label("Cron").fill("0 25 * * *")
    error = page.get_by_role("alert").filter(has_text="hour 25 is out of range 0-23")
    expect(error).to_be_visible()
    expect(page.get_by_role("button", name="Create recurring run")).to_be_disabled()
    page.get_by_label("Cron").fill("0 9 * * *")
    expect(page.get_by_role("button", name="Create recurring run")).to_be_enabled()


def test_edit_in_place_then_disable_and_enable(
    ui_server: UiServer, weekday_schedule: str, page: Page
) -> None:
    page.goto(f"/recurring/{weekday_schedule}")
    expect(page.get_by_test_id("recurring-id")).to_have_text(weekday_schedule)
    page.get_by_role("button", name="Edit").click()
    preview = page.get_by_role("list", name="Next fire times")
    expect(preview.locator("li")).to_have_count(5)
    expect(page.get_by_role("button", name="Save")).to_be_enabled()  # the stored cron, checked
    page.get_by_label("Cron").fill("30 8 * * *")
    # At once, not after a retry: Save waits for the scheduler to check the new text
    # (the preview of the old one, still shown for the debounce's 250 ms, vouches for
    # nothing), so a quick click cannot send an unchecked cron or fall on a button
    # that is about to turn disabled.
    assert page.get_by_role("button", name="Save").is_disabled()
    assert preview.get_attribute("aria-busy") == "true"  # the old text's times, dimmed
    expect(preview.locator("li").first).to_contain_text("8:30")  # the new text's
    expect(preview).not_to_have_attribute("aria-busy", "true")
    page.get_by_label("Max concurrency").fill("3")
    count = page.get_by_label("count", exact=True)
    expect(count).to_have_value("3")  # the spec's default: the schedule was made without it
    count.fill("x")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    count.fill("11")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("trigger-words")).to_have_text("08:30 every day, Europe/Paris")
    expect(page.get_by_test_id("max-concurrency")).to_have_text("3")
    expect(page.get_by_test_id("recurring-id")).to_have_text(weekday_schedule)
    assert page.url.endswith(f"/recurring/{weekday_schedule}")
    stored = httpx.get(f"{ui_server.server.api}/recurringruns/{weekday_schedule}").json()
    assert stored["max_concurrency"] == "3"
    assert stored["trigger"]["cron_schedule"]["cron"] == "30 8 * * *"
    assert stored["runtime_config"]["parameters"]["count"] == 11

    chip = page.locator("header .chip")
    expect(chip).to_have_attribute("data-mode", "DISABLE")
    page.get_by_role("button", name="Enable").click()
    expect(chip).to_have_attribute("data-mode", "ENABLE")
    page.get_by_role("button", name="Disable").click()
    expect(chip).to_have_attribute("data-mode", "DISABLE")
    assert httpx.get(f"{ui_server.server.api}/recurringruns/{weekday_schedule}").json()["mode"] == (
        "DISABLE"
    )


def test_delete_keeps_the_runs_it_started(
    ui_server: UiServer, typed_pipeline: tuple[str, str], page: Page
) -> None:
    pipeline_id, version_id = typed_pipeline
    recurring = ui_server.client.create_recurring_run(
        experiment_id=ui_server.client.get_experiment(experiment_name="Default").experiment_id,
        job_name="every-second",
        interval_second=1,
        max_concurrency=1,
        no_catchup=True,
        pipeline_id=pipeline_id,
        version_id=version_id,
    )
    recurring_id = str(recurring.recurring_run_id)
    api = f"{ui_server.server.url}/apis/sluice/v1/runs"
    deadline = time.monotonic() + 60
    while not httpx.get(api, params={"recurring_run_id": recurring_id}).json()["runs"]:
        assert time.monotonic() < deadline, "the recurring run started nothing"
        time.sleep(0.1)
    ui_server.client.disable_recurring_run(recurring_id)
    started = httpx.get(api, params={"recurring_run_id": recurring_id}).json()["runs"]

    page.goto(f"/recurring/{recurring_id}")
    table = page.get_by_role("table", name="Runs started")
    expect(table.locator("tbody tr")).to_have_count(len(started))
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("alertdialog", name="Delete recurring run")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # Esc closes it, nothing deleted
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete").click()
    expect(dialog).to_contain_text(re.compile(r"The \d+ runs? it started (is|are) kept"))
    dialog.get_by_role("button", name="Delete recurring run").click()
    expect(page).to_have_url(re.compile(r"/recurring$"))
    expect(page.locator(f'tr[data-recurring-id="{recurring_id}"]')).to_have_count(0)
    for run in started:
        assert httpx.get(f"{ui_server.server.api}/runs/{run['run_id']}").status_code == 200
    page.goto(f"/runs/{started[0]['run_id']}")
    expect(page.get_by_role("heading", name=started[0]["display_name"])).to_be_visible()
