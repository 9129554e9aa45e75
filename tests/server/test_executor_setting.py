"""``sluice server --executor``: the executor recorded on the runs the server creates."""

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kfp import dsl

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
from sluice.spec.loader import load_pipeline
from sluice.store.repository import Store


@dsl.component
def shout(word: str) -> str:
    return word.upper()


@dsl.pipeline
def shouting(word: str = "hey") -> str:
    return shout(word=word).output


@pytest.mark.parametrize("executor", [None, "podman"])
def test_runs_record_the_server_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: str | None
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLUICE_EXECUTOR", raising=False)
    settings = Settings.from_env()
    if executor is not None:
        settings = replace(settings, executor=executor)
    config = ServerConfig(settings=settings, background=False)
    assert config.executor == (executor or "local")
    api = TestClient(create_app(config))
    spec = load_pipeline(shouting).to_dict()
    response = api.post("/apis/v2beta1/runs", json={"display_name": "r", "pipeline_spec": spec})
    assert response.status_code == 200, response.text
    row = Store(settings.db_url).get_run(response.json()["run_id"])
    assert row is not None and row.options["executor"] == (executor or "local")
