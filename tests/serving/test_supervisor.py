"""The prediction processes and their supervisor, driven directly: real processes serving
real model files, killed and started again, stopped; and what each kind of model is."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.server.vertex.registry_models import CPR_PREDICTOR, cpr_model, sklearn_model

from sluice.errors import ExecutorError, UnsupportedFeatureError
from sluice.serving.loaders import kind_of
from sluice.serving.supervisor import ServingSpec, ServingSupervisor, free_port

INSTANCES = [[0.0, 0.1], [1.0, 1.0]]


@pytest.fixture
def supervisor() -> Iterator[ServingSupervisor]:
    """A supervisor watching its processes; every process stopped afterwards."""
    running = ServingSupervisor()
    running.start_watching()
    yield running
    running.close()


def _spec(directory: Path, kind: str, deployed_id: int = 1, **env: str) -> ServingSpec:
    return ServingSpec(
        deployed_id=deployed_id,
        kind=kind,
        directory=directory,
        port=free_port(),
        predict_route="/predict",
        health_route="/health",
        log_path=directory.parent / f"deployed-{deployed_id}.log",
        environment=env,
    )


def test_serve_predict_restart_and_stop(supervisor: ServingSupervisor, tmp_path: Path) -> None:
    spec = _spec(sklearn_model(tmp_path / "m", "model.pkl"), "sklearn")
    supervisor.serve(spec)
    assert supervisor.predict(1, {"instances": INSTANCES}) == (200, {"predictions": [0, 1]})
    status, answer = supervisor.predict(1, {"instances": [[1.0]]})
    assert status == 400
    assert "features" in answer["error"]

    pid = supervisor.pid(1)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while supervisor.pid(1) in (None, pid):
        assert time.monotonic() < deadline, "not started again"
        time.sleep(0.05)
    # A request while it loads waits for it.
    assert supervisor.predict(1, {"instances": INSTANCES})[0] == 200

    supervisor.stop(1)
    assert supervisor.pid(1) is None
    with pytest.raises(httpx.TransportError):
        httpx.post(spec.url, json={"instances": INSTANCES})


def test_a_predictor_named_by_the_variable(supervisor: ServingSupervisor, tmp_path: Path) -> None:
    directory = cpr_model(tmp_path / "cpr")
    (directory / "predictor.py").rename(directory / "routine.py")
    spec = _spec(directory, "cpr", SLUICE_PREDICTOR="routine:ScaledPredictor")
    supervisor.serve(spec)
    status, answer = supervisor.predict(1, {"instances": INSTANCES})
    assert (status, answer["predictions"][1]) == (200, {"class": 1, "by": "cpr"})


def test_a_model_that_cannot_load_says_why(supervisor: ServingSupervisor, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ExecutorError, match=r"holds none of model\.joblib"):
        supervisor.serve(_spec(empty, "sklearn"))
    assert not supervisor.serving(1)


def test_kinds(tmp_path: Path) -> None:
    prebuilt = "us-docker.pkg.dev/vertex-ai/prediction/{}:latest"
    assert kind_of(prebuilt.format("sklearn-cpu.1-3"), {}, None) == "sklearn"
    assert kind_of(prebuilt.format("xgboost-cpu.2-1"), {}, None) == "xgboost"
    assert kind_of("", {}, None) == "sklearn"
    assert kind_of("example.com/team/server:1", {}, None) == "container"
    assert kind_of("example.com/team/cpr:1", {"SLUICE_PREDICTOR": "m:C"}, None) == "cpr"
    routine = tmp_path / "r"
    routine.mkdir()
    (routine / "predictor.py").write_text(CPR_PREDICTOR)
    assert kind_of("example.com/team/cpr:1", {}, routine) == "cpr"
    with pytest.raises(UnsupportedFeatureError, match="tf2"):
        kind_of(prebuilt.format("tf2-cpu.2-15"), {}, None)


def test_a_lightgbm_booster(supervisor: ServingSupervisor, tmp_path: Path) -> None:
    import lightgbm
    import numpy as np

    directory = tmp_path / "lgb"
    directory.mkdir()
    features = np.array([[0.0, 0.1], [0.1, 0.0], [0.2, 0.1], [1.0, 0.9], [0.9, 1.0], [1.1, 1.0]])
    data = lightgbm.Dataset(features, label=[0, 0, 0, 1, 1, 1], params={"min_data_in_bin": 1})
    params = {"objective": "binary", "min_data_in_leaf": 1, "verbose": -1}
    lightgbm.train(params, data, num_boost_round=5).save_model(str(directory / "model.bst"))
    assert kind_of("us-docker.pkg.dev/vertex-ai/prediction/lightgbm-cpu:1", {}, directory) == (
        "lightgbm"
    )
    supervisor.serve(_spec(directory, "lightgbm"))
    status, answer = supervisor.predict(1, {"instances": INSTANCES})
    assert status == 200
    low, high = answer["predictions"]
    assert low < 0.5 < high
