"""N7 artifact content and preview, and N8 compare, against a real server executing runs
submitted by the unmodified ``kfp.Client``."""

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.ui_api.runs_helpers import UI, wait_run
from tests.ui.diff_pipelines import VERTEX_METRICS, evaluated
from tests.ui.pipelines import compile_to, viewers

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def runs(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three finished runs of the viewers pipeline, differing only in ``seed``."""
    folder = Path(tmp_path_factory.mktemp("viewers-pkg"))
    package = compile_to(viewers, str(folder / "viewers.yaml"))
    client = kfp.Client(host=server.url)
    ids = [
        str(
            client.create_run_from_pipeline_package(
                package, arguments={"seed": seed}, run_name=f"viewers-{seed}"
            ).run_id
        )
        for seed in (1, 2, 3)
    ]
    for run_id in ids:
        assert wait_run(server, run_id) == "SUCCEEDED"
    return ids


def _artifacts(server: RunningServer, run_id: str, task: str) -> dict[str, dict[str, Any]]:
    detail = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/{task}").json()
    return {a["output_key"]: a for a in detail["artifacts"] if a["direction"] == "output"}


def _preview(server: RunningServer, artifact_id: int, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{server.url}{UI}/artifacts/{artifact_id}:preview", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_csv_preview_is_a_typed_head(server: RunningServer, runs: list[str]) -> None:
    data = _artifacts(server, runs[0], "tables")["data"]
    shown = _preview(server, data["id"])
    assert shown["kind"] == "table"
    assert shown["columns"] == ["id", "name", "score", "ok"]
    assert shown["column_types"] == ["number", "string", "number", "boolean"]
    assert len(shown["rows"]) == 100 and shown["truncated"]  # 150 rows written
    assert shown["rows"][3] == [3, "row-3", 0.75, True]
    assert len(_preview(server, data["id"], rows=5)["rows"]) == 5


def test_directory_text_and_metrics_previews(server: RunningServer, runs: list[str]) -> None:
    folder = _artifacts(server, runs[0], "tables")["folder"]
    listed = _preview(server, folder["id"])
    assert listed["kind"] == "directory"
    assert [(e["path"], e["is_dir"]) for e in listed["entries"]] == [
        ("a.txt", False),
        ("b.txt", False),
        ("part", True),
        ("part/c.txt", False),
    ]
    notes = _preview(server, _artifacts(server, runs[0], "report")["notes"]["id"])
    assert notes["kind"] == "text" and notes["text"].startswith("# Notes 1")
    scores = _preview(server, _artifacts(server, runs[0], "evaluate")["scores"]["id"])
    # Metrics live in the metadata; there is no file.
    assert scores["kind"] == "missing" and scores["metadata"]["accuracy"] == 0.51


def test_content_is_the_exact_bytes_with_ranges(server: RunningServer, runs: list[str]) -> None:
    data = _artifacts(server, runs[0], "tables")["data"]
    whole = httpx.get(f"{server.url}{UI}/artifacts/{data['id']}:content")
    assert whole.status_code == 200
    assert whole.headers["content-disposition"].startswith("attachment")
    assert whole.headers["x-content-type-options"] == "nosniff"
    stored = server.state.store.get_artifacts([data["id"]])[data["id"]]
    assert stored.digest == "sha256:" + hashlib.sha256(whole.content).hexdigest()
    assert whole.content == Path(data["uri"]).read_bytes()
    part = httpx.get(
        f"{server.url}{UI}/artifacts/{data['id']}:content", headers={"Range": "bytes=3-9"}
    )
    assert part.status_code == 206 and part.content == whole.content[3:10]


def test_a_big_file_previews_its_head(server: RunningServer, runs: list[str]) -> None:
    data = _artifacts(server, runs[1], "tables")["data"]
    line = b"1,row,0.5,true\n"
    with open(data["uri"], "ab") as handle:
        handle.write(line * (40 * 1024 * 1024 // len(line)))  # 40 MiB more
    shown = _preview(server, data["id"])
    assert len(shown["rows"]) == 100 and shown["truncated"]


def test_bad_artifact_calls_are_one_line_4xx(server: RunningServer, runs: list[str]) -> None:
    folder = _artifacts(server, runs[0], "tables")["folder"]
    directory = httpx.get(f"{server.url}{UI}/artifacts/{folder['id']}:content")
    assert directory.status_code == 400 and ":preview" in directory.json()["message"]
    assert httpx.get(f"{server.url}{UI}/artifacts/999999:content").status_code == 404
    assert httpx.get(f"{server.url}{UI}/artifacts/{2**31}:preview").status_code == 400
    assert httpx.get(f"{server.url}{UI}/artifacts/1:preview?rows=0").status_code == 400
    # A symlink out of the run root is refused, not followed.
    data = _artifacts(server, runs[2], "tables")["data"]
    os.remove(data["uri"])
    os.symlink("/etc/hostname", data["uri"])
    for call in (":content", ":preview"):
        escaped = httpx.get(f"{server.url}{UI}/artifacts/{data['id']}{call}")
        assert escaped.status_code == 400, escaped.text
        assert "outside the run's artifact root" in escaped.json()["message"]


def test_compare_flags_differences_and_lines_up_artifacts(
    server: RunningServer, runs: list[str]
) -> None:
    response = httpx.get(f"{server.url}{UI}/compare", params={"run_ids": ",".join(runs)})
    assert response.status_code == 200, response.text
    data = response.json()
    assert [run["run_id"] for run in data["runs"]] == runs
    params = {row["name"]: row for row in data["parameters"]}
    assert params["seed"] == {"name": "seed", "values": [1, 2, 3], "differs": True}
    assert params["rows"]["differs"] is False
    metrics = {row["name"]: row for row in data["metrics"]}
    assert metrics["evaluate.scores.accuracy"]["values"] == [0.51, 0.52, 0.53]
    assert metrics["evaluate.scores.epochs"]["differs"] is False
    keys = {(a["run_id"], a["key"], a["schema_title"]) for a in data["artifacts"]}
    for run_id in runs:
        assert (run_id, "evaluate.classes", "system.ClassificationMetrics") in keys
        assert (run_id, "report.page", "system.HTML") in keys
        assert (run_id, "report.notes", "system.Markdown") in keys


def test_compare_input_errors(server: RunningServer, runs: list[str]) -> None:
    def get(ids: str) -> httpx.Response:
        return httpx.get(f"{server.url}{UI}/compare", params={"run_ids": ids})

    assert get(" , ").status_code == 400
    too_many = get(",".join(f"r{i}" for i in range(51)))
    assert too_many.status_code == 400 and "at most 50" in too_many.json()["message"]
    assert get(f"{runs[0]},nosuchrun").status_code == 404
    # Repeats collapse; one run is a valid comparison (the run page's Outputs tab).
    assert len(get(f"{runs[0]},{runs[0]}").json()["runs"]) == 1


def test_compare_lines_up_vertex_classification_metrics(
    server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``google.ClassificationMetrics`` (GCPC's evaluation) joins the viewers' artifacts with
    its curves and matrix, and its scalars (auRoc, logLoss...) join the metrics."""
    folder = Path(tmp_path_factory.mktemp("vertex-eval"))
    target = folder / "evaluation_metrics.json"
    target.write_text("{}")
    package = compile_to(evaluated, str(folder / "evaluated.yaml"))
    client = kfp.Client(host=server.url)
    ids = [
        str(
            client.create_run_from_pipeline_package(
                package, arguments={"uri": str(target)}, run_name=f"vertex-eval-{n}"
            ).run_id
        )
        for n in (1, 2)
    ]
    for run_id in ids:
        assert wait_run(server, run_id) == "SUCCEEDED"
    response = httpx.get(f"{server.url}{UI}/compare", params={"run_ids": ",".join(ids)})
    assert response.status_code == 200, response.text
    data = response.json()
    shown = [a for a in data["artifacts"] if a["schema_title"] == "google.ClassificationMetrics"]
    assert [a["run_id"] for a in shown] == ids
    assert {a["key"] for a in shown} == {"importer.artifact"}
    for artifact in shown:
        assert artifact["metadata"]["confidenceMetrics"] == VERTEX_METRICS["confidenceMetrics"]
        assert artifact["metadata"]["confusionMatrix"]["rows"] == [[40, 10], [5, 45]]
    metrics = {row["name"]: row for row in data["metrics"]}
    assert metrics["importer.auRoc"] == {
        "name": "importer.auRoc",
        "values": [0.93, 0.93],
        "differs": False,
    }
    assert "importer.confidenceMetrics" not in metrics  # curves go to the viewers only
