"""Pipelines: upload by drag-and-drop, Upload version and the version picker, the static
graph against a run's graph, delete with its versions (design acceptance tests 22, 43)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.form_pipelines import typed
from tests.ui.pipelines import compile_to, retried, showcase

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _drop(page: Page, path: Path) -> None:
    """Drop the file ``path`` on the page's drop zone, as a user dragging it from a file
    manager does (a DataTransfer holding a File)."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "application/x-yaml" }));
            return transfer;
        }""",
        [path.name, path.read_text()],
    )
    page.get_by_test_id("dropzone").first.dispatch_event("drop", {"dataTransfer": transfer})


def _node_ids(page: Page) -> set[str]:
    ids = page.locator("[data-testid^='node-']").evaluate_all(
        "nodes => nodes.map(node => node.dataset.testid)"
    )
    return set(ids)


def test_drop_upload_then_a_version_and_the_picker(ui_server: UiServer, page: Page) -> None:
    first = Path(compile_to(typed, str(ui_server.folder / "dropped-typed.yaml")))
    second = Path(compile_to(retried, str(ui_server.folder / "second-version.yaml")))
    page.goto("/pipelines")
    _drop(page, first)
    expect(page).to_have_url(re.compile(r"/pipelines/[0-9a-f]{32}$"))
    expect(page.get_by_role("heading", name="dropped-typed")).to_be_visible()
    expect(page.get_by_test_id("node-score")).to_be_visible()
    picker = page.get_by_role("combobox", name="Version")
    expect(picker.locator("option")).to_have_count(1)

    page.get_by_label("Upload version").set_input_files(str(second))
    expect(picker.locator("option")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"version="))
    expect(page.get_by_test_id("node-flaky")).to_be_visible()
    expect(page.get_by_test_id("node-score")).to_have_count(0)
    # The picker switches the graph back to the first version.
    picker.select_option(index=1)
    expect(page.get_by_test_id("node-score")).to_be_visible()
    expect(page.get_by_test_id("node-flaky")).to_have_count(0)

    page.get_by_role("tab", name="Parameters").click()
    table = page.get_by_role("table", name="Parameters")
    expect(table.get_by_role("row", name=re.compile(r"count NUMBER_INTEGER 3"))).to_be_visible()
    page.get_by_role("tab", name="Spec").click()
    expect(page.get_by_label("Pipeline spec")).to_contain_text("pipelineInfo:")

    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("alertdialog", name="Delete pipeline")
    expect(dialog).to_contain_text("its 2 versions")
    expect(dialog).to_contain_text("Runs made from it are kept")
    dialog.get_by_role("button", name="Delete pipeline and versions").click()
    expect(page).to_have_url(re.compile(r"/pipelines$"))
    expect(page.get_by_role("link", name="dropped-typed")).to_have_count(0)


def test_static_graph_has_the_run_graphs_nodes(ui_server: UiServer, page: Page) -> None:
    package = compile_to(showcase, str(ui_server.folder / "showcase-static.yaml"))
    pipeline = ui_server.client.upload_pipeline(package, pipeline_name="showcase-static")
    version = ui_server.client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    gate = ui_server.folder / "open"  # the session fixture's open gate
    run = ui_server.client.run_pipeline(
        experiment_id=ui_server.client.get_experiment(experiment_name="Default").experiment_id,
        job_name="showcase-static-run",
        params={"gate_file": str(gate)},
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
    )
    page.goto(f"/pipelines/{pipeline.pipeline_id}")
    expect(page.get_by_test_id("node-exit-handler-1")).to_be_visible()
    static = _node_ids(page)
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    page.goto(f"/runs/{run.run_id}")
    expect(page.get_by_test_id("node-exit-handler-1")).to_have_attribute("data-state", "SUCCEEDED")
    assert _node_ids(page) == static
    # Create run starts the form on this pipeline and version.
    page.goto(f"/pipelines/{pipeline.pipeline_id}")
    page.get_by_role("link", name="Create run", exact=True).click()
    expect(page.get_by_role("combobox", name="Pipeline")).to_have_value(pipeline.pipeline_id)
    expect(page.get_by_label("gate_file", exact=True)).to_have_value("/nonexistent")
    assert httpx.get(f"{ui_server.server.api}/runs/{run.run_id}").status_code == 200
