"""N2 for pipeline versions, N9 cron preview and the run summaries of one recurring run,
against a real server; pipelines, runs and recurring runs made with the unmodified
``kfp.Client``."""

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer, start_server
from tests.ui.form_pipelines import typed
from tests.ui.pipelines import compile_to, retried, showcase

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

UI = "/apis/sluice/v1"


def _wait(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_version_graph_has_the_run_graphs_node_ids(server: RunningServer, tmp_path: Path) -> None:
    client = kfp.Client(host=server.url)
    package = compile_to(showcase, str(tmp_path / "showcase.yaml"))
    pipeline = client.upload_pipeline(package, pipeline_name="graph-showcase")
    version = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    ids = f"{pipeline.pipeline_id}/versions/{version.pipeline_version_id}"
    response = httpx.get(f"{server.url}{UI}/pipelines/{ids}/graph")
    assert response.status_code == 200, response.text
    graph = response.json()
    assert graph["version_id"] == version.pipeline_version_id
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["exit-handler-1"]["kind"] == "exit_handler"
    assert nodes["exit-handler-1/for-loop-3"]["kind"] == "loop"
    assert all(node["state"] is None for node in graph["nodes"])

    gate = tmp_path / "open"
    gate.write_text("")
    experiment = client.create_experiment("graph-exp")
    run = client.run_pipeline(
        experiment_id=experiment.experiment_id,
        job_name="graph-run",
        params={"gate_file": str(gate)},
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
    )
    _wait(
        lambda: (
            httpx.get(f"{server.url}/apis/v2beta1/runs/{run.run_id}").json()["state"]
            in {"SUCCEEDED", "FAILED"}
        )
    )
    run_graph = httpx.get(f"{server.url}{UI}/runs/{run.run_id}/graph").json()
    # The run has loop iterations too (they exist only at run time); every other node and
    # every edge is the version graph's.
    run_ids = {node["id"] for node in run_graph["nodes"] if "[" not in node["id"]}
    assert run_ids == set(nodes)
    static_edges = {(e["source"], e["target"]) for e in graph["edges"]}
    run_edges = {(e["source"], e["target"]) for e in run_graph["edges"] if "[" not in e["source"]}
    assert static_edges == run_edges


def test_version_graph_of_a_missing_version_is_404(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}{UI}/pipelines/nope/versions/nope/graph")
    assert response.status_code == 404
    assert "nope" in response.json()["message"]


def test_cron_preview_in_a_zone(server: RunningServer) -> None:
    response = httpx.get(
        f"{server.url}{UI}/cron:preview",
        params={"cron": "0 9 * * 1-5", "tz": "Europe/Paris", "start": "2030-01-04T12:00:00Z"},
    )
    assert response.status_code == 200, response.text
    times = [datetime.fromisoformat(t) for t in response.json()["times"]]
    # Friday 4 Jan 2030 noon UTC: next weekdays 09:00 Paris (08:00 UTC in winter).
    assert [t.isoformat() for t in times] == [
        "2030-01-07T08:00:00+00:00",
        "2030-01-08T08:00:00+00:00",
        "2030-01-09T08:00:00+00:00",
        "2030-01-10T08:00:00+00:00",
        "2030-01-11T08:00:00+00:00",
    ]


def test_cron_preview_kfp_six_fields_and_every(server: RunningServer) -> None:
    six = httpx.get(
        f"{server.url}{UI}/cron:preview",
        params={"cron": "0 30 * * * *", "start": "2030-01-01T00:00:00Z", "n": 2},
    ).json()
    assert six["times"] == ["2030-01-01T00:30:00+00:00", "2030-01-01T01:30:00+00:00"]
    every = httpx.get(
        f"{server.url}{UI}/cron:preview",
        params={"cron": "@every 90m", "start": "2030-01-01T00:00:00Z", "n": 2},
    ).json()
    assert every["times"] == ["2030-01-01T01:30:00+00:00", "2030-01-01T03:00:00+00:00"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"cron": "0 25 * * *"}, "hour 25 is out of range 0-23"),
        ({"cron": "0 9 * *"}, "has 4 fields"),
        ({"cron": "0 9 * * *", "tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"cron": "0 9 * * *", "start": "yesterday"}, "start 'yesterday' is not an RFC3339"),
    ],
)
def test_cron_preview_errors_are_one_line_400s(
    server: RunningServer, params: dict[str, str], words: str
) -> None:
    response = httpx.get(f"{server.url}{UI}/cron:preview", params=params)
    assert response.status_code == 400
    message = response.json()["message"]
    assert words in message and "\n" not in message


