"""The Logs tab on a task that is still writing (design acceptance test 24): a 20,000-line
log grows while the task is RUNNING, Follow keeps its end in view, scrolling up pauses it
(and a button jumps back), search marks and steps through the matches, ANSI colours
render, and Download gives the whole file.

The task prints in parts held apart by gate files (``tests/ui/log_pipelines.py``), so
what the page shows at each step does not depend on how fast the machine is.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from tests.ui.conftest import UiServer
from tests.ui.log_pipelines import live_logged
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

# What the component prints: "00042 step 42", coloured ones wrapped in escape codes.
COMPONENT_LINE = re.compile(r"^(?:\x1b\[[0-9;]*m)?\d{5} step (\d+)")


def _submit(ui: UiServer, name: str, **arguments: Any) -> str:
    package = ui.folder / "live-log.yaml"
    if not package.exists():
        compile_to(live_logged, str(package))
    run = ui.client.create_run_from_pipeline_package(
        str(package), run_name=name, arguments=arguments
    )
    return str(run.run_id)


def _expect_at_end(page: Page, log: Locator) -> None:
    """Wait until the log box is scrolled to its end (what Follow keeps)."""
    page.wait_for_function(
        "box => box.scrollHeight - box.scrollTop - box.clientHeight < 24",
        arg=log.element_handle(),
    )


def test_a_20000_line_log_streams_live(ui_server: UiServer, page: Page) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second = ui_server.folder / f"live-{tag}-1", ui_server.folder / f"live-{tag}-2"
    token = f"needle-{tag}"
    run_id = _submit(
        ui_server, f"live-log-{tag}", first_gate=str(first), second_gate=str(second), tag=tag
    )
    try:
        page.goto(f"/runs/{run_id}?task=live-log&tab=logs")
        panel = page.get_by_role("complementary", name="Task details")
        log = panel.get_by_test_id("log")
        follow = panel.get_by_role("checkbox", name="Follow")
        # The first 10,000 lines, with the task held RUNNING at its first gate.
        expect(log).to_contain_text("10000 step 10000", timeout=60_000)
        expect(page.get_by_test_id("node-live-log")).to_have_attribute("data-state", "RUNNING")
        expect(log).to_have_attribute("data-ended", "false")
        expect(panel.get_by_test_id("log-status")).to_contain_text("Following the log")
        expect(log).not_to_contain_text("10001 step")
        expect(follow).to_be_checked()
        _expect_at_end(page, log)
        # Released: 9,999 more lines arrive while it still runs (held at the second gate),
        # and Follow keeps the end in view.
        first.write_text("")
        expect(log).to_contain_text("19999 step 19999", timeout=30_000)
        expect(log).to_have_attribute("data-ended", "false")
        expect(panel.get_by_test_id("log-lines")).to_have_text(
            re.compile(r"^(19,9\d\d|2\d,\d{3}) lines$")
        )
        _expect_at_end(page, log)
        # Scrolling up pauses Follow: the lines that arrive then leave the view where it is.
        log.hover()
        page.mouse.wheel(0, -5000)
        expect(follow).not_to_be_checked()
        expect(log).to_have_attribute("data-follow", "false")
        second.write_text("")
        expect(log).to_have_attribute("data-ended", "true", timeout=30_000)
        expect(log).to_contain_text("the last line of the live log")
        expect(panel.get_by_test_id("log-status")).to_contain_text("ended (succeeded)")
        assert log.evaluate("box => box.scrollHeight - box.scrollTop - box.clientHeight") > 1000
        jump = panel.get_by_role("button", name=re.compile(r"new lines?$"))
        expect(jump).to_be_visible()
        jump.click()
        expect(follow).to_be_checked()
        _expect_at_end(page, log)
        expect(jump).to_have_count(0)
        # Search marks every match (lines 500, 1,500, ... 19,500) and steps through them.
        search = panel.get_by_role("searchbox", name="Search the log")
        search.fill(token)
        expect(panel.get_by_test_id("log-matches")).to_have_text("20 matches")
        expect(log.locator("mark")).to_have_count(20)
        search.press("Enter")
        expect(panel.get_by_test_id("log-matches")).to_have_text("1 of 20")
        expect(log.locator("mark.current")).to_have_text(token)
        expect(log.locator("mark.current")).to_be_in_viewport()
        expect(follow).not_to_be_checked()  # looking at a match is not following
        panel.get_by_role("button", name="Previous match").click()
        expect(panel.get_by_test_id("log-matches")).to_have_text("20 of 20")
        # ANSI colours render as styles, not as escape codes.
        expect(log.locator(".ansi-red.ansi-bold", has_text="10000 step 10000 ERROR")).to_have_count(
            1
        )
        expect(log.locator(".ansi-green", has_text="00100 step 100 ok")).to_have_count(1)
        expect(log).not_to_contain_text("[1;31m")
        # Download: the whole file, every line once, escape codes kept.
        with page.expect_download() as download:
            panel.get_by_role("link", name="Download", exact=True).click()
        text = Path(download.value.path()).read_text()
        numbers = [
            int(match.group(1))
            for line in text.splitlines()
            if (match := COMPONENT_LINE.match(line))
        ]
        assert numbers == list(range(1, 20_001))
        assert "\x1b[1;31m10000 step 10000 ERROR checkpoint\x1b[0m" in text
        assert ui_server.wait_run(run_id) == "SUCCEEDED"
    finally:
        first.touch()
        second.touch()
