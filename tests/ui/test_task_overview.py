"""The task panel's Overview (design acceptance tests 20 and 23): parameter values of every
type with their declared types, artifacts with type, URI and size (none for an imported
file outside the run's root), and a failed task's error with the last lines it printed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.diff_pipelines import evaluated
from tests.ui.panel_pipelines import DATA_BYTES, panel_failing, panel_typed
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _submit(ui: UiServer, pipeline: Any, name: str) -> str:
    package = compile_to(pipeline, str(ui.folder / f"{pipeline.name}.yaml"))
    return str(ui.client.create_run_from_pipeline_package(package, run_name=name).run_id)


def _rows(table: Any) -> dict[str, tuple[str, str]]:
    """A parameters table as {name: (value, type)}."""
    found: dict[str, tuple[str, str]] = {}
    for row in table.locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        found[row.locator("th").inner_text()] = (cells[0], cells[1])
    return found


def test_parameters_of_every_type_and_artifacts_with_size(ui_server: UiServer, page: Page) -> None:
    run_id = _submit(ui_server, panel_typed, "panel-typed")
    assert ui_server.wait_run(run_id) == "SUCCEEDED"
    page.goto(f"/runs/{run_id}?task=typed-values")
    panel = page.get_by_role("complementary", name="Task details")
    inputs = panel.get_by_role("table", name="Inputs")
    expect(inputs.locator("tbody tr")).to_have_count(6)
    # Each value with the type the component declares: 2.0 is a float, though JSON says 2.
    assert _rows(inputs) == {
        "count": ("3", "int"),
        "rate": ("2", "float"),
        "flag": ("true", "bool"),
        "name": ("hello", "string"),
        "items": ("[1,2]", "list"),
        "config": ('{"depth":2}', "dict"),
    }
    outputs = panel.get_by_role("table", name="Outputs")
    expect(outputs.locator("tbody tr")).to_have_count(1)
    assert _rows(outputs) == {"Output": ("4", "float")}
    # The artifact: its type, its URI and its size, as the store and the file have them.
    detail = httpx.get(f"{ui_server.url}/apis/sluice/v1/runs/{run_id}/tasks/typed-values").json()
    (data,) = [a for a in detail["artifacts"] if a["output_key"] == "data"]
    assert data["size"] == DATA_BYTES
    row = panel.get_by_role("table", name="Artifacts").locator("tbody tr", has_text="output data")
    expect(row).to_contain_text("system.Dataset")
    expect(row.locator("code")).to_have_text(data["uri"])
    expect(row.get_by_test_id("artifact-size")).to_have_text("2.0 KiB")


def test_a_failed_task_shows_its_error_and_last_log_lines(ui_server: UiServer, page: Page) -> None:
    run_id = _submit(ui_server, panel_failing, "panel-failing")
    assert ui_server.wait_run(run_id) == "FAILED"
    page.goto(f"/runs/{run_id}")
    # The first failed task is selected by itself, on its Overview.
    expect(page).to_have_url(re.compile(r"task=fail-loudly"))
    panel = page.get_by_role("complementary", name="Task details")
    error = panel.get_by_role("alert")
    expect(error).to_contain_text("the loud failure")
    expect(error.get_by_label("Last log lines")).to_have_text(
        re.compile(r"loud step 0 done\s+loud step 1 done\s+loud step 2 done")
    )


def test_an_imported_file_outside_the_run_root_has_no_size(ui_server: UiServer) -> None:
    """The importer's artifact is a file the run did not write (outside its artifact root):
    the task still answers, with no size, rather than the root check's 400."""
    target = ui_server.folder / "imported-for-size.json"
    target.write_text("{}")
    package = compile_to(evaluated, str(ui_server.folder / "evaluated-size.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package, arguments={"uri": str(target)}, run_name="imported-size"
    )
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    answer = httpx.get(f"{ui_server.url}/apis/sluice/v1/runs/{run.run_id}/tasks/importer")
    assert answer.status_code == 200, answer.text
    assert [artifact["size"] for artifact in answer.json()["artifacts"]] == [None]
