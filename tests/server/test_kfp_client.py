"""The unmodified ``kfp.Client`` against a real Sluice server (runs execute)."""

import json
import time
from pathlib import Path

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.pipelines import adder, compile_to, sleeper, writer

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def client(server: RunningServer) -> kfp.Client:
    """A kfp client talking to the server."""
    return kfp.Client(host=server.url)


@pytest.fixture(scope="module")
def adder_yaml(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The adder pipeline compiled to YAML."""
    return compile_to(adder, str(tmp_path_factory.mktemp("pkg") / "adder.yaml"))


def _wait_state(client: kfp.Client, run_id: str, states: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get_run(run_id).state
        if state in states or time.monotonic() > deadline:
            return str(state)
        time.sleep(0.2)


def test_experiments(client: kfp.Client) -> None:
    exp = client.create_experiment("exp-a", description="first")
    assert client.create_experiment("exp-a").experiment_id == exp.experiment_id  # reused
    got = client.get_experiment(experiment_id=exp.experiment_id)
    assert got.display_name == "exp-a"
    assert got.description == "first"
    assert got.storage_state == "AVAILABLE"
    assert client.get_experiment(experiment_name="exp-a").experiment_id == exp.experiment_id
    names = [e.display_name for e in client.list_experiments(page_size=100).experiments]
    assert "exp-a" in names
    client.archive_experiment(exp.experiment_id)
    assert client.get_experiment(experiment_id=exp.experiment_id).storage_state == "ARCHIVED"
    client.unarchive_experiment(exp.experiment_id)
    assert client.get_experiment(experiment_id=exp.experiment_id).storage_state == "AVAILABLE"


def test_upload_and_versions(client: kfp.Client, adder_yaml: str) -> None:
    pipeline = client.upload_pipeline(adder_yaml, pipeline_name="adder-up", description="d")
    version = client.upload_pipeline_version(
        adder_yaml, pipeline_version_name="v2", pipeline_name="adder-up"
    )
    assert version.pipeline_id == pipeline.pipeline_id
    listed = client.list_pipelines(page_size=100).pipelines
    assert pipeline.pipeline_id in [p.pipeline_id for p in listed]
    versions = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions
    assert {v.display_name for v in versions} == {"adder-up", "v2"}
    got = client.get_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id)
    assert got.pipeline_spec["pipelineInfo"]["name"] == "adder"
    with pytest.raises(kfp_server_api_exception()) as info:
        client.upload_pipeline(adder_yaml, pipeline_name="adder-up")
    assert info.value.status == 409


def kfp_server_api_exception() -> type[Exception]:
    """The exception kfp.Client raises on a non-2xx answer."""
    from kfp_server_api.exceptions import ApiException

    return ApiException


def test_run_from_func_executes_with_task_details(client: kfp.Client) -> None:
    result = client.create_run_from_pipeline_func(
        adder, arguments={"a": 3, "b": 4}, experiment_name="exp-func"
    )
    run = client.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.5)
    assert run.state == "SUCCEEDED"
    tasks = {t.display_name: t for t in run.run_details.task_details}
    assert tasks["add"].state in ("SUCCEEDED", "SKIPPED")  # SKIPPED if served from the cache
    assert tasks["add"].execution_id
    assert tasks["add"].create_time is not None
    assert run.runtime_config.parameters == {"a": 3, "b": 4}
    exp = client.get_experiment(experiment_name="exp-func")
    assert exp.last_run_created_at is not None
    assert run.experiment_id == exp.experiment_id


def test_run_from_package_and_version(client: kfp.Client, adder_yaml: str) -> None:
    from_pkg = client.create_run_from_pipeline_package(
        adder_yaml, arguments={"a": 10}, run_name="pkg-run"
    )
    pipeline = client.upload_pipeline(adder_yaml, pipeline_name="adder-run")
    version = client.upload_pipeline_version(
        adder_yaml, pipeline_version_name="rv", pipeline_id=pipeline.pipeline_id
    )
    exp = client.create_experiment("exp-version")
    from_version = client.run_pipeline(
        experiment_id=exp.experiment_id,
        job_name="from-version",
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
        params={"a": 5, "b": 6},
    )
    for run_id in (from_pkg.run_id, from_version.run_id):
        done = client.wait_for_run_completion(run_id, timeout=120, sleep_duration=0.5)
        assert done.state == "SUCCEEDED", done.error
    got = client.get_run(from_version.run_id)
    assert got.display_name == "from-version"
    assert got.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id
    listed = client.list_runs(experiment_id=exp.experiment_id).runs
    assert [r.run_id for r in listed] == [from_version.run_id]


def test_list_runs_filter_sort_and_pages(client: kfp.Client, adder_yaml: str) -> None:
    exp = client.create_experiment("exp-list")
    ids = [
        client.create_run_from_pipeline_package(
            adder_yaml, arguments={"a": i}, run_name=f"list-{i}", experiment_name="exp-list"
        ).run_id
        for i in range(3)
    ]
    by_name = json.dumps(
        {"predicates": [{"operation": "EQUALS", "key": "display_name", "string_value": "list-1"}]}
    )
    assert [r.run_id for r in client.list_runs(filter=by_name).runs] == [ids[1]]
    first = client.list_runs(experiment_id=exp.experiment_id, page_size=2, sort_by="created_at")
    assert first.total_size == 3
    assert [r.run_id for r in first.runs] == ids[:2]
    second = client.list_runs(
        experiment_id=exp.experiment_id, page_size=2, page_token=first.next_page_token
    )
    assert [r.run_id for r in second.runs] == ids[2:]
    assert not second.next_page_token
    newest = client.list_runs(experiment_id=exp.experiment_id, sort_by="created_at desc")
    assert newest.runs[0].run_id == ids[2]


def test_terminate_archive_delete(client: kfp.Client, tmp_path: Path) -> None:
    result = client.create_run_from_pipeline_func(sleeper, arguments={"seconds": 120})
    assert _wait_state(client, result.run_id, {"RUNNING"}) == "RUNNING"
    client.terminate_run(result.run_id)
    # kfp's wait_for_run_completion does not stop on CANCELED (kubeflow/pipelines#14473).
    assert _wait_state(client, result.run_id, {"CANCELED"}) == "CANCELED"
    client.archive_run(result.run_id)
    assert client.get_run(result.run_id).storage_state == "ARCHIVED"
    client.unarchive_run(result.run_id)
    assert client.get_run(result.run_id).storage_state == "AVAILABLE"
    client.delete_run(result.run_id)
    with pytest.raises(kfp_server_api_exception()) as info:
        client.get_run(result.run_id)
    assert info.value.status == 404


def test_artifact_read(client: kfp.Client, server: RunningServer) -> None:
    result = client.create_run_from_pipeline_func(writer, arguments={"text": "payload-123"})
    run = client.wait_for_run_completion(result.run_id, timeout=120, sleep_duration=0.5)
    assert run.state == "SUCCEEDED"
    task = next(t for t in run.run_details.task_details if t.display_name == "write-text")
    assert task.outputs["out"].artifact_ids
    url = f"{server.url}/apis/v2beta1/runs/{run.run_id}/nodes/{task.task_id}/artifacts/out:read"
    body = httpx.get(url).json()
    import base64

    assert base64.b64decode(body["data"]) == b"payload-123"
