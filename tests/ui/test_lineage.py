"""The lineage explorer: upstream from a Model, one hop downstream at a time, labelled
INPUT/OUTPUT edges, click for details, double click to re-centre, exports, and a cached
run's lineage reaching the original execution (design acceptance test 50)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.meta_pipelines import compiler_to, model_id, trained_runs

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

UI = "/apis/sluice/v1"


def _executions(ui_server: UiServer, run_id: str) -> dict[str, dict[str, object]]:
    found = httpx.get(
        f"{ui_server.url}{UI}/executions", params={"filter": f'run_id="{run_id}"'}
    ).json()["executions"]
    return {str(e["task_path"]): e for e in found}


def _artifacts(ui_server: UiServer, run_id: str) -> dict[str, int]:
    found = httpx.get(
        f"{ui_server.url}{UI}/artifacts", params={"filter": f'run_id="{run_id}"'}
    ).json()["artifacts"]
    return {str(a["name"]): int(a["id"]) for a in found}


def test_upstream_then_downstream_hop_by_hop(ui_server: UiServer, page: Page) -> None:
    run_id = trained_runs(ui_server)["good"]
    model = model_id(ui_server.url, run_id)
    executions = _executions(ui_server, run_id)
    artifacts = _artifacts(ui_server, run_id)
    train, preprocess, evaluate = (
        executions[name]["id"] for name in ("train", "preprocess", "evaluate")
    )
    page.goto(f"/lineage?artifact={model}&dir=up")
    graph = page.get_by_test_id("lineage-graph")
    for key in (f"a{model}", f"e{train}", f"a{artifacts['train_data']}", f"e{preprocess}"):
        expect(graph.get_by_test_id(f"lineage-{key}")).to_be_visible()
    expect(graph.get_by_test_id(f"lineage-e{train}")).to_have_attribute("data-kind", "execution")
    expect(graph.get_by_test_id(f"lineage-e{train}")).to_contain_text("COMPLETE")
    expect(graph.get_by_test_id(f"lineage-a{model}")).to_contain_text("system.Model")
    for label in ("OUTPUT model", "INPUT train_data", "OUTPUT train_data"):
        expect(graph.locator(".react-flow__edge-text", has_text=label)).to_have_count(1)
    expect(graph.get_by_test_id(f"lineage-e{evaluate}")).to_have_count(0)
    side = page.get_by_role("complementary", name="Node details")
    # One hop downstream from the model adds evaluate; one more from evaluate adds its outputs.
    side.get_by_role("button", name="Expand downstream").click()
    expect(graph.get_by_test_id(f"lineage-e{evaluate}")).to_be_visible()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['metrics']}")).to_have_count(0)
    graph.get_by_test_id(f"lineage-e{evaluate}").click()
    expect(side.get_by_role("heading", name="evaluate")).to_be_visible()
    side.get_by_role("button", name="Expand downstream").click()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['metrics']}")).to_be_visible()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['confusion']}")).to_be_visible()
    # The selection and the hops added are in the URL: a reload shows the same graph.
    expect(page).to_have_url(re.compile(rf"node=e{evaluate}"))
    expect(page).to_have_url(re.compile(rf"more=a{model}%3Adown%2Ce{evaluate}%3Adown"))
    page.reload()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['confusion']}")).to_be_visible()
    expect(graph.get_by_test_id(f"lineage-e{preprocess}")).to_be_visible()
    expect(side.get_by_role("heading", name="evaluate")).to_be_visible()
    # Back undoes the last hop.
    page.go_back()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['confusion']}")).to_have_count(0)
    expect(graph.get_by_test_id(f"lineage-e{evaluate}")).to_be_visible()
    page.go_forward()
    expect(graph.get_by_test_id(f"lineage-a{artifacts['confusion']}")).to_be_visible()
    # Clicking opens the node's details.
    side.get_by_role("link", name="Open details").click()
    expect(page).to_have_url(f"{ui_server.url}/executions/{evaluate}")
    expect(page.get_by_role("heading", name="evaluate")).to_be_visible()


def test_double_click_recentres_and_exports(
    ui_server: UiServer, page: Page, tmp_path: Path
) -> None:
    run_id = trained_runs(ui_server)["good"]
    model = model_id(ui_server.url, run_id)
    data = _artifacts(ui_server, run_id)["train_data"]
    page.goto(f"/lineage?artifact={model}&dir=up&hops=2")
    graph = page.get_by_test_id("lineage-graph")
    expect(graph.get_by_test_id(f"lineage-a{data}")).to_be_visible()
    with page.expect_download() as dot:
        page.get_by_role("link", name="Export DOT").click()
    text = Path(dot.value.path()).read_text()
    assert text.startswith("digraph lineage {") and f"a{model} [shape=box" in text
    with page.expect_download() as mermaid:
        page.get_by_role("link", name="Export Mermaid").click()
    assert Path(mermaid.value.path()).read_text().startswith("graph LR")
    with page.expect_download() as shown:
        page.get_by_role("button", name="Export JSON").click()
    assert f'"root": "a{model}"' in Path(shown.value.path()).read_text()
    graph.get_by_test_id(f"lineage-a{data}").dblclick()
    expect(page).to_have_url(re.compile(rf"/lineage\?artifact={data}&dir=up&hops=2$"))
    expect(graph.get_by_test_id(f"lineage-a{data}")).to_have_class(re.compile(r"\broot\b"))
    expect(graph.get_by_test_id(f"lineage-a{model}")).to_have_count(0)
    page.get_by_role("combobox", name="Direction").select_option("down")
    expect(graph.get_by_test_id(f"lineage-a{model}")).to_be_visible()


def test_a_cached_runs_lineage_reaches_the_original_execution(
    ui_server: UiServer, page: Page
) -> None:
    package = compiler_to(ui_server.folder / "meta-train.yaml")
    ids = []
    for name in ("meta-cache-source", "meta-cache-hit"):
        run = ui_server.client.create_run_from_pipeline_package(
            package, arguments={"accuracy": 0.7, "rows": 9}, run_name=name, enable_caching=True
        )
        assert ui_server.wait_run(str(run.run_id)) == "SUCCEEDED"
        ids.append(str(run.run_id))
    source, hit = (_executions(ui_server, run_id)["train"] for run_id in ids)
    assert hit["state"] == "CACHED" and hit["cached_execution_id"] == source["id"]
    page.goto(f"/lineage?execution={hit['id']}&dir=down&hops=1")
    graph = page.get_by_test_id("lineage-graph")
    expect(graph.get_by_test_id(f"lineage-e{hit['id']}")).to_contain_text("CACHED")
    model = next(
        key
        for key in graph.locator("[data-kind=artifact]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.testid)"
        )
    )
    graph.get_by_test_id(model).dblclick()
    # Re-centred on the reused model: upstream it was made by the original execution.
    page.get_by_role("combobox", name="Direction").select_option("up")
    expect(graph.get_by_test_id(f"lineage-e{source['id']}")).to_contain_text("COMPLETE")
    expect(graph.get_by_test_id(f"lineage-e{hit['id']}")).to_be_visible()
