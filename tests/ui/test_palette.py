"""The search and command palette and the keyboard (design acceptance test 7): `/` or
Ctrl-K opens it, a run's name and Enter open the run, actions toggle the theme and compare
the selected runs; j/k move in the run list; Esc closes the side panel; `?` lists the keys."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_slash_opens_the_palette_and_enter_opens_a_run(ui_server: UiServer, page: Page) -> None:
    page.goto("/runs")
    expect(page.locator("tbody tr").first).to_be_visible()
    page.keyboard.press("/")
    dialog = page.get_by_role("dialog", name="Search")
    box = dialog.get_by_role("combobox")
    expect(box).to_be_focused()
    box.fill("showcase-do")
    first = dialog.get_by_role("option").first
    expect(first).to_contain_text("showcase-done")
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{ui_server.url}/runs/{ui_server.runs['done']}")
    expect(dialog).to_be_hidden()
    # By id, from any page; Esc closes the palette only.
    page.keyboard.press("Control+k")
    expect(box).to_be_focused()
    box.fill(ui_server.runs["failed"])
    expect(dialog.get_by_role("option").first).to_contain_text("failing-run")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(f"{ui_server.url}/runs/{ui_server.runs['done']}")


def test_palette_actions_theme_and_compare_selected(ui_server: UiServer, page: Page) -> None:
    page.goto("/runs")
    expect(page.get_by_role("button", name="Theme: system")).to_be_visible()
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Search")
    dialog.get_by_role("combobox").fill("toggle theme")
    expect(dialog.get_by_role("option", name=re.compile("Toggle theme"))).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
    # Compare selected: offered once two runs are selected in the list.
    # Found by name (other modules' runs may fill the first page); the selection is kept
    # across the list's views.
    search = page.get_by_role("searchbox", name="Filter by name")
    search.fill("showcase-done")
    search.press("Enter")
    page.get_by_role("checkbox", name="Select showcase-done").check()
    search.fill("failing-run")
    search.press("Enter")
    page.get_by_role("checkbox", name="Select failing-run").check()
    page.keyboard.press("Control+k")  # "/" would be typed into the focused name box
    dialog.get_by_role("combobox").fill("compare")
    option = dialog.get_by_role("option", name=re.compile("Compare selected runs"))
    expect(option).to_contain_text("2 selected")
    option.click()
    runs = f"{ui_server.runs['done']},{ui_server.runs['failed']}"
    expect(page).to_have_url(f"{ui_server.url}/compare?runs={runs}")


def test_keys_list_focus_side_panel_and_help(ui_server: UiServer, page: Page) -> None:
    page.goto("/runs")
    rows = page.locator("tbody tr")
    expect(rows.nth(1)).to_be_visible()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("x")  # selects the focused row
    expect(rows.nth(0).get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_role("toolbar", name="Bulk actions")).to_contain_text("1 run selected")
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_contain_text("Ctrl-K")
    expect(help_dialog).to_contain_text("j / k")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.goto(f"/runs/{ui_server.runs['done']}?task=exit-handler-1/make-number")
    panel = page.get_by_role("complementary", name="Task details")
    expect(panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
