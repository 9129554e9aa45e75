"""``GET /runs/{run}/nodes/{task}/logs``: a task's log, never a file outside the run."""

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from kfp import dsl

import sluice
from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
from sluice.store.repository import Store


@dsl.component
def shout(word: str) -> str:
    print(f"shouting {word}")
    return word.upper()


@dsl.pipeline
def shouting(word: str = "hey") -> str:
    return shout(word=word).output


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    app = create_app(ServerConfig(settings=Settings.from_env(), background=False))
    return TestClient(app)


def test_log_of_a_task(api: TestClient) -> None:
    run = sluice.run(shouting, enable_caching=False)
    response = api.get(f"/apis/v2beta1/runs/{run.id}/nodes/shout/logs")
    assert response.status_code == 200, response.text
    body = response.json()
    assert "shouting hey" in body["data"] and body["attempt"] == 1
    assert api.get(f"/apis/v2beta1/runs/{run.id}/nodes/shout/logs?attempt=2").status_code == 404
    assert api.get(f"/apis/v2beta1/runs/{run.id}/nodes/nope/logs").status_code == 404


def test_a_log_path_outside_the_run_is_refused(api: TestClient, tmp_path: Path) -> None:
    run = sluice.run(shouting, enable_caching=False)
    store = Store(Settings.from_env().db_url)
    task = next(t for t in store.tasks_of_run(run.id) if t.name == "shout")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    store.update_task(task.id, log_path=str(secret))
    response = api.get(f"/apis/v2beta1/runs/{run.id}/nodes/shout/logs")
    assert response.status_code == 404
    assert "do not serve" not in response.text


@dsl.pipeline
def nested_shouting(word: str = "deep") -> str:
    return shouting(word=word).output


def test_log_of_a_nested_task_by_its_path(api: TestClient) -> None:
    run = sluice.run(nested_shouting, enable_caching=False)
    store = Store(Settings.from_env().db_url)
    inner = next(t for t in store.tasks_of_run(run.id) if t.name == "shout")
    assert "/" in inner.path
    for node in (inner.path, quote(inner.path, safe="")):  # as sent raw and as clients quote it
        response = api.get(f"/apis/v2beta1/runs/{run.id}/nodes/{node}/logs")
        assert response.status_code == 200, response.text
        assert "shouting deep" in response.json()["data"]
