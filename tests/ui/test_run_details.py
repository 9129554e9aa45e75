"""Run details: the graph with state colours, sub-DAGs expanded in place, live state over
SSE, the task panel, deep links (design acceptance tests 2, 15, 16, 17, 18, 20)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

LOOP = "exit-handler-1/for-loop-3"
BRANCHES = "exit-handler-1/condition-branches-4"


# Each node's (state, left border colour, the colour of var(--s-<state>)).
STATE_COLOURS = """nodes => nodes.map(node => {
    const probe = document.createElement("span");
    probe.style.color = `var(--s-${node.dataset.state.toLowerCase()})`;
    document.body.appendChild(probe);
    const wanted = getComputedStyle(probe).color;
    probe.remove();
    return [node.dataset.state, getComputedStyle(node).borderLeftColor, wanted];
})"""


def node(page: Page, path: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id(f"node-{path}")


def test_graph_states_match_the_kfp_api(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["done"]
    page.goto(f"/runs/{run_id}")
    expect(node(page, "exit-handler-1")).to_have_attribute("data-state", "SUCCEEDED")
    expect(node(page, "shout")).to_have_attribute("data-state", "SUCCEEDED")
    page.get_by_role("button", name="Expand all").click()
    expect(page).to_have_url(re.compile(r"[?&]expand=all"))
    details = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()["run_details"]
    shown = 0
    for task in details["task_details"]:
        # KFP's task details have no paths; these names are unique in the run.
        if task["display_name"] in ("make-number", "gate", "shout"):
            target = {
                "make-number": "exit-handler-1/make-number",
                "gate": "exit-handler-1/gate",
                "shout": "shout",
            }[task["display_name"]]
            expect(node(page, target)).to_have_attribute("data-state", task["state"])
            shown += 1
    assert shown == 3
    # The boxes of the loop, the condition and the exit handler are drawn.
    for box in ("exit-handler-1", LOOP, BRANCHES, f"{BRANCHES}/condition-5"):
        expect(node(page, box)).to_have_attribute("data-expanded", "true")
    # Every node drawn wears its state's colour (the theme's --s-<state>), and the skipped
    # branch's colour is not the succeeded one's.
    colours = page.locator("[data-testid^='node-'][data-state]").evaluate_all(STATE_COLOURS)
    assert {state for state, _, _ in colours} >= {"SUCCEEDED", "SKIPPED", "CACHED"}
    assert all(shown == wanted for _, shown, wanted in colours), colours
    by_state = {state: shown for state, shown, _ in colours}
    assert by_state["SUCCEEDED"] != by_state["SKIPPED"]


def test_expand_in_place_and_collapse(ui_server: UiServer, page: Page) -> None:
    page.goto(f"/runs/{ui_server.runs['done']}")
    expect(node(page, LOOP)).to_be_hidden()  # inside the closed exit handler
    page.get_by_role("button", name="Expand exit-handler-1").click()
    expect(node(page, LOOP)).to_be_visible()
    expect(node(page, f"{LOOP}[0]")).to_be_hidden()
    page.get_by_role("button", name="Expand for-loop-3").click()
    for index in range(3):
        expect(node(page, f"{LOOP}[{index}]")).to_be_visible()
        expect(node(page, f"{LOOP}[{index}]/inner")).to_be_visible()
    expect(page).to_have_url(
        re.compile(r"expand=exit-handler-1%2C" + re.escape(LOOP.replace("/", "%2F")))
    )
    page.reload()  # the URL keeps what is open
    expect(node(page, f"{LOOP}[2]/inner")).to_be_visible()
    page.get_by_role("button", name="Expand all").click()
    expect(node(page, f"{LOOP}[1]/inner/square-2")).to_be_visible()
    page.get_by_role("button", name="Collapse all").click()
    expect(node(page, LOOP)).to_be_hidden()
    expect(node(page, "exit-handler-1")).to_be_visible()


def test_skipped_branch(ui_server: UiServer, page: Page) -> None:
    page.goto(f"/runs/{ui_server.runs['done']}?expand=all")
    expect(node(page, f"{BRANCHES}/condition-6")).to_have_attribute("data-state", "SKIPPED")
    expect(node(page, f"{BRANCHES}/condition-6/shout-3")).to_have_attribute("data-state", "SKIPPED")
    expect(node(page, f"{BRANCHES}/condition-5")).to_have_attribute("data-state", "SUCCEEDED")
    expect(node(page, f"{BRANCHES}/condition-5/shout-2")).to_contain_text("taken-branch")
    # Each condition's box says in words which branch ran, not by its colour alone.
    expect(page.get_by_test_id(f"branch-{BRANCHES}/condition-5")).to_have_text("✓ taken")
    expect(page.get_by_test_id(f"branch-{BRANCHES}/condition-6")).to_have_text("not taken")


def test_deep_link_selects_task_and_tab(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["done"]
    page.goto(f"/runs/{run_id}?task=shout&tab=logs")
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("heading", name="shout")).to_be_visible()
    expect(panel.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")
    expect(panel.get_by_test_id("log")).to_contain_text("line 49: cleanup")
    log = panel.get_by_test_id("log")
    # ANSI colours render as styles, not as escape codes.
    expect(log.locator(".ansi-red.ansi-bold")).to_have_text("red alert")
    expect(log).not_to_contain_text("[1;31m")
    # Search marks the matches: "line 4" and "line 40" to "line 49".
    panel.get_by_role("searchbox", name="Search the log").fill("line 4")
    expect(panel.get_by_test_id("log-matches")).to_have_text("11 matches")
    expect(log.locator("mark")).to_have_count(11)
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download", exact=True).click()
    saved = Path(download.value.path()).read_text()
    assert "line 0: cleanup" in saved
    assert "line 49: cleanup" in saved
    page.reload()
    expect(panel.get_by_test_id("log")).to_contain_text("line 49: cleanup")
    # A task deep inside closed boxes: they open, and its panel shows its values.
    inner = f"{LOOP}[1]/inner/square"
    page.goto(f"/runs/{run_id}?task={inner}")
    expect(node(page, inner)).to_be_visible()
    expect(panel.get_by_role("table", name="Inputs")).to_contain_text("2")
    expect(panel.get_by_role("table", name="Outputs")).to_contain_text("4")
    # Back and Forward restore the view.
    expect(node(page, f"{LOOP}[1]/inner/square-2")).to_be_in_viewport()
    node(page, f"{LOOP}[1]/inner/square-2").click()
    expect(panel.get_by_role("heading", name="square-2")).to_be_visible()
    page.go_back()
    expect(panel.get_by_role("heading", name="square", exact=True)).to_be_visible()
    page.go_forward()
    expect(panel.get_by_role("heading", name="square-2")).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page).not_to_have_url(re.compile(r"task="))


def test_failed_run_opens_on_its_failed_task(ui_server: UiServer, page: Page) -> None:
    page.goto(f"/runs/{ui_server.runs['failed']}")
    expect(page).to_have_url(re.compile(r"task=fail"))
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel.get_by_role("alert")).to_contain_text("the failure the UI shows")
    expect(node(page, "fail")).to_have_attribute("data-state", "FAILED")


def test_live_state_over_sse(ui_server: UiServer, page: Page) -> None:
    gate = ui_server.folder / "gate-live-graph"
    run_id = ui_server.submit_showcase("showcase-live-graph", gate)
    page.goto(f"/runs/{run_id}?expand=exit-handler-1")
    try:
        expect(node(page, "exit-handler-1/gate")).to_have_attribute(
            "data-state", "RUNNING", timeout=60_000
        )
        gate.write_text("")
        # No reload: the change arrives over the event stream.
        expect(node(page, "exit-handler-1/gate")).to_have_attribute("data-state", "SUCCEEDED")
        # The exit task may be a cache hit of an earlier run's.
        expect(node(page, "shout")).to_have_attribute(
            "data-state", re.compile("SUCCEEDED|CACHED"), timeout=30_000
        )
    finally:
        gate.write_text("")
    assert ui_server.wait_run(run_id) == "SUCCEEDED"


def test_log_streams_live(ui_server: UiServer, page: Page) -> None:
    gate = ui_server.folder / "gate-live-log"
    run_id = ui_server.submit_showcase("showcase-live-log", gate)
    page.goto(f"/runs/{run_id}?task=exit-handler-1/gate&tab=logs")
    log = page.get_by_test_id("log")
    try:
        expect(log).to_contain_text(f"waiting for {gate}", timeout=60_000)
        expect(log).to_have_attribute("data-ended", "false")
        expect(log).not_to_contain_text("the gate is open")
        gate.write_text("")
        # The new line arrives over the log stream, then its end.
        expect(log).to_contain_text("the gate is open")
        expect(log).to_have_attribute("data-ended", "true")
        expect(page.get_by_text("Attempt 1 ended (succeeded).")).to_be_visible()
    finally:
        gate.write_text("")


def test_attempt_picker_on_a_retried_task(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["retried"]
    page.goto(f"/runs/{run_id}?task=flaky&tab=logs")
    panel = page.get_by_role("complementary", name="Task details")
    picker = panel.get_by_role("combobox", name="Attempt")
    expect(picker.locator("option")).to_have_text(["1 (failed)", "2 (complete)"])
    expect(picker).to_have_value("2")
    log = panel.get_by_test_id("log")
    expect(log).to_contain_text("second attempt: fine")
    picker.select_option("1")
    expect(page).to_have_url(re.compile(r"attempt=1"))
    expect(log).to_contain_text("first attempt: failing on purpose")
    expect(log).not_to_contain_text("second attempt")
    expect(panel.get_by_role("alert")).to_contain_text("the first attempt fails")
    # The attempt deep-links.
    page.reload()
    expect(picker).to_have_value("1")
    expect(log).to_contain_text("first attempt: failing on purpose")
    panel.get_by_role("tab", name="Overview").click()
    attempts = panel.get_by_role("table", name="Attempts")
    expect(attempts.locator("tbody tr")).to_have_count(2)
    expect(node(page, "flaky")).to_contain_text("2 attempts")


def test_timeline_parameters_and_spec_tabs(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["done"]
    page.goto(f"/runs/{run_id}")
    tabs = page.get_by_role("tablist", name="Run views")
    tabs.get_by_role("tab", name="Timeline").click()
    expect(page).to_have_url(re.compile(r"view=timeline"))
    expect(page.get_by_test_id("bar-exit-handler-1/gate")).to_be_visible()
    expect(page.get_by_test_id(f"bar-{LOOP}[2]/inner/square")).to_be_visible()
    page.get_by_test_id("bar-shout").click()  # a bar opens its task
    expect(page.get_by_role("complementary", name="Task details")).to_contain_text("shout")
    tabs.get_by_role("tab", name="Parameters").click()
    parameters = page.get_by_role("table", name="Run parameters")
    expect(parameters).to_contain_text("gate_file")
    expect(parameters).to_contain_text(str(ui_server.folder / "open"))
    tabs.get_by_role("tab", name="Spec").click()
    expect(page.get_by_label("Pipeline spec")).to_contain_text('"name": "ui-showcase"')
    page.reload()
    expect(tabs.get_by_role("tab", name="Spec")).to_have_attribute("aria-selected", "true")
    page.go_back()
    expect(tabs.get_by_role("tab", name="Parameters")).to_have_attribute("aria-selected", "true")


def test_cache_tab_links_a_hit_to_its_source(ui_server: UiServer, page: Page) -> None:
    run_id = ui_server.runs["done"]
    hit = f"{LOOP}[0]/inner/square-2"
    page.goto(f"/runs/{run_id}?task={hit}&tab=cache")
    panel = page.get_by_role("complementary", name="Task details")
    cache = panel.get_by_test_id("cache")
    expect(cache).to_contain_text("CACHE HIT")
    source = f"{LOOP}[0]/inner/square"
    cache.get_by_role("link", name=f"task {source} of run showcase-done").click()
    expect(panel.get_by_role("heading", name="square", exact=True)).to_be_visible()
    assert parse_qs(urlsplit(page.url).query)["task"] == [source]
    # The Overview says so too, with the same link.
    page.goto(f"/runs/{run_id}?task={hit}")
    expect(panel.get_by_test_id("cache-source").get_by_role("link")).to_have_text(
        f"task {source} of run showcase-done"
    )
    # The cached task's log tab says where the log is, and links to it.
    page.goto(f"/runs/{run_id}?task={hit}&tab=logs")
    panel.get_by_role("link", name="Open the log of the task it reused.").click()
    expect(panel.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")
    expect(panel.get_by_role("heading", name="square", exact=True)).to_be_visible()
    expect(panel.get_by_test_id("log")).to_have_attribute("data-ended", "true")
    # A miss says why.
    page.goto(f"/runs/{run_id}?task={LOOP}[1]/inner/square&tab=cache")
    expect(cache).to_contain_text("NO CACHE HIT")
    expect(cache).to_contain_text("cache miss")


def test_terminate_a_running_run(ui_server: UiServer, page: Page) -> None:
    gate = ui_server.folder / "gate-terminate"
    run_id = ui_server.submit_showcase("showcase-terminate", gate)
    page.goto(f"/runs/{run_id}?expand=exit-handler-1")
    try:
        expect(node(page, "exit-handler-1/gate")).to_have_attribute(
            "data-state", "RUNNING", timeout=60_000
        )
        page.get_by_role("button", name="Terminate").click()
        header = page.locator(".run-header .badge")
        expect(header).to_have_attribute("data-state", "CANCELED", timeout=30_000)
        expect(node(page, "exit-handler-1/gate")).to_have_attribute("data-state", "CANCELED")
        expect(page.get_by_role("button", name="Retry")).to_be_visible()
    finally:
        gate.write_text("")
    assert ui_server.run_state(run_id) == "CANCELED"
