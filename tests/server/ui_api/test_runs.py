"""N1 run summaries, N2 run graphs and N4 task detail, against a real server executing runs
submitted by the unmodified ``kfp.Client``."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.ui_api.runs_helpers import UI, wait_run
from tests.ui.pipelines import compile_to, failing, showcase

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def finished(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A finished showcase run (its gate released up front) and a failed run."""
    folder = Path(tmp_path_factory.mktemp("ui-api-pkg"))
    gate = folder / "open"
    gate.write_text("")
    client = kfp.Client(host=server.url)
    show = client.create_run_from_pipeline_package(
        compile_to(showcase, str(folder / "showcase.yaml")),
        arguments={"gate_file": str(gate)},
        run_name="showcase-api",
    )
    fail = client.create_run_from_pipeline_package(
        compile_to(failing, str(folder / "failing.yaml")), run_name="failing-api"
    )
    assert wait_run(server, show.run_id) == "SUCCEEDED"
    assert wait_run(server, fail.run_id) == "FAILED"
    return {"showcase": show.run_id, "failing": fail.run_id}


def _graph(server: RunningServer, run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}{UI}/runs/{run_id}/graph")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_graph_has_every_level_with_states(server: RunningServer, finished: dict[str, str]) -> None:
    graph = _graph(server, finished["showcase"])
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert nodes["exit-handler-1"]["kind"] == "exit_handler"
    assert nodes["exit-handler-1/for-loop-3"]["kind"] == "loop"
    assert nodes["exit-handler-1/for-loop-3"]["iterations"] == 3
    for index in range(3):
        iteration = nodes[f"exit-handler-1/for-loop-3[{index}]"]
        assert iteration["kind"] == "iteration"
        assert iteration["iteration_index"] == index
        assert iteration["parent"] == "exit-handler-1/for-loop-3"
        inner = nodes[f"exit-handler-1/for-loop-3[{index}]/inner"]
        assert inner["kind"] == "dag"
        assert nodes[f"{inner['id']}/square"]["parent"] == inner["id"]
    taken = nodes["exit-handler-1/condition-branches-4/condition-5/shout-2"]
    skipped = nodes["exit-handler-1/condition-branches-4/condition-6/shout-3"]
    assert (taken["state"], skipped["state"]) == ("SUCCEEDED", "SKIPPED")
    assert skipped["display_name"] == "skipped-branch"
    assert nodes["exit-handler-1/condition-branches-4/condition-6"]["kind"] == "condition"
    # States agree with the KFP API's task details (containers).
    run = httpx.get(f"{server.url}/apis/v2beta1/runs/{finished['showcase']}").json()
    kfp_states = {task["task_id"]: task["state"] for task in run["run_details"]["task_details"]}
    for node in graph["nodes"]:
        if node["kind"] == "container" and node["state"] not in ("CACHED",):
            assert kfp_states[node["task_id"]] == node["state"]
    edges = {(edge["source"], edge["target"]): edge for edge in graph["edges"]}
    # The nested pipeline's second square reads the first's output: a data edge.
    inner_edge = edges[
        ("exit-handler-1/for-loop-3[0]/inner/square", "exit-handler-1/for-loop-3[0]/inner/square-2")
    ]
    assert inner_edge["kind"] == "data"
    assert inner_edge["names"] == ["x"]
    # The exit task waits for the exit handler's body: a control edge at the top level.
    assert edges[("exit-handler-1", "shout")]["kind"] == "control"
    # Every edge joins two nodes of one level.
    parents = {node["id"]: node["parent"] for node in graph["nodes"]}
    for source, target in edges:
        assert parents[source] == parents[target]


def test_graph_has_loop_totals_and_attempt_spans(
    server: RunningServer, finished: dict[str, str]
) -> None:
    nodes = {node["id"]: node for node in _graph(server, finished["showcase"])["nodes"]}
    assert nodes["exit-handler-1/for-loop-3"]["iteration_total"] == 3
    assert nodes["shout"]["iteration_total"] is None
    square = nodes["exit-handler-1/for-loop-3[0]/inner/square"]
    [span] = square["attempt_spans"]
    assert (span["attempt"], span["state"], span["exit_code"]) == (1, "COMPLETE", 0)
    # Queued from when it was recorded, then its attempt; both inside the task's times.
    assert square["created_at"] <= span["started_at"] <= span["finished_at"]
    assert nodes["exit-handler-1"]["attempt_spans"] == []  # a sub-DAG has no attempts
    failed = {node["name"]: node for node in _graph(server, finished["failing"])["nodes"]}
    assert [s["state"] for s in failed["fail"]["attempt_spans"]] == ["FAILED"]
    assert failed["fail"]["attempt_spans"][0]["exit_code"] not in (None, 0)


