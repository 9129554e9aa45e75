"""The run graph's big-loop summary, node finder, depth control and minimap, and the
Timeline's attempt segments (design acceptance tests 19 and 21).

Timings are not asserted here: the 500-iteration graph's render and frame times are
measured by ``benchmarks/ui.py``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.pipelines import compile_to, wide_failing_loop, wide_loop

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

WIDE = "for-loop-2"
LOOP = "exit-handler-1/for-loop-3"


def node(page: Page, path: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id(f"node-{path}")


@pytest.fixture(scope="module")
def wide_run(ui_server: UiServer) -> str:
    """A finished run of a 500-iteration ParallelFor, submitted through kfp.Client."""
    package = compile_to(wide_loop, str(ui_server.folder / "wide-loop.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(package, run_name="wide-loop")
    # The UI API's run summary, not KFP's run (which lists every task's details): while the
    # 500 iterations run, the busy server may answer slowly, so a timeout is a retry.
    summary = f"{ui_server.url}/apis/sluice/v1/runs/{run.run_id}"
    deadline = time.monotonic() + 300
    state = "PENDING"
    while state not in {"SUCCEEDED", "FAILED", "CANCELED"} and time.monotonic() < deadline:
        try:
            state = httpx.get(summary, timeout=30).json()["state"]
        except httpx.TimeoutException:
            continue
        time.sleep(0.2)
    assert state == "SUCCEEDED"
    return str(run.run_id)


def test_a_500_iteration_loop_is_summarised_with_a_picker(page: Page, wide_run: str) -> None:
    page.goto(f"/runs/{wide_run}")
    loop = node(page, WIDE)
    expect(page.get_by_test_id(f"progress-{WIDE}")).to_have_text("500/500")
    page.get_by_role("button", name=f"Expand {WIDE}").click()
    # A summary row instead of 500 iteration boxes.
    expect(loop.get_by_test_id("loop-count-SUCCEEDED")).to_have_text("500 succeeded")
    expect(node(page, f"{WIDE}[0]")).to_have_count(0)
    expect(page.locator('[data-testid^="node-for-loop-2["]')).to_have_count(0)
    # Nothing failed: "Next failed" has nothing to go to.
    expect(loop.get_by_role("button", name=re.compile("^Next failed"))).to_be_disabled()
    picker = loop.get_by_role("spinbutton", name=f"Iteration of {WIDE}")
    picker.fill("123")
    picker.press("Enter")
    expect(node(page, f"{WIDE}[123]")).to_be_visible()
    task = node(page, f"{WIDE}[123]/echo-index")
    expect(task).to_be_visible()
    expect(task).to_have_attribute("data-state", "SUCCEEDED")
    expect(page).to_have_url(re.compile(re.escape("expand=" + f"{WIDE}%2C{WIDE}%5B123%5D")))
    # Only the picked iteration is drawn; a second pick joins it.
    expect(page.locator('[data-testid^="node-for-loop-2["][data-testid$="]"]')).to_have_count(1)
    picker.fill("7")
    loop.get_by_role("button", name="Open", exact=True).click()
    expect(node(page, f"{WIDE}[7]/echo-index")).to_be_visible()
    expect(node(page, f"{WIDE}[123]")).to_be_visible()
    # An index out of range says so.
    picker.fill("500")
    picker.press("Enter")
    expect(loop.get_by_role("alert")).to_have_text("no iteration 500: pick 0 to 499")
    # The picks are in the URL: a reload keeps them.
    page.reload()
    expect(node(page, f"{WIDE}[7]/echo-index")).to_be_visible()
    expect(node(page, f"{WIDE}[123]/echo-index")).to_be_visible()
    # Closing a picked iteration takes it away.
    page.get_by_role("button", name="Collapse iteration 7").click()
    expect(node(page, f"{WIDE}[7]")).to_have_count(0)
    expect(node(page, f"{WIDE}[123]")).to_be_visible()


def test_a_deep_link_into_a_big_loop_opens_its_iteration(page: Page, wide_run: str) -> None:
    task = f"{WIDE}[321]/echo-index"
    page.goto(f"/runs/{wide_run}?task={task}")
    expect(node(page, task)).to_be_visible()
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("table", name="Inputs")).to_contain_text("321")
    # Under "Expand all" too: the summary, and the selected task's iteration.
    page.goto(f"/runs/{wide_run}?task={task}&expand=all")
    expect(node(page, task)).to_be_visible()
    expect(page.locator('[data-testid^="node-for-loop-2["][data-testid$="]"]')).to_have_count(1)


def test_a_failed_big_loop_opens_on_its_failed_iteration(ui_server: UiServer, page: Page) -> None:
    package = compile_to(wide_failing_loop, str(ui_server.folder / "wide-failing.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(package, run_name="wide-failing")
    assert ui_server.wait_run(str(run.run_id), timeout=120) == "FAILED"
    loop = "for-loop-2"
    failed = f"{loop}[5]/fail-on"
    # A failed run opens on its first failed task: inside iteration 5, which is picked.
    page.goto(f"/runs/{run.run_id}")
    expect(node(page, failed)).to_have_attribute("data-state", "FAILED")
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("alert")).to_contain_text("iteration item 5 fails on purpose")
    box = node(page, loop)
    expect(box.get_by_test_id("loop-count-FAILED")).to_have_text("1 failed")
    # "Next failed" goes to it too, after the panel is closed and the iteration collapsed.
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Collapse iteration 5").click()
    expect(node(page, f"{loop}[5]")).to_have_count(0)
    box.get_by_role("button", name="Next failed (1)").click()
    expect(node(page, failed)).to_be_visible()


def test_node_finder_depth_and_minimap(ui_server: UiServer, page: Page) -> None:
    page.goto(f"/runs/{ui_server.runs['done']}")
    expect(node(page, "exit-handler-1")).to_be_visible()
    expect(page.get_by_role("img", name="Minimap")).to_be_visible()
    # `f` opens the finder; a task deep inside closed boxes is found and selected.
    page.keyboard.press("f")
    finder = page.get_by_role("combobox", name="Find a task")
    expect(finder).to_be_focused()
    finder.fill("square-2")
    options = page.get_by_role("listbox", name="Matching tasks").get_by_role("option")
    expect(options.first).to_contain_text(f"{LOOP}[0]/inner/square-2")
    finder.press("Enter")
    expect(finder).to_be_hidden()
    expect(node(page, f"{LOOP}[0]/inner/square-2")).to_be_in_viewport()
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("heading", name="square-2")).to_be_visible()
    found = quote(f"{LOOP}[0]/inner/square-2", safe="")
    expect(page).to_have_url(re.compile(r"task=" + re.escape(found)))
    # Esc in the finder closes the finder only.
    page.keyboard.press("f")
    page.keyboard.press("Escape")
    expect(finder).to_be_hidden()
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # Depth: 1 is the top level; 2 opens the top-level boxes; 3 the next level.
    depth = page.get_by_role("combobox", name="Depth")
    depth.select_option("1")
    expect(node(page, LOOP)).to_have_count(0)
    depth.select_option("2")
    expect(node(page, "exit-handler-1")).to_have_attribute("data-expanded", "true")
    expect(node(page, LOOP)).to_have_attribute("data-expanded", "false")
    depth.select_option("3")
    expect(node(page, LOOP)).to_have_attribute("data-expanded", "true")
    expect(node(page, f"{LOOP}[1]/inner")).to_have_attribute("data-expanded", "false")
    # A small loop keeps a box per iteration, and shows its progress.
    expect(page.get_by_test_id(f"progress-{LOOP}")).to_have_text("3/3")


def test_timeline_follows_a_running_task(ui_server: UiServer, page: Page) -> None:
    gate = ui_server.folder / "gate-live-timeline"
    run_id = ui_server.submit_showcase("showcase-live-timeline", gate)
    page.goto(f"/runs/{run_id}?view=timeline")
    bar = page.get_by_test_id("bar-exit-handler-1/gate")
    try:
        expect(bar.get_by_test_id("attempt")).to_have_attribute(
            "data-state", "RUNNING", timeout=60_000
        )
        gate.write_text("")
        # No reload: the Timeline reads the attempts again on the task's event.
        expect(bar.get_by_test_id("attempt")).to_have_attribute("data-state", "SUCCEEDED")
        expect(bar.get_by_test_id("attempt")).to_have_attribute(
            "title", re.compile(r"^attempt 1 · succeeded · .* · exit code 0$")
        )
    finally:
        gate.write_text("")
    assert ui_server.wait_run(run_id) == "SUCCEEDED"


def test_timeline_draws_attempts_as_segments(ui_server: UiServer, page: Page) -> None:
    page.goto(f"/runs/{ui_server.runs['retried']}?view=timeline")
    bar = page.get_by_test_id("bar-flaky")
    attempts = bar.get_by_test_id("attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_have_attribute("data-state", "FAILED")
    expect(attempts.nth(1)).to_have_attribute("data-state", "SUCCEEDED")
    first, second = r"^attempt 1 · failed · .* · exit code [1-9]", r"^attempt 2 · succeeded · .*"
    expect(attempts.nth(0)).to_have_attribute("title", re.compile(first))
    expect(attempts.nth(1)).to_have_attribute("title", re.compile(second + " · exit code 0$"))
    expect(bar).to_contain_text("2 attempts")
    # One bar per task: the showcase's tasks each have one attempt.
    page.goto(f"/runs/{ui_server.runs['done']}?view=timeline")
    shout = page.get_by_test_id("bar-shout")
    expect(shout.get_by_test_id("attempt")).to_have_count(1)
    expect(page.get_by_test_id(f"bar-{LOOP}[2]/inner/square-2")).to_be_visible()
    # A click opens the task.
    shout.click()
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("heading", name="shout")).to_be_visible()
