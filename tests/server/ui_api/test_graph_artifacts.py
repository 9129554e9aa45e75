"""N2's artifact nodes (``?artifacts=true``): each task's output artifacts between their
producer and the tasks of the same level that read them, in loop iterations and nested
pipelines too, against runs submitted with the unmodified ``kfp.Client``; a Model its
producer never wrote stays a placeholder; the version's static graph has them by type; a
list of artifacts (a ``dsl.Collected`` fan-in) has every item."""

from pathlib import Path

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.ui_api.runs_helpers import UI, wait_run
from tests.ui.artifact_pipelines import artifact_flow, artifact_lists, artifact_pending
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _run(server: RunningServer, tmp_path: Path, pipeline: object, name: str, ends: str) -> str:
    """Submit ``pipeline`` compiled, with the unmodified kfp.Client; its run id, once it
    ended ``ends``."""
    client = kfp.Client(host=server.url)
    package = compile_to(pipeline, str(tmp_path / f"{name}.yaml"))
    run_id = str(client.create_run_from_pipeline_package(package, run_name=name).run_id)
    assert wait_run(server, run_id) == ends
    return run_id


def _graph(server: RunningServer, run_id: str, **params: str) -> dict[str, object]:
    response = httpx.get(f"{server.url}{UI}/runs/{run_id}/graph", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_run_graph_artifacts_join_producers_and_consumers(
    server: RunningServer, tmp_path: Path
) -> None:
    run_id = _run(server, tmp_path, artifact_flow, "flow", "SUCCEEDED")

    # Off by default: the graph stays as light as it was.
    assert _graph(server, run_id)["artifacts"] == []

    graph = _graph(server, run_id, artifacts="true")
    artifacts = {a["id"]: a for a in graph["artifacts"]}  # type: ignore[attr-defined]
    data = artifacts["make-rows.data"]
    assert data["producer"] == "make-rows" and data["parent"] is None
    assert data["schema_title"] == "system.Dataset"
    assert {(use["task"], use["input"]) for use in data["consumers"]} == {
        ("fit", "data"),
        ("score", "data"),
    }
    model = artifacts["fit.model"]
    assert model["consumers"] == [{"task": "score", "input": "model"}]
    assert artifacts["score.metrics"]["consumers"] == []
    assert artifacts["score.metrics"]["schema_title"] == "system.Metrics"

    # Each node is the stored artifact its producer's task recorded (KFP's task details).
    fit = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/fit").json()
    fit_outputs = {a["output_key"]: a for a in fit["artifacts"] if a["direction"] == "output"}
    assert model["artifact_id"] == fit_outputs["model"]["id"]
    assert model["uri"] == fit_outputs["model"]["uri"] and model["name"] == "model"
    stored = httpx.get(f"{server.url}{UI}/artifacts/{model['artifact_id']}").json()
    assert stored["artifact"]["schema_title"] == "system.Model"

    # Inside each loop iteration and inside the nested pipeline, at their own level.
    nodes = {n["id"]: n for n in graph["nodes"]}  # type: ignore[attr-defined]
    iterations = sorted(n for n, node in nodes.items() if node["kind"] == "iteration")
    assert len(iterations) == 2
    for iteration in iterations:
        inner = [a for a in artifacts.values() if a["parent"] == iteration]
        by_key = {a["output_key"]: a for a in inner}
        assert set(by_key) == {"data", "model"}
        assert by_key["data"]["producer"].startswith(f"{iteration}/make-rows")
        assert [
            use["task"].startswith(f"{iteration}/fit") for use in by_key["data"]["consumers"]
        ] == [True]
        assert all(a["artifact_id"] is not None for a in inner)
    assert artifacts["artifact-prep/make-rows.data"]["parent"] == "artifact-prep"
    dag_output = artifacts["artifact-prep.Output"]
    assert dag_output["consumers"] == [{"task": "fit-3", "input": "data"}]
    assert dag_output["artifact_id"] is not None

    # Parameters stay on the task edges: fit feeds score its score beside the Model.
    edges = {(e["source"], e["target"]): e for e in graph["edges"]}  # type: ignore[attr-defined]
    assert edges[("fit", "score")]["names"] == ["baseline", "model"]


def test_an_artifact_never_written_is_a_placeholder(server: RunningServer, tmp_path: Path) -> None:
    run_id = _run(server, tmp_path, artifact_pending, "pending", "FAILED")
    artifacts = {a["id"]: a for a in _graph(server, run_id, artifacts="true")["artifacts"]}  # type: ignore[attr-defined]
    assert artifacts["make-rows.data"]["artifact_id"] is not None
    placeholder = artifacts["fit.model"]
    assert placeholder["artifact_id"] is None and placeholder["uri"] is None
    assert placeholder["name"] is None and placeholder["schema_title"] == "system.Model"


def test_version_graph_artifacts_by_name_and_type(server: RunningServer, tmp_path: Path) -> None:
    client = kfp.Client(host=server.url)
    package = compile_to(artifact_flow, str(tmp_path / "flow.yaml"))
    pipeline = client.upload_pipeline(package, pipeline_name="artifact-flow-static")
    version = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    ids = f"{pipeline.pipeline_id}/versions/{version.pipeline_version_id}"
    url = f"{server.url}{UI}/pipelines/{ids}/graph"
    assert httpx.get(url).json()["artifacts"] == []
    artifacts = {
        a["id"]: a for a in httpx.get(url, params={"artifacts": "true"}).json()["artifacts"]
    }
    assert {"make-rows.data", "fit.model", "score.metrics", "artifact-prep.Output"} <= set(
        artifacts
    )
    assert artifacts["fit.model"]["schema_title"] == "system.Model"
    assert all(a["artifact_id"] is None and a["uri"] is None for a in artifacts.values())
    assert artifacts["make-rows.data"]["consumers"] == [
        {"task": "fit", "input": "data"},
        {"task": "score", "input": "data"},
    ]


def test_a_list_of_artifacts_has_every_item(server: RunningServer, tmp_path: Path) -> None:
    run_id = _run(server, tmp_path, artifact_lists, "lists", "SUCCEEDED")
    artifacts = {a["id"]: a for a in _graph(server, run_id, artifacts="true")["artifacts"]}  # type: ignore[attr-defined]
    for node_id, producer in (
        ("for-loop-2.pipelinechannel--make-rows-data", "for-loop-2"),
        ("artifact-fan.Output", "artifact-fan"),
    ):
        node = artifacts[node_id]
        assert node["is_list"] is True
        # Every artifact the producer's row holds for the output, in its order (the task
        # panel's list), not only the first.
        task = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/{producer}").json()
        held = [
            (a["id"], a["name"], a["uri"])
            for a in task["artifacts"]
            if a["direction"] == "output" and a["output_key"] == node["output_key"]
        ]
        assert len(held) == 3
        assert [(i["artifact_id"], i["name"], i["uri"]) for i in node["items"]] == held
        assert (node["artifact_id"], node["name"], node["uri"]) == held[0]
    # A single artifact is a list of one, not a list output.
    single = artifacts["for-loop-2[0]/make-rows.data"]
    assert single["is_list"] is False
    assert [i["artifact_id"] for i in single["items"]] == [single["artifact_id"]]


def test_bad_artifacts_flag_is_a_400_or_422(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}{UI}/runs/nope/graph", params={"artifacts": "maybe"})
    assert 400 <= response.status_code < 500
