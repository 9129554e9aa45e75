"""The run page's header actions: Delete, Copy id, Compare with previous run, Archive and
Restore, Clone, and Retry of a failed run until it succeeds (design acceptance test 40)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from tests.ui.conftest import UiServer
from tests.ui.pipelines import compile_to, failing, fixable_run

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _submit(ui: UiServer, pipeline: Any, name: str, **kwargs: Any) -> str:
    package = ui.folder / f"{pipeline.name}.yaml"
    if not package.exists():
        compile_to(pipeline, str(package))
    run = ui.client.create_run_from_pipeline_package(str(package), run_name=name, **kwargs)
    return str(run.run_id)


def _task(ui: UiServer, run_id: str, path: str) -> dict[str, Any]:
    answer = httpx.get(f"{ui.url}/apis/sluice/v1/runs/{run_id}/tasks/{path}")
    answer.raise_for_status()
    return dict(answer.json())


def _actions(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("toolbar", name="Run actions")


def test_delete_asks_then_returns_to_the_run_list(ui_server: UiServer, page: Page) -> None:
    name = f"delete-me-{uuid.uuid4().hex[:6]}"
    run_id = _submit(ui_server, failing, name)
    assert ui_server.wait_run(run_id) == "FAILED"
    page.goto(f"/runs/{run_id}")
    actions = _actions(page)
    actions.get_by_role("button", name="Delete", exact=True).click()
    dialog = actions.get_by_role("alertdialog", name="Confirm delete")
    expect(dialog.get_by_role("heading")).to_have_text(f"Delete run {name}?")
    expect(dialog).to_contain_text("This cannot be undone.")
    # The one confirmation component: the focus starts on Cancel and Tab stays inside.
    cancel = dialog.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Delete the run")).to_be_focused()
    page.keyboard.press("Tab")
    expect(cancel).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Delete the run")).to_be_focused()
    # Esc cancels, and the focus goes back to the button that opened it. The failed run
    # opened on its failed task: the Esc was the dialog's, so the side panel stays.
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(panel).to_be_visible()
    expect(actions.get_by_role("button", name="Delete", exact=True)).to_be_focused()
    actions.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert httpx.get(f"{ui_server.server.api}/runs/{run_id}").status_code == 200
    actions.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete the run").click()
    expect(page).to_have_url(re.compile(r"/runs$"))
    expect(page.get_by_role("link", name="failing-run").first).to_be_visible()
    expect(page.get_by_role("link", name=name)).to_have_count(0)
    assert httpx.get(f"{ui_server.server.api}/runs/{run_id}").status_code == 404


def test_copy_id_puts_the_run_id_on_the_clipboard(
    ui_server: UiServer, context: BrowserContext, page: Page
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    run_id = ui_server.runs["done"]
    page.goto(f"/runs/{run_id}")
    actions = _actions(page)
    actions.get_by_role("button", name="Copy id").click()
    expect(actions.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == run_id
    # The confirmation goes away by itself.
    expect(actions.get_by_role("status")).to_have_count(0)


def test_compare_with_previous_run_in_the_same_experiment(ui_server: UiServer, page: Page) -> None:
    experiment = ui_server.client.create_experiment(f"actions-{uuid.uuid4().hex[:8]}")
    first = _submit(ui_server, failing, "previous-1", experiment_id=experiment.experiment_id)
    assert ui_server.wait_run(first) == "FAILED"
    page.goto(f"/runs/{first}")
    button = _actions(page).get_by_role("button", name="Compare with previous run")
    # The first run of its pipeline in the experiment has none: disabled, and says why.
    expect(button).to_have_attribute("title", "No earlier run of this pipeline in this experiment")
    expect(button).to_be_disabled()
    second = _submit(ui_server, failing, "previous-2", experiment_id=experiment.experiment_id)
    page.goto(f"/runs/{second}")
    button.click()
    expect(page).to_have_url(re.compile(f"/compare\\?runs={first},{second}$"))
    assert ui_server.wait_run(second) == "FAILED"


def test_archive_restore_and_clone(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["failed"]
    page.goto(f"/runs/{run_id}")
    actions = _actions(page)
    try:
        actions.get_by_role("button", name="Archive").click()
        expect(actions.get_by_role("button", name="Restore")).to_be_visible()
        run = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
        assert run["storage_state"] == "ARCHIVED"
        actions.get_by_role("button", name="Restore").click()
        expect(actions.get_by_role("button", name="Archive")).to_be_visible()
        run = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
        assert run["storage_state"] == "AVAILABLE"
    finally:
        httpx.post(f"{ui_server.server.api}/runs/{run_id}:unarchive")
    actions.get_by_role("link", name="Clone").click()
    expect(page).to_have_url(re.compile(f"/runs/new\\?clone={run_id}$"))


def test_retry_a_failed_run_until_it_succeeds(ui_server: UiServer, page: Page) -> None:
    """Acceptance test 40: the finished task keeps its one execution, the failed one runs
    again, and the run ends SUCCEEDED once the fix flag is set."""
    flag = ui_server.folder / f"fixed-{uuid.uuid4().hex[:6]}"
    run_id = _submit(ui_server, fixable_run, "retry-until-fixed", arguments={"flag": str(flag)})
    assert ui_server.wait_run(run_id) == "FAILED"
    before = _task(ui_server, run_id, "shout")
    assert before["state"] == "SUCCEEDED" and len(before["attempts"]) == 1
    failed = _task(ui_server, run_id, "fixable")
    assert failed["state"] == "FAILED"
    page.goto(f"/runs/{run_id}")
    expect(page).to_have_url(re.compile(r"task=fixable"))
    badge = page.locator(".run-header .badge")
    expect(badge).to_have_attribute("data-state", "FAILED")
    flag.write_text("")
    _actions(page).get_by_role("button", name="Retry").click()
    # Pushed over the event stream, no reload.
    expect(badge).to_have_attribute("data-state", "SUCCEEDED", timeout=60_000)
    expect(page.get_by_test_id("node-fixable")).to_have_attribute("data-state", "SUCCEEDED")
    expect(page.get_by_test_id("node-shout")).to_have_attribute("data-state", "SUCCEEDED")
    assert ui_server.run_state(run_id) == "SUCCEEDED"
    after = _task(ui_server, run_id, "shout")
    assert after["state"] == "SUCCEEDED"
    assert after["attempts"] == before["attempts"], "the finished task ran again"
    assert after["attempt_count"] == before["attempt_count"]
    fixed = _task(ui_server, run_id, "fixable")
    assert fixed["state"] == "SUCCEEDED"
    assert len(fixed["attempts"]) > len(failed["attempts"])
    assert fixed["attempts"][-1]["state"] != "FAILED"
    assert fixed["output_parameters"] == {"Output": "fixed"}
