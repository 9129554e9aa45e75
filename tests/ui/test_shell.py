"""The shell: the app at ``/`` beside the API, the theme, keyboard help, the smoke tour
(design acceptance tests 1, 3, 4, 6, 7)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.ui.conftest import UiServer

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

# The WCAG contrast ratio of an element's text against what is behind it: the backgrounds
# of it and its ancestors, translucent ones blended over those below, from the computed
# colours.
CONTRAST = """node => {
    const rgba = text => {
        const [r, g, b, a] = (text.match(/[0-9.]+/g) || []).map(Number);
        return [r, g, b, a === undefined ? 1 : a];
    };
    const layers = [];
    for (let at = node; at; at = at.parentElement) {
        const colour = rgba(getComputedStyle(at).backgroundColor);
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] === 1) break;
    }
    let behind = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) {
        behind = [r, g, b].map((v, i) => v * a + behind[i] * (1 - a));
    }
    const luminance = colour => {
        const linear = colour.slice(0, 3).map(v => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    };
    const a = luminance(rgba(getComputedStyle(node).color));
    const b = luminance(behind);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_app_at_root_beside_the_api(ui_server: UiServer, page: Page) -> None:
    root = httpx.get(ui_server.url + "/")
    assert root.status_code == 200
    assert '<div id="root">' in root.text
    health = httpx.get(ui_server.url + "/apis/v2beta1/healthz")
    assert health.headers["content-type"].startswith("application/json")
    page.goto("/")
    expect(page).to_have_url(f"{ui_server.url}/runs")
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_count(7)


def test_smoke_tour_stays_on_the_origin_without_errors(ui_server: UiServer, page: Page) -> None:
    # The page fixture fails the test on any request off 127.0.0.1 or any error logged.
    page.goto("/runs?q=showcase-done")  # other modules' runs may fill the first page
    page.get_by_role("link", name="showcase-done").click()
    expect(page.get_by_test_id("run-graph")).to_be_visible()
    expect(page.get_by_test_id("node-exit-handler-1")).to_be_visible()
    page.get_by_role("button", name="Expand all").click()
    page.get_by_test_id("node-exit-handler-1/make-number").click()
    expect(page.get_by_role("complementary", name="Task details")).to_be_visible()
    page.get_by_role("tab", name="Logs").click()
    for name in ("Experiments", "Pipelines", "Recurring runs", "Artifacts", "Executions"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_theme_follows_the_system_and_the_toggle_persists(
    ui_server: UiServer, browser: Browser
) -> None:
    context = browser.new_context(base_url=ui_server.url, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto("/runs")
        background = "getComputedStyle(document.body).backgroundColor"
        toggle = page.get_by_role("button", name="Theme: system")
        expect(toggle).to_be_visible()
        dark = page.evaluate(background)
        # Readable in the dark (WCAG AA, 4.5:1): a run's name, its state badge and its
        # created time in the list (the focused row's highlight included), a graph node's name.
        row = page.locator("tbody tr").first
        expect(row).to_be_visible()
        for part in (row.get_by_role("link").first, row.locator(".badge"), row.locator("td").last):
            assert part.evaluate(CONTRAST) >= 4.5, part
        page.goto(f"/runs/{ui_server.runs['done']}")
        name = page.get_by_test_id("node-shout").get_by_text("shout", exact=True)
        expect(name).to_be_visible()
        assert name.evaluate(CONTRAST) >= 4.5
        page.goto("/runs")
        toggle.click()  # system -> light
        expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
        light = page.evaluate(background)
        assert dark != light
        assert light == "rgb(255, 255, 255)"
        for part in (row.get_by_role("link").first, row.locator(".badge"), row.locator("td").last):
            assert part.evaluate(CONTRAST) >= 4.5, part
        page.reload()
        expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
        assert page.evaluate(background) == light
        page.get_by_role("button", name="Theme: light").click()  # light -> dark
        assert page.evaluate(background) == dark
        for part in (row.get_by_role("link").first, row.locator(".badge"), row.locator("td").last):
            assert part.evaluate(CONTRAST) >= 4.5, part
    finally:
        context.close()


def test_keyboard_help_and_list_focus(ui_server: UiServer, page: Page) -> None:
    page.goto("/runs")
    expect(page.get_by_role("row").nth(1)).to_be_visible()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("j / k")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    rows = page.locator("tbody tr")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    run_id = page.locator('tbody tr[aria-selected="true"]').get_attribute("data-run-id")
    page.keyboard.press("Enter")
    # A failed run opens with its first failed task selected (`?task=`): other modules'
    # runs decide which run is second.
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(ui_server.url)}/runs/{run_id}(\?task=[^&]+)?$")
    )
    page.goto("/runs")
    expect(rows.nth(1)).to_be_visible()
    page.keyboard.press("/")  # the search palette (tests/ui/test_palette.py)
    expect(page.get_by_role("dialog", name="Search").get_by_role("combobox")).to_be_focused()


def test_the_links_kfp_client_prints_open_the_run(ui_server: UiServer, page: Page) -> None:
    # kfp.Client prints "Run details: <host>/#/runs/details/<id>" (KFP's hash routes).
    run_id = ui_server.runs["done"]
    page.goto(f"/#/runs/details/{run_id}")
    expect(page).to_have_url(f"{ui_server.url}/runs/{run_id}")
    expect(page.get_by_role("heading", name="showcase-done")).to_be_visible()
