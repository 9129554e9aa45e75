"""Endpoints and local serving through the real ``google-cloud-aiplatform`` SDK against a
real server: deploy (a real prediction process per deployed model), predict through the
server and directly, traffic split, supervision (a killed process comes back), undeploy,
delete, and the refusals (nothing deployed, a bad instance, a custom image without Docker)."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from tests.server.vertex.conftest import VertexServer
from tests.server.vertex.registry_models import cpr_model, registry_server, sklearn_model

IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"
INSTANCES = [[0.0, 0.1], [1.0, 1.0]]


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VertexServer]:
    """A server with emulated Cloud Storage, shared by the module's tests."""
    with registry_server(tmp_path_factory.mktemp("serving")) as running:
        yield running


def _model(directory: Path, name: str, image: str = IMAGE) -> aiplatform.Model:
    return aiplatform.Model.upload(
        display_name=name, artifact_uri=str(directory), serving_container_image_uri=image
    )


def _health(deployed: object) -> dict[str, object]:
    uri = deployed.private_endpoints.health_http_uri  # type: ignore[attr-defined]
    answer: dict[str, object] = httpx.get(uri, timeout=5).json()
    return answer


def _until(check: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except (httpx.HTTPError, exceptions.GoogleAPICallError):
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_deploy_predict_and_undeploy(serving: VertexServer, tmp_path: Path) -> None:
    model = _model(sklearn_model(tmp_path / "m"), "clf")
    endpoint = aiplatform.Endpoint.create(display_name="ep")
    assert endpoint.resource_name in {e.resource_name for e in aiplatform.Endpoint.list()}

    # Nothing deployed: a clear 4xx.
    with pytest.raises(exceptions.BadRequest, match="no deployed model"):
        endpoint.predict(instances=INSTANCES)

    model.deploy(
        endpoint=endpoint,
        machine_type="n1-standard-2",
        min_replica_count=1,
        max_replica_count=2,
        traffic_percentage=100,
    )
    deployed = endpoint.list_models()
    assert len(deployed) == 1
    assert deployed[0].dedicated_resources.machine_spec.machine_type == "n1-standard-2"
    assert endpoint.traffic_split == {deployed[0].id: 100}

    answer = endpoint.predict(instances=INSTANCES)
    assert answer.predictions == [0, 1]
    assert answer.deployed_model_id == deployed[0].id
    assert answer.model_version_id == "1"

    # The model's own process answers directly too, at the URL its deployment shows.
    direct = httpx.post(
        deployed[0].private_endpoints.predict_http_uri, json={"instances": INSTANCES}, timeout=10
    )
    assert direct.json() == {"predictions": [0, 1]}

    # A bad instance: 400 with the model's own message.
    with pytest.raises(exceptions.BadRequest, match="features"):
        endpoint.predict(instances=[[1.0, 2.0, 3.0]])

    # A deployed model cannot be deleted.
    with pytest.raises(exceptions.BadRequest, match="undeploy"):
        model.delete()
    with pytest.raises(exceptions.BadRequest, match="undeploy"):
        endpoint.delete()

    endpoint.undeploy_all()
    assert endpoint.list_models() == []
    with pytest.raises(httpx.TransportError):
        httpx.post(deployed[0].private_endpoints.predict_http_uri, json={"instances": []})
    with pytest.raises(exceptions.BadRequest, match="no deployed model"):
        endpoint.predict(instances=INSTANCES)
    endpoint.delete()
    assert endpoint.resource_name not in {e.resource_name for e in aiplatform.Endpoint.list()}
    with pytest.raises(exceptions.NotFound):
        endpoint.api_client.get_endpoint(name=endpoint.resource_name)


def test_custom_prediction_routine(serving: VertexServer, tmp_path: Path) -> None:
    # A CPR's image is one the user built; the predictor.py beside the model says what it is.
    model = _model(cpr_model(tmp_path / "cpr"), "cpr", image="us-docker.pkg.dev/p/r/cpr:1")
    endpoint = model.deploy(machine_type="n1-standard-2")
    try:
        answer = endpoint.predict(instances=INSTANCES)
        assert answer.predictions == [{"class": 0, "by": "cpr"}, {"class": 1, "by": "cpr"}]
    finally:
        endpoint.undeploy_all()


def test_traffic_split_between_two_versions(serving: VertexServer, tmp_path: Path) -> None:
    first = _model(sklearn_model(tmp_path / "a"), "split")
    second = aiplatform.Model.upload(
        display_name="split",
        parent_model=first.resource_name,
        artifact_uri=str(sklearn_model(tmp_path / "b", "model.pkl")),
        serving_container_image_uri=IMAGE,
        is_default_version=False,
    )
    endpoint = aiplatform.Endpoint.create(display_name="split")
    first.deploy(endpoint=endpoint, traffic_percentage=100)
    second.deploy(endpoint=endpoint, traffic_percentage=0)
    ids = {m.model_version_id: m.id for m in endpoint.list_models()}
    try:
        # 100/0: every request to version 1.
        seen = {endpoint.predict(instances=INSTANCES).deployed_model_id for _ in range(20)}
        assert seen == {ids["1"]}
        # 50/50: both answer (each far more often than a 1-in-10^9 chance would fail).
        endpoint.update(traffic_split={ids["1"]: 50, ids["2"]: 50})
        counts = Counter(
            endpoint.predict(instances=INSTANCES).deployed_model_id for _ in range(100)
        )
        assert set(counts) == {ids["1"], ids["2"]}
        assert min(counts.values()) >= 15
    finally:
        endpoint.undeploy_all()


def test_a_killed_serving_process_is_started_again(serving: VertexServer, tmp_path: Path) -> None:
    model = _model(sklearn_model(tmp_path / "m"), "killed")
    endpoint = model.deploy()
    try:
        deployed = endpoint.list_models()[0]
        pid = _health(deployed)["pid"]
        assert isinstance(pid, int)
        os.kill(pid, signal.SIGKILL)
        _until(lambda: _health(deployed)["pid"] != pid)
        assert endpoint.predict(instances=INSTANCES).predictions == [0, 1]
    finally:
        endpoint.undeploy_all()


def test_a_custom_image_without_docker_is_refused(serving: VertexServer, tmp_path: Path) -> None:
    if os.system("docker info >/dev/null 2>&1") == 0:
        pytest.skip("a container engine answers here: the image would run")
    model = _model(sklearn_model(tmp_path / "m"), "custom", image="example.com/team/server:1")
    endpoint = aiplatform.Endpoint.create(display_name="custom")
    with pytest.raises(exceptions.BadRequest, match=r"Docker or Podman.*Custom Prediction Routine"):
        model.deploy(endpoint=endpoint)
    assert aiplatform.Endpoint(endpoint.name).list_models() == []


def test_deployments_come_back_after_a_server_restart(tmp_path: Path) -> None:
    with registry_server(tmp_path) as first:
        model = _model(sklearn_model(tmp_path / "m"), "restart")
        endpoint = model.deploy()
        url = endpoint.list_models()[0].private_endpoints.predict_http_uri
        assert endpoint.predict(instances=INSTANCES).predictions == [0, 1]
        # Killed outright: no shutdown stops the model's process; it sees its parent gone.
        assert first.server.proc is not None
        os.killpg(first.server.proc.pid, signal.SIGKILL)
        first.server.__exit__(None, None, None)
        _until(lambda: _refused(url), timeout=30)
        first.server.__enter__()
        first.init(staging_bucket="gs://sluice-staging")
        _until(lambda: endpoint.predict(instances=INSTANCES).predictions == [0, 1])
        # Back on the port it had, so its direct URL still holds.
        again = aiplatform.Endpoint(endpoint.resource_name).list_models()[0]
        assert again.private_endpoints.predict_http_uri == url
        assert httpx.post(url, json={"instances": INSTANCES}).json() == {"predictions": [0, 1]}
        endpoint.undeploy_all()


def _refused(url: str) -> bool:
    try:
        httpx.post(url, json={"instances": []}, timeout=2)
    except httpx.TransportError:
        return True
    return False
