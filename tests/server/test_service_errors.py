"""The service layer's errors answer with the statuses and gRPC codes the API always had.

A row per resource: the router calls the service, the service raises a SluiceError, and
``server/errors.py`` turns it into the grpc-gateway body (404 NOT_FOUND = 5, 409
ALREADY_EXISTS = 6, 400 INVALID_ARGUMENT = 3, 400 FAILED_PRECONDITION = 9).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig

API = "/apis/v2beta1"
SPEC = {
    "pipelineInfo": {"name": "p"},
    "root": {"dag": {"tasks": {}}},
    "schemaVersion": "2.1.0",
    "sdkVersion": "kfp-2.7.0",
}


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    app = create_app(ServerConfig(settings=Settings.from_env(home=tmp_path), background=False))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("get", "/experiments/nope", "no experiment 'nope'"),
        ("post", "/experiments/nope:archive", "no experiment 'nope'"),
        ("delete", "/experiments/nope", "no experiment 'nope'"),
        ("get", "/pipelines/nope", "no pipeline 'nope'"),
        ("get", "/pipelines/names/nope", "no pipeline named 'nope'"),
        ("get", "/pipelines/nope/versions", "no pipeline 'nope'"),
        ("get", "/pipelines/nope/versions/v", "no version 'v' of pipeline 'nope'"),
        ("get", "/runs/nope", "no run 'nope'"),
        ("post", "/runs/nope:archive", "no run 'nope'"),
        ("post", "/runs/nope:terminate", "no run 'nope'"),
        ("delete", "/runs/nope", "no run 'nope'"),
        ("get", "/recurringruns/nope", "no recurring run 'nope'"),
        ("get", "/runs/nope/nodes/t/logs", "no run 'nope'"),
    ],
)
def test_unknown_ids_are_404_not_found(
    api: TestClient, method: str, path: str, message: str
) -> None:
    answer = api.request(method, API + path)
    assert answer.status_code == 404, answer.text
    assert answer.json() == {"error": message, "code": 5, "message": message, "details": []}


def test_conflicts_preconditions_and_bad_input(api: TestClient) -> None:
    created = api.post(
        f"{API}/pipelines/create",
        json={"pipeline": {"name": "p"}, "pipeline_version": {"pipeline_spec": SPEC}},
    )
    assert created.status_code == 200, created.text
    pipeline_id = created.json()["pipeline"]["pipeline_id"]

    again = api.post(f"{API}/pipelines", json={"name": "p"})
    assert (again.status_code, again.json()["code"]) == (409, 6)
    assert again.json()["message"] == "a pipeline named 'p' already exists"

    kept = api.delete(f"{API}/pipelines/{pipeline_id}")
    assert (kept.status_code, kept.json()["code"]) == (400, 9)
    assert "cascade=true" in kept.json()["message"]

    blank = api.post(f"{API}/experiments", json={"display_name": "  "})
    assert (blank.status_code, blank.json()["code"]) == (400, 3)

    run = api.post(f"{API}/runs", json={"display_name": "r", "pipeline_spec": SPEC})
    assert run.status_code == 200, run.text
    retry = api.post(f"{API}/runs/{run.json()['run_id']}:retry")
    assert (retry.status_code, retry.json()["code"]) == (400, 9)
    assert "only FAILED or CANCELED runs retry" in retry.json()["message"]