def test_graph_of_missing_run_is_404(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}{UI}/runs/no-such-run/graph")
    assert response.status_code == 404
    assert "no run" in response.json()["message"]


def test_task_detail(server: RunningServer, finished: dict[str, str]) -> None:
    run_id = finished["showcase"]
    path = "exit-handler-1/for-loop-3[1]/inner/square"
    response = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/{path}")
    assert response.status_code == 200, response.text
    task = response.json()
    assert (task["path"], task["kind"], task["state"]) == (path, "container", "SUCCEEDED")
    assert task["input_parameters"] == {"x": 2}
    assert task["output_parameters"] == {"Output": 4}
    # The declared types, from the component's definitions in the run's spec.
    assert task["parameter_types"] == {
        "inputs": {"x": "NUMBER_INTEGER"},
        "outputs": {"Output": "NUMBER_INTEGER"},
    }
    assert [attempt["state"] for attempt in task["attempts"]] == ["COMPLETE"]
    assert [change["state"] for change in task["history"]][-1] == "SUCCEEDED"
    by_id = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/{task['task_id']}").json()
    assert by_id["path"] == path
    missing = httpx.get(f"{server.url}{UI}/runs/{run_id}/tasks/nope")
    assert missing.status_code == 404


def test_failed_task_detail_has_its_error(server: RunningServer, finished: dict[str, str]) -> None:
    task = httpx.get(f"{server.url}{UI}/runs/{finished['failing']}/tasks/fail").json()
    assert task["state"] == "FAILED"
    assert "the failure the UI shows" in (task["error"] or "")
    assert task["attempts"][-1]["state"] == "FAILED"


def test_summaries(server: RunningServer, finished: dict[str, str]) -> None:
    page = httpx.get(f"{server.url}{UI}/runs", params={"page_size": 100}).json()
    rows = {row["run_id"]: row for row in page["runs"]}
    show = rows[finished["showcase"]]
    assert show["display_name"] == "showcase-api"
    assert show["experiment_name"] == "Default"
    assert show["task_counts"]["SUCCEEDED"] >= 7
    assert show["task_counts"]["SKIPPED"] == 1
    assert rows[finished["failing"]]["task_counts"] == {"SUCCEEDED": 1, "FAILED": 1}
    created = [row["created_at"] for row in page["runs"]]
    assert created == sorted(created, reverse=True)  # newest first

    failed = httpx.get(f"{server.url}{UI}/runs", params={"state": "FAILED"}).json()
    assert {row["state"] for row in failed["runs"]} == {"FAILED"}
    assert finished["failing"] in [row["run_id"] for row in failed["runs"]]
    named = httpx.get(f"{server.url}{UI}/runs", params={"q": "showcase-a"}).json()
    assert [row["run_id"] for row in named["runs"]] == [finished["showcase"]]


