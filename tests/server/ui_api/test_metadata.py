"""N10 metadata lists and details, N11 lineage and N12 search, against a real server
executing runs submitted by the unmodified ``kfp.Client``."""

from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.ui_api.runs_helpers import UI, wait_run
from tests.ui.meta_pipelines import meta_train
from tests.ui.pipelines import compile_to, failing

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def runs(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two train runs (accuracy 0.9 and 0.3) and a failed run."""
    folder = Path(tmp_path_factory.mktemp("meta-api-pkg"))
    client = kfp.Client(host=server.url)
    package = compile_to(meta_train, str(folder / "train.yaml"))
    good = client.create_run_from_pipeline_package(
        package, arguments={"accuracy": 0.9}, run_name="meta-good", enable_caching=False
    )
    bad = client.create_run_from_pipeline_package(
        package, arguments={"accuracy": 0.3}, run_name="meta-bad", enable_caching=False
    )
    fail = client.create_run_from_pipeline_package(
        compile_to(failing, str(folder / "failing.yaml")), run_name="meta-failing"
    )
    assert wait_run(server, good.run_id) == "SUCCEEDED"
    assert wait_run(server, bad.run_id) == "SUCCEEDED"
    assert wait_run(server, fail.run_id) == "FAILED"
    return {"good": good.run_id, "bad": bad.run_id, "failing": fail.run_id}


def _get(server: RunningServer, path: str, **params: Any) -> Any:
    response = httpx.get(f"{server.url}{UI}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _model_of(server: RunningServer, run_id: str) -> dict[str, Any]:
    page = _get(server, "/artifacts", filter=f'schema_title="system.Model" AND run_id="{run_id}"')
    (model,) = page["artifacts"]
    return dict(model)


def test_artifact_filter_on_type_and_metadata(server: RunningServer, runs: dict[str, str]) -> None:
    page = _get(
        server,
        "/artifacts",
        filter='schema_title="system.Model" AND metadata.accuracy.number_value>0.5',
    )
    assert [(a["run_id"], a["metadata"]["accuracy"]) for a in page["artifacts"]] == [
        (runs["good"], 0.9)
    ]
    assert page["facets"]["system.Model"] == 2
    assert "schema_title" in page["filter_fields"] and "metadata." in page["filter_fields"]


def test_bad_filter_is_a_400_naming_the_column(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}{UI}/artifacts", params={"filter": "bogus = 1"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "column 1" in message and "unknown field 'bogus'" in message


def test_artifacts_page_without_duplicates(server: RunningServer, runs: dict[str, str]) -> None:
    seen: list[int] = []
    token = None
    while True:
        params: dict[str, Any] = {"page_size": 2, "order_by": "id"}
        if token:
            params["page_token"] = token
        page = _get(server, "/artifacts", **params)
        seen += [a["id"] for a in page["artifacts"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == sorted(set(seen)) and len(seen) >= 8


def test_artifact_detail_names_producer_and_consumer(
    server: RunningServer, runs: dict[str, str]
) -> None:
    model = _model_of(server, runs["good"])
    detail = _get(server, f"/artifacts/{model['id']}")
    assert [e["task_path"] for e in detail["producers"]] == ["train"]
    assert [e["task_path"] for e in detail["consumers"]] == ["evaluate"]
    assert {(e["type"], e["name"]) for e in detail["events"]} == {
        ("OUTPUT", "model"),
        ("INPUT", "model"),
    }
    assert httpx.get(f"{server.url}{UI}/artifacts/999999").status_code == 404


def test_failed_execution_filter_and_detail(server: RunningServer, runs: dict[str, str]) -> None:
    page = _get(server, "/executions", filter='state="FAILED"')
    failed = [e for e in page["executions"] if e["run_id"] == runs["failing"]]
    assert failed and failed[0]["task_path"] and failed[0]["error"]
    assert page["facets"]["FAILED"] >= 1
    train = _get(server, "/executions", filter=_train_filter(runs))
    (execution,) = train["executions"]
    detail = _get(server, f"/executions/{execution['id']}")
    assert [a["schema_title"] for a in detail["inputs"]] == ["system.Dataset"]
    assert [a["schema_title"] for a in detail["outputs"]] == ["system.Model"]


def test_contexts_list_and_detail(server: RunningServer, runs: dict[str, str]) -> None:
    page = _get(server, "/contexts", filter='schema_title="system.PipelineRun"')
    run_context = next(c for c in page["contexts"] if c["name"] == runs["good"])
    detail = _get(server, f"/contexts/{run_context['id']}")
    assert {e["task_path"] for e in detail["executions"]} >= {"preprocess", "train", "evaluate"}
    assert {a["schema_title"] for a in detail["artifacts"]} >= {"system.Model", "system.Metrics"}


def _train_filter(runs: dict[str, str]) -> str:
    return f'run_id="{runs["good"]}" AND component="comp-train"'


def _names(graph: dict[str, Any]) -> set[str]:
    return {a["name"] for a in graph["artifacts"]} | {e["task_path"] for e in graph["executions"]}


def test_lineage_hop_by_hop(server: RunningServer, runs: dict[str, str]) -> None:
    model = _model_of(server, runs["good"])
    up = _get(server, f"/artifacts/{model['id']}/lineage", direction="upstream")
    assert _names(up) == {"model", "train", "train_data", "preprocess"}
    assert up["root"] == f"a{model['id']}"
    labels = {(e["type"], e["name"]) for e in up["events"]}
    assert labels == {("OUTPUT", "model"), ("INPUT", "train_data"), ("OUTPUT", "train_data")}
    one = _get(server, f"/artifacts/{model['id']}/lineage", direction="downstream", max_hops=1)
    assert _names(one) == {"model", "evaluate"}
    two = _get(server, f"/artifacts/{model['id']}/lineage", direction="downstream", max_hops=2)
    assert _names(two) == {"model", "evaluate", "metrics", "confusion"}


def test_execution_lineage_and_exports(server: RunningServer, runs: dict[str, str]) -> None:
    train = _get(server, "/executions", filter=_train_filter(runs))
    execution_id = train["executions"][0]["id"]
    near = _get(server, f"/executions/{execution_id}/lineage", max_hops=1)
    assert _names(near) == {"train_data", "train", "model"}
    assert near["root"] == f"e{execution_id}"
    whole = _get(server, f"/executions/{execution_id}/lineage")
    assert {"preprocess", "evaluate", "metrics"} <= _names(whole)
    base = f"{server.url}{UI}/executions/{execution_id}/lineage:export"
    dot = httpx.get(base, params={"format": "dot", "max_hops": 1})
    assert dot.status_code == 200 and dot.text.startswith("digraph lineage {")
    assert (
        f"e{execution_id} [shape=ellipse" in dot.text
        and "attachment" in dot.headers["content-disposition"]
    )
    model = _model_of(server, runs["good"])
    mermaid = httpx.get(
        f"{server.url}{UI}/artifacts/{model['id']}/lineage:export", params={"format": "mermaid"}
    )
    assert mermaid.text.startswith("graph LR") and f"class a{model['id']} root" in mermaid.text
    bad = httpx.get(f"{server.url}{UI}/artifacts/{model['id']}/lineage", params={"direction": "x"})
    assert bad.status_code == 422 or bad.status_code == 400


def test_search_finds_runs_artifacts_and_ids(server: RunningServer, runs: dict[str, str]) -> None:
    hits = _get(server, "/search", q="meta-go")["hits"]
    assert hits[0] == {
        "kind": "run",
        "id": runs["good"],
        "name": "meta-good",
        "detail": "SUCCEEDED",
        "url": f"/runs/{runs['good']}",
    }
    by_id = _get(server, "/search", q=runs["bad"])["hits"]
    assert by_id[0]["name"] == "meta-bad"
    artifacts = _get(server, "/search", q="confusion")["hits"]
    assert {h["kind"] for h in artifacts} == {"artifact"} and len(artifacts) == 2
    assert artifacts[0]["url"].startswith("/artifacts/")
    assert httpx.get(f"{server.url}{UI}/search", params={"q": ""}).status_code in (400, 422)


def test_run_summaries_count_tasks_in_one_query(
    server: RunningServer, runs: dict[str, str]
) -> None:
    page = _get(server, "/runs", q="meta-")
    counts = {run["display_name"]: run["task_counts"] for run in page["runs"]}
    assert counts["meta-good"] == {"SUCCEEDED": 3}
    assert counts["meta-failing"].get("FAILED") == 1
