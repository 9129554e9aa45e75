"""The run graph's artifact nodes: the toolbar's Artifacts toggle (off by default, kept in
the URL), artifact nodes between producers and readers with labelled edges, at the top
level and inside a loop's iterations, a click opening the artifact's panel with links to
its details and lineage, a placeholder for an artifact never written, the pipeline
version's static graph by name and type, and a list of artifacts (a ``dsl.Collected``
fan-in) showing every item."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from tests.ui.artifact_pipelines import (
    artifact_flow,
    artifact_lists,
    artifact_live,
    artifact_pending,
)
from tests.ui.conftest import UiServer
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def artifact_runs(ui_server: UiServer) -> dict[str, str]:
    """A finished run of the artifact flow and a failed run with a Model never written,
    submitted through kfp.Client, and the flow uploaded as a pipeline."""
    flow = compile_to(artifact_flow, str(ui_server.folder / "artifact-flow.yaml"))
    pending = compile_to(artifact_pending, str(ui_server.folder / "artifact-pending.yaml"))
    runs = {
        "flow": ui_server.client.create_run_from_pipeline_package(flow, run_name="artifact-flow"),
        "pending": ui_server.client.create_run_from_pipeline_package(
            pending, run_name="artifact-pending"
        ),
    }
    ids = {name: str(run.run_id) for name, run in runs.items()}
    assert ui_server.wait_run(ids["flow"]) == "SUCCEEDED"
    assert ui_server.wait_run(ids["pending"]) == "FAILED"
    ids["pipeline"] = str(
        ui_server.client.upload_pipeline(flow, pipeline_name="artifact-flow-ui").pipeline_id
    )
    return ids


def test_toggle_draws_artifacts_and_a_click_opens_one(
    page: Page, artifact_runs: dict[str, str]
) -> None:
    page.goto(f"/runs/{artifact_runs['flow']}")
    expect(page.get_by_test_id("node-fit")).to_be_visible()
    # Off by default.
    expect(page.locator('[data-kind="artifact"]')).to_have_count(0)
    toggle = page.get_by_role("checkbox", name="Artifacts")
    expect(toggle).not_to_be_checked()
    # A click, then wait: the box is checked once the URL says so (a navigation).
    toggle.click()
    expect(toggle).to_be_checked()
    expect(page).to_have_url(re.compile(r"[?&]artifacts=1"))
    data = page.get_by_test_id("node-make-rows.data")
    expect(data).to_be_visible()
    expect(data).to_have_attribute("data-written", "true")
    expect(data).to_contain_text("Dataset")
    expect(page.get_by_test_id("node-fit.model")).to_contain_text("Model")
    expect(page.get_by_test_id("node-score.metrics")).to_be_visible()
    # task → artifact → task, labelled with the output's and the input's names; the
    # parameter stays on the task edge.
    expect(page.get_by_test_id("rf__edge-fit->fit.model")).to_contain_text("model")
    expect(page.get_by_test_id("rf__edge-fit.model->score")).to_contain_text("model")
    expect(page.get_by_test_id("rf__edge-make-rows.data->score")).to_contain_text("data")
    expect(page.get_by_test_id("rf__edge-fit->score")).to_have_text("baseline")
    expect(page.get_by_test_id("rf__edge-make-rows->fit")).to_have_count(0)

    # Inside a loop's iterations, once its box is open.
    expect(page.get_by_test_id("node-for-loop-2[0]/make-rows-2.data")).to_have_count(0)
    page.get_by_role("button", name="Expand all").click()
    inner = page.get_by_test_id("node-for-loop-2[1]/make-rows-2.data")
    expect(inner).to_be_visible()
    expect(
        page.get_by_test_id("rf__edge-for-loop-2[1]/make-rows-2.data->for-loop-2[1]/fit-2")
    ).to_have_count(1)

    # A click opens its panel, in the URL; its links lead to its details and lineage.
    page.get_by_test_id("node-fit.model").click()
    panel = page.get_by_role("complementary", name="Artifact")
    expect(panel.get_by_role("heading", name="model")).to_be_visible()
    expect(panel).to_contain_text("system.Model")
    expect(panel.get_by_role("list", name="Read by")).to_contain_text("score")
    expect(page).to_have_url(re.compile(r"[?&]artifact=fit\.model"))
    expect(panel.get_by_role("link", name="Lineage")).to_have_attribute(
        "href", re.compile(r"/lineage\?artifact=\d+")
    )
    # The producer is one click away; then back with the browser.
    panel.get_by_role("button", name="fit", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]task=fit(&|$)"))
    page.go_back()
    panel.get_by_role("link", name="Open details").click()
    expect(page).to_have_url(re.compile(r"/artifacts/\d+$"))
    expect(page.get_by_text("system.Model").first).to_be_visible()

    # A reload of the deep link keeps the toggle and the selection.
    page.go_back()
    page.reload()
    expect(page.get_by_role("checkbox", name="Artifacts")).to_be_checked()
    expect(page.get_by_role("complementary", name="Artifact")).to_be_visible()
    # The finder finds artifacts too.
    page.keyboard.press("Escape")
    page.keyboard.press("f")
    page.get_by_role("combobox", name="Find a task").fill("score.metrics")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]artifact=score\.metrics"))
    # The panel shows the artifact in its viewer: a Metrics artifact's table.
    metrics = page.get_by_role("complementary", name="Artifact")
    expect(metrics.get_by_role("table", name="Metrics score.metrics")).to_contain_text("accuracy")


def test_an_artifact_node_fills_in_when_written(page: Page, ui_server: UiServer) -> None:
    gate = ui_server.folder / "artifact-live-gate"
    package = compile_to(artifact_live, str(ui_server.folder / "artifact-live.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(
        package, arguments={"gate_file": str(gate)}, run_name="artifact-live"
    )
    page.goto(f"/runs/{run.run_id}?artifacts=1")
    data = page.get_by_test_id("node-rows-after-gate.data")
    expect(page.get_by_test_id("node-rows-after-gate")).to_have_attribute("data-state", "RUNNING")
    expect(data).to_have_attribute("data-written", "false")
    gate.write_text("")
    # The run's events say the producer ended: the node fills in without a reload.
    expect(data).to_have_attribute("data-written", "true", timeout=60_000)
    expect(page.get_by_test_id("node-fit.model")).to_have_attribute(
        "data-written", "true", timeout=60_000
    )
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"


def test_an_artifact_never_written_is_a_placeholder(
    page: Page, artifact_runs: dict[str, str]
) -> None:
    page.goto(f"/runs/{artifact_runs['pending']}?artifacts=1")
    expect(page.get_by_test_id("node-make-rows.data")).to_have_attribute("data-written", "true")
    model = page.get_by_test_id("node-fit.model")
    expect(model).to_have_attribute("data-written", "false")
    expect(model).to_contain_text("pending")
    model.click()
    panel = page.get_by_role("complementary", name="Artifact")
    expect(panel).to_contain_text("Not written yet")
    expect(panel.get_by_role("link", name="Open details")).to_have_count(0)


def test_the_static_graph_has_artifacts_by_type(page: Page, artifact_runs: dict[str, str]) -> None:
    page.goto(f"/pipelines/{artifact_runs['pipeline']}")
    expect(page.get_by_test_id("node-fit")).to_be_visible()
    expect(page.locator('[data-kind="artifact"]')).to_have_count(0)
    page.get_by_role("checkbox", name="Artifacts").click()
    expect(page.get_by_role("checkbox", name="Artifacts")).to_be_checked()
    model = page.get_by_test_id("node-fit.model")
    expect(model).to_have_attribute("data-written", "false")
    expect(model).to_contain_text("Model")
    expect(page.get_by_test_id("rf__edge-artifact-prep.Output->fit-3")).to_have_count(1)
    model.click()
    expect(page.get_by_role("complementary", name="Artifact")).to_contain_text("system.Model")


@pytest.fixture(scope="module")
def list_run(ui_server: UiServer) -> str:
    """A finished run whose loop's three Datasets and nested pipeline's three Datasets are
    collected into lists."""
    package = compile_to(artifact_lists, str(ui_server.folder / "artifact-lists.yaml"))
    run = ui_server.client.create_run_from_pipeline_package(package, run_name="artifact-lists")
    assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
    return str(run.run_id)


@pytest.mark.parametrize(
    ("node_id", "folder"),
    [
        ("for-loop-2.pipelinechannel--make-rows-data", "for-loop-2-{}"),
        ("artifact-fan.Output", "artifact-fan/for-loop-1-{}"),
    ],
    ids=["collected-loop", "nested-pipeline-list"],
)
def test_a_list_of_artifacts_shows_every_item(
    page: Page, list_run: str, node_id: str, folder: str
) -> None:
    page.goto(f"/runs/{list_run}?artifacts=1")
    node = page.get_by_test_id(f"node-{node_id}")
    expect(node).to_have_attribute("data-written", "true")
    node.click()
    panel = page.get_by_role("complementary", name="Artifact")
    # Every item's URI, not only the first's.
    uris = [f"{folder.format(index)}/make-rows/data" for index in range(3)]
    for uri in uris:
        expect(panel).to_contain_text(uri)
    items = panel.get_by_role("list", name="Items")
    expect(items.get_by_role("listitem")).to_have_count(3)
    # In the list's order, each with its own links and viewer: the loop's iteration i
    # wrote the Dataset of i + 1 rows (4 + i in the nested pipeline).
    first_rows = 1 if node_id.startswith("for-loop") else 4
    details: set[str | None] = set()
    for index, uri in enumerate(uris):
        item = items.get_by_role("listitem").nth(index)
        expect(item).to_contain_text(uri)
        details.add(item.get_by_role("link", name="Open details").get_attribute("href"))
        expect(item.get_by_role("link", name="Lineage")).to_have_attribute(
            "href", re.compile(r"/lineage\?artifact=\d+")
        )
        preview = item.get_by_role("table", name=f"Preview {node_id}[{index}]")
        expect(preview.locator("tbody tr")).to_have_count(first_rows + index)
    assert len(details) == 3, details
    # The node says it holds three artifacts, not one.
    expect(node).to_have_attribute("data-count", "3")
    expect(node).to_contain_text("3 items")