def test_summaries_page_without_duplicates(server: RunningServer, finished: dict[str, str]) -> None:
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"page_size": 1}
        if token:
            params["page_token"] = token
        page = httpx.get(f"{server.url}{UI}/runs", params=params).json()
        seen += [row["run_id"] for row in page["runs"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) == page["total_size"]
    assert set(finished.values()) <= set(seen)


def test_bad_state_filter_is_400(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}{UI}/runs", params={"state": "DONE"})
    assert response.status_code == 400
    assert "unknown run state 'DONE'" in response.json()["message"]


def _log_events(url: str, **params: Any) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Read a log stream to its ``end``: (event, id, data) for each event."""
    events: list[tuple[str, str | None, dict[str, Any]]] = []
    headers = params.pop("headers", {})
    with httpx.stream("GET", url, params=params, headers=headers, timeout=60) as response:
        assert response.status_code == 200, response.read()
        kind, event_id = "", None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                events.append((kind, event_id, json.loads(line[6:])))
                if kind == "end":
                    return events
                kind, event_id = "", None
    return events


def test_log_stream_ends_and_resumes(server: RunningServer, finished: dict[str, str]) -> None:
    url = f"{server.url}{UI}/runs/{finished['showcase']}/logs:stream"
    events = _log_events(url, task="shout")
    assert events[-1] == ("end", None, {"state": "SUCCEEDED", "attempt": 1})
    text = "".join(data["text"] for kind, _, data in events if kind == "log")
    assert [f"line {i}: cleanup" for i in range(50)] == [
        line for line in text.splitlines() if line.startswith("line ")
    ]
    # Resume after the first line: the rest comes, nothing twice.
    first = text.index("\n") + 1
    resumed = _log_events(url, task="shout", headers={"Last-Event-ID": str(len(text[:first]))})
    assert "".join(d["text"] for k, _, d in resumed if k == "log") == text[first:]
    assert _log_events(url, task="shout", offset=len(text.encode()))[0][0] == "end"


def test_log_stream_follows_a_running_task(
    server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = Path(tmp_path_factory.mktemp("ui-log-live"))
    gate = folder / "gate"
    client = kfp.Client(host=server.url)
    run = client.create_run_from_pipeline_package(
        compile_to(showcase, str(folder / "showcase.yaml")), arguments={"gate_file": str(gate)}
    )
    deadline = time.monotonic() + 60
    while True:  # until the gate task runs
        graph = _graph(server, run.run_id)
        gate_node = next(n for n in graph["nodes"] if n["id"] == "exit-handler-1/gate")
        if gate_node["state"] == "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert gate_node["state"] == "RUNNING"
    url = f"{server.url}{UI}/runs/{run.run_id}/logs:stream"
    with httpx.stream("GET", url, params={"task": "exit-handler-1/gate"}, timeout=60) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        gate.write_text("")  # the task ends while the stream is open
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith("data: ") and seen[-2] == "event: end":
                break
    assert "event: end" in seen
    assert '"state":"SUCCEEDED"' in "".join(seen)
    assert wait_run(server, run.run_id) == "SUCCEEDED"


def test_log_stream_errors(server: RunningServer, finished: dict[str, str]) -> None:
    url = f"{server.url}{UI}/runs/{finished['showcase']}/logs:stream"
    assert httpx.get(url, params={"task": "nope"}).status_code == 404
    assert httpx.get(url, params={"task": "exit-handler-1"}).status_code == 404  # a DAG: no log
    bad = httpx.get(url, params={"task": "shout"}, headers={"Last-Event-ID": "x"})
    assert bad.status_code == 400


def test_run_detail_and_spec(server: RunningServer, finished: dict[str, str]) -> None:
    run_id = finished["showcase"]
    run = httpx.get(f"{server.url}{UI}/runs/{run_id}").json()
    assert run["display_name"] == "showcase-api"
    assert set(run["parameters"]) == {"gate_file", "flip"}
    assert run["parameters"]["flip"] == 1
    assert run["pipeline_root"]
    spec = httpx.get(f"{server.url}{UI}/runs/{run_id}/spec").json()
    assert spec["pipeline_spec"]["pipelineInfo"]["name"] == "ui-showcase"
    assert httpx.get(f"{server.url}{UI}/runs/nope/spec").status_code == 404


def test_cache_hit_names_its_source(server: RunningServer, finished: dict[str, str]) -> None:
    run_id = finished["showcase"]
    # square-2(x=1) in iteration 0 reuses square(x=1) of the same iteration.
    path = "exit-handler-1/for-loop-3[0]/inner/square-2"
    url = f"{server.url}{UI}/runs/{run_id}/cache"
    info = httpx.get(url, params={"task": path}).json()
    assert info["hit"] is True
    assert info["source"]["run_id"] == run_id
    assert info["source"]["task_path"] == "exit-handler-1/for-loop-3[0]/inner/square"
    miss = httpx.get(url, params={"task": "exit-handler-1/for-loop-3[1]/inner/square"}).json()
    assert miss["hit"] is False
    assert miss["reason"].startswith("cache miss")
    assert httpx.get(url, params={"task": "nope"}).status_code == 404


def test_log_download_is_the_whole_file(server: RunningServer, finished: dict[str, str]) -> None:
    url = f"{server.url}{UI}/runs/{finished['showcase']}/logs:download"
    response = httpx.get(url, params={"task": "shout"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == 'attachment; filename="shout-attempt-1.log"'
    whole = httpx.get(
        f"{server.url}/apis/v2beta1/runs/{finished['showcase']}/nodes/shout/logs",
        headers={"Accept": "text/plain"},
    )
    assert response.content == whole.content
    assert "line 49: cleanup" in response.text
    assert httpx.get(url, params={"task": "exit-handler-1"}).status_code == 404