def test_run_summaries_of_one_recurring_run(server: RunningServer, tmp_path: Path) -> None:
    client = kfp.Client(host=server.url)
    marker = tmp_path / "marker"
    marker.write_text("")  # the flaky task succeeds at once
    experiment = client.create_experiment("recurring-summaries")
    pipeline = client.upload_pipeline(
        compile_to(retried, str(tmp_path / "retried.yaml")), pipeline_name="summaries-retried"
    )
    version = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    recurring = client.create_recurring_run(
        experiment_id=experiment.experiment_id,
        job_name="every-second",
        interval_second=1,
        max_concurrency=1,
        no_catchup=True,
        params={"marker": str(marker)},
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
    )
    client.run_pipeline(
        experiment_id=experiment.experiment_id,
        job_name="by-hand",
        params={"marker": str(marker)},
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
    )

    def started() -> list[dict[str, object]]:
        answer = httpx.get(
            f"{server.url}{UI}/runs", params={"recurring_run_id": recurring.recurring_run_id}
        )
        return list(answer.json()["runs"])

    _wait(lambda: len(started()) >= 1)
    client.disable_recurring_run(recurring.recurring_run_id)
    runs = started()
    assert runs and all(run["display_name"] != "by-hand" for run in runs)
    assert all(run["scheduled_at"] for run in runs)


def test_parse_a_pasted_package(server: RunningServer, tmp_path: Path) -> None:
    text = Path(compile_to(retried, str(tmp_path / "retried.yaml"))).read_text()
    response = httpx.post(
        f"{server.url}{UI}/pipelines:parse", json={"yaml": text}, headers={"X-Sluice-Request": "1"}
    )
    assert response.status_code == 200, response.text
    parsed = response.json()
    assert parsed["name"] == "ui-retry"
    inputs = parsed["pipeline_spec"]["root"]["inputDefinitions"]["parameters"]
    assert inputs["marker"]["parameterType"] == "STRING"


def test_parse_rejects_what_is_not_a_pipeline(server: RunningServer) -> None:
    response = httpx.post(
        f"{server.url}{UI}/pipelines:parse",
        json={"yaml": "just: [a, mapping"},
        headers={"X-Sluice-Request": "1"},
    )
    assert response.status_code == 400
    assert "\n" not in response.json()["message"]


def test_summaries_carry_scalar_metrics_and_scheduled_at(
    server: RunningServer, tmp_path: Path
) -> None:
    client = kfp.Client(host=server.url)
    run = client.create_run_from_pipeline_package(
        compile_to(typed, str(tmp_path / "typed.yaml")),
        arguments={"rate": 0.5},
        run_name="metrics-summary",
    )
    _wait(
        lambda: (
            httpx.get(f"{server.url}/apis/v2beta1/runs/{run.run_id}").json()["state"]
            in {"SUCCEEDED", "FAILED"}
        )
    )
    detail = httpx.get(f"{server.url}{UI}/runs/{run.run_id}").json()
    assert detail["state"] == "SUCCEEDED", detail
    assert detail["metrics"] == {"accuracy": 0.5, "count": 3.0}
    assert detail["scheduled_at"] is None
    listed = httpx.get(f"{server.url}{UI}/runs", params={"q": "metrics-summary"}).json()
    assert listed["runs"][0]["metrics"] == {"accuracy": 0.5, "count": 3.0}


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An API-only server requiring a token."""
    running, stop = start_server(
        Path(tmp_path_factory.mktemp("ui-forms-auth")), background=False, token="t0ken"
    )
    try:
        yield running
    finally:
        stop()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/pipelines/p/versions/v/graph", None),
        ("GET", "/cron:preview?cron=@daily", None),
        ("POST", "/pipelines:parse", {"yaml": "a: b"}),
    ],
)
def test_new_endpoints_are_behind_the_token(
    token_server: RunningServer, method: str, path: str, body: dict[str, str] | None
) -> None:
    url = f"{token_server.url}{UI}{path}"
    assert httpx.request(method, url, json=body).status_code == 401
    authorized = httpx.request(method, url, json=body, headers={"Authorization": "Bearer t0ken"})
    assert authorized.status_code in (200, 400, 404), authorized.text
